// "Use my location", an enhancement of the find page's search form (#signpost-find).
// The button appears only where the browser can find the person's location; it fills the
// form's latitude and longitude (hidden inputs the search accepts and checks) and searches.
// The postcode field stays the way to search without JavaScript, or without sharing a location.
// Its words come from the form's data-locate-* attributes, so that they are translated with the page.
(function () {
  "use strict";

  var form = document.getElementById("signpost-find");
  var postcode = document.getElementById("id_postcode");
  if (!form || !postcode || !("geolocation" in navigator) || !form.dataset.locateButton) {
    return;
  }
  var words = form.dataset;

  var wrapper = document.createElement("div");
  wrapper.className = "signpost-locate";
  var button = document.createElement("button");
  button.type = "button";
  button.className = "nhsuk-button nhsuk-button--secondary nhsuk-button--small signpost-locate__button";
  button.textContent = words.locateButton;
  // A live region: "finding your location" and any failure are read out where they happen.
  var status = document.createElement("p");
  status.className = "nhsuk-body-s signpost-locate__status";
  status.setAttribute("role", "status");
  wrapper.appendChild(button);
  wrapper.appendChild(status);
  var group = postcode.closest(".nhsuk-form-group") || postcode;
  group.parentNode.insertBefore(wrapper, group.nextSibling);

  function hidden(name, value) {
    var input = form.querySelector('input[type="hidden"][name="' + name + '"]');
    if (!input) {
      input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      form.appendChild(input);
    }
    input.value = value;
  }

  function failed(message) {
    button.disabled = false;
    button.removeAttribute("aria-disabled");
    status.textContent = message;
    postcode.focus();
  }

  button.addEventListener("click", function () {
    button.disabled = true;
    button.setAttribute("aria-disabled", "true");
    status.textContent = words.locateFinding;
    navigator.geolocation.getCurrentPosition(
      function (position) {
        hidden("latitude", position.coords.latitude.toFixed(6));
        hidden("longitude", position.coords.longitude.toFixed(6));
        // A postcode in the box would win over the location (the server prefers what was typed).
        postcode.value = "";
        // Every search is a fresh first page.
        var page = form.querySelector('input[name="page"]');
        if (page) {
          page.parentNode.removeChild(page);
        }
        form.submit();
      },
      function (error) {
        failed(error && error.code === 1 ? words.locateDenied : words.locateFailed);
      },
      { enableHighAccuracy: false, timeout: 15000, maximumAge: 5 * 60 * 1000 }
    );
  });
})();
