// The commissioners' gaps in provision on Signpost's map: the same Leaflet, tiles and
// attribution as the directory's maps (directory/maps.py), drawn into the gaps section's empty
// [data-signpost-gap-map] slot from its JSON data island (#signpost-map-data, built by
// reporting/views.py). One point per postcode district: a gap is a red point with a heavy
// outline and "gap" in its label, so colour never carries the meaning alone. If the tiles cannot
// load (offline, a blocked tile server) the points still stand on the map's plain background;
// the table below is the equivalent, and "Show as a table" leads to it. Without JavaScript the
// slot stays empty and the table is all there is.
(function () {
  "use strict";

  var island = document.getElementById("signpost-map-data");
  var slot = document.querySelector("[data-signpost-gap-map]");
  if (!island || !slot || !window.L) {
    return;
  }
  var data;
  try {
    data = JSON.parse(island.textContent);
  } catch (error) {
    return;
  }
  if (!data || !data.places || !data.places.length) {
    return;
  }
  var L = window.L;
  var text = data.text || {};

  function element(tag, className, content) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (content) {
      node.textContent = content;
    }
    return node;
  }

  var endId = "signpost-gap-map-end";
  var skip = element("a", "nhsuk-link nhsuk-u-visually-hidden-focusable signpost-map__skip", text.skip);
  skip.href = "#" + endId;
  var container = element("div", "signpost-map signpost-gap-map");
  container.setAttribute("role", "region");
  container.setAttribute("aria-label", data.label);
  var end = element("span", "signpost-map__end");
  end.id = endId;
  end.tabIndex = -1;
  slot.appendChild(skip);
  slot.appendChild(container);
  slot.appendChild(end);
  slot.classList.add("signpost-map-slot--drawn");

  var map = L.map(container, { scrollWheelZoom: false, dragging: !L.Browser.mobile, keyboard: true });
  L.tileLayer(data.tiles.url, { attribution: data.tiles.attribution, maxZoom: 19 }).addTo(map);

  var points = [];
  data.places.forEach(function (place) {
    var position = [place.lat, place.lng];
    var box = element("div", "signpost-map__popup");
    box.appendChild(element("p", "signpost-map__venue", place.title));
    var list = element("ul", "signpost-map__list");
    (place.detail || []).forEach(function (line) {
      list.appendChild(element("li", "", line));
    });
    box.appendChild(list);
    L.circleMarker(position, place.gap
      ? { radius: 12, color: "#212b32", weight: 4, fillColor: "#d5281b", fillOpacity: 0.9 }
      : { radius: 9, color: "#212b32", weight: 2, fillColor: "#005eb8", fillOpacity: 0.8 })
      .bindTooltip(place.title + (place.gap ? " (" + place.detail[0] + ")" : ""), { permanent: true, direction: "right" })
      .bindPopup(box)
      .addTo(map);
    points.push(position);
  });

  if (points.length === 1) {
    map.setView(points[0], 12);
  } else {
    map.fitBounds(points, { padding: [48, 48], maxZoom: 13 });
  }
})();
