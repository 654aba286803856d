// The GP practice chooser's type-ahead, an enhancement of "search, then choose" ([data-practice-picker]).
// Without this script the "Find practice" button sends the form back with the matches as radios.
// With it, the search box is an ARIA 1.2 combobox: as the person types, open practices that match
// (from the chooser's data-search-url, which answers only what the NHS publishes about practices)
// fill a listbox under the box; the up and down arrows move through it, Enter or a click chooses,
// Escape closes it. Choosing puts the practice among the radios, ticked, so what is sent is the
// same radio the page without JavaScript sends. Its words come from data-words-* attributes.
(function () {
  "use strict";

  var DELAY_MS = 250;
  var MIN_LENGTH = 2;

  function init(picker) {
    var input = picker.querySelector(".signpost-practice__query");
    var results = picker.querySelector("[data-practice-results]");
    var url = picker.dataset.searchUrl;
    if (!input || !results || !url || !window.fetch) {
      return;
    }
    var words = picker.dataset;
    var listboxId = input.id + "-listbox";
    var statusId = input.id + "-status";

    var listbox = document.createElement("ul");
    listbox.id = listboxId;
    listbox.className = "signpost-practice__listbox";
    listbox.setAttribute("role", "listbox");
    listbox.setAttribute("aria-label", words.wordsListbox);
    listbox.hidden = true;

    // Read out how many matched (and what was chosen) where it happens.
    var status = document.createElement("p");
    status.id = statusId;
    status.className = "nhsuk-u-visually-hidden";
    status.setAttribute("role", "status");

    var row = input.parentNode;
    row.parentNode.insertBefore(listbox, row.nextSibling);
    row.parentNode.insertBefore(status, listbox.nextSibling);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listboxId);

    var practices = [];
    var active = -1;
    var timer = null;
    var latest = 0;

    function close() {
      listbox.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function say(text) {
      status.textContent = text;
    }

    function describe(practice) {
      var parts = [];
      if (practice.address) {
        parts.push(practice.address.split(/\r?\n/).filter(Boolean).join(", "));
      }
      if (practice.postcode) {
        parts.push(practice.postcode);
      }
      parts.push(practice.ods_code);
      return parts.join(", ");
    }

    function show(found) {
      practices = found;
      active = -1;
      input.removeAttribute("aria-activedescendant");
      listbox.textContent = "";
      found.forEach(function (practice, index) {
        var option = document.createElement("li");
        option.id = listboxId + "-" + index;
        option.className = "signpost-practice__option";
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        var name = document.createElement("span");
        name.className = "signpost-practice__option-name";
        name.textContent = practice.name;
        var where = document.createElement("span");
        where.className = "signpost-practice__option-hint";
        where.textContent = describe(practice);
        option.appendChild(name);
        option.appendChild(where);
        // mousedown, not click: the box would lose focus (and the list close) first.
        option.addEventListener("mousedown", function (event) {
          event.preventDefault();
          choose(index);
        });
        listbox.appendChild(option);
      });
      if (found.length) {
        listbox.hidden = false;
        input.setAttribute("aria-expanded", "true");
        say(found.length === 1 ? words.wordsOne : words.wordsMany.replace("%(count)s", found.length));
      } else {
        close();
        say(words.wordsNone);
      }
    }

    function highlight(index) {
      var options = listbox.querySelectorAll("[role=option]");
      if (!options.length) {
        return;
      }
      active = (index + options.length) % options.length;
      Array.prototype.forEach.call(options, function (option, position) {
        option.setAttribute("aria-selected", position === active ? "true" : "false");
        option.classList.toggle("signpost-practice__option--active", position === active);
      });
      input.setAttribute("aria-activedescendant", options[active].id);
      options[active].scrollIntoView({ block: "nearest" });
    }

    function radioFor(practice) {
      var name = picker.querySelector("input[type=radio]").name;
      var id = input.id.replace(/_query$/, "_choice") + "_chosen";
      var item = document.createElement("div");
      item.className = "nhsuk-radios__item";
      var radio = document.createElement("input");
      radio.className = "nhsuk-radios__input";
      radio.type = "radio";
      radio.name = name;
      radio.id = id;
      radio.value = practice.ods_code;
      radio.checked = true;
      radio.setAttribute("aria-describedby", id + "-hint");
      var label = document.createElement("label");
      label.className = "nhsuk-label nhsuk-radios__label";
      label.htmlFor = id;
      label.textContent = practice.name;
      var hint = document.createElement("div");
      hint.className = "nhsuk-hint nhsuk-radios__hint";
      hint.id = id + "-hint";
      hint.textContent = describe(practice);
      item.appendChild(radio);
      item.appendChild(label);
      item.appendChild(hint);
      return item;
    }

    function choose(index) {
      var practice = practices[index];
      if (!practice) {
        return;
      }
      // The chosen practice is the one radio of the list: the others belonged to an older search.
      results.textContent = "";
      results.appendChild(radioFor(practice));
      var found = picker.querySelector(".signpost-practice__found");
      if (found) {
        found.parentNode.removeChild(found);
      }
      input.value = practice.name;
      close();
      say(words.wordsChosen + " " + practice.name + ", " + describe(practice));
    }

    function search() {
      var query = input.value.trim();
      if (query.length < MIN_LENGTH) {
        close();
        return;
      }
      var ticket = ++latest;
      fetch(url + "?q=" + encodeURIComponent(query), { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) {
            throw new Error(response.status);
          }
          return response.json();
        })
        .then(function (body) {
          // An older answer arriving late never replaces a newer one.
          if (ticket === latest) {
            show(body.results || []);
          }
        })
        .catch(function () {
          if (ticket === latest) {
            close();
            say(words.wordsFailed);
          }
        });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(search, DELAY_MS);
    });

    input.addEventListener("keydown", function (event) {
      var open = !listbox.hidden;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (!open && practices.length) {
          listbox.hidden = false;
          input.setAttribute("aria-expanded", "true");
        }
        highlight(active + 1);
      } else if (event.key === "ArrowUp") {
        if (open) {
          event.preventDefault();
          highlight(active - 1);
        }
      } else if (event.key === "Enter") {
        // With a practice highlighted, Enter chooses it; otherwise it presses "Find practice" as before.
        if (open && active >= 0) {
          event.preventDefault();
          choose(active);
        }
      } else if (event.key === "Escape") {
        if (open) {
          event.preventDefault();
          close();
        }
      }
    });

    input.addEventListener("blur", function () {
      close();
    });

    // "Find practice" is the form's first submit button, so without this Enter in any other box would
    // search for a practice instead of sending the form: here Enter sends the form, as people expect.
    var form = input.form;
    if (form) {
      form.addEventListener("keydown", function (event) {
        var target = event.target;
        if (event.key !== "Enter" || target === input || target.tagName !== "INPUT") {
          return;
        }
        if (["submit", "button", "file", "reset"].indexOf(target.type) !== -1) {
          return;
        }
        var buttons = Array.prototype.filter.call(
          form.querySelectorAll("button[type=submit], input[type=submit]"),
          function (button) { return button.name !== "find_practice"; }
        );
        if (!buttons.length) {
          return;
        }
        event.preventDefault();
        var send = buttons[buttons.length - 1];
        if (form.requestSubmit) {
          form.requestSubmit(send);
        } else {
          send.click();
        }
      });
    }
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-practice-picker]"), init);
})();
