// Maps, an enhancement. Draws the map a page describes in its JSON data island
// (#signpost-map-data, built by directory/maps.py) into its empty
// [data-signpost-map] slot, with Leaflet. The page already lists the same places as text (the
// results list, a venue's address, the gaps table), so if Leaflet, the tile server or this script
// fails, or JavaScript is off, nothing is lost and no empty box is left behind.
//
// Two kinds of map share the set-up: activities at their venues (markers), and the commissioners'
// gaps in provision (a slot also marked [data-signpost-gap-map], built by reporting/views.py): one
// point per postcode district, a gap a red point with a heavy outline and "gap" in its label, so
// colour never carries the meaning alone. If the tiles cannot load the points still stand on the
// map's plain background.
(function () {
  "use strict";

  var island = document.getElementById("signpost-map-data");
  var slot = document.querySelector("[data-signpost-map]");
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
      node.textContent = content; // titles are editors' text: never parsed as HTML
    }
    return node;
  }

  // Keyboard users meet a skip link first: the map and its controls are several tab stops,
  // and everything on the map is also in the page's text.
  var endId = "signpost-map-end";
  var skip = element("a", "nhsuk-link nhsuk-u-visually-hidden-focusable signpost-map__skip", text.skip);
  skip.href = "#" + endId;
  var gaps = slot.hasAttribute("data-signpost-gap-map");
  var container = element("div", gaps ? "signpost-map signpost-gap-map" : "signpost-map");
  container.setAttribute("role", "region");
  container.setAttribute("aria-label", data.label);
  var end = element("span", "signpost-map__end");
  end.id = endId;
  end.tabIndex = -1;
  slot.appendChild(skip);
  slot.appendChild(container);
  slot.appendChild(end);
  slot.classList.add("signpost-map-slot--drawn");

  var map = L.map(container, {
    // The page scrolls under a mouse wheel or a finger, not the map; buttons, keys and pinch zoom it.
    scrollWheelZoom: false,
    dragging: !L.Browser.mobile,
    keyboard: true,
  });
  L.tileLayer(data.tiles.url, { attribution: data.tiles.attribution, maxZoom: 19 }).addTo(map);

  function fit(points, zoom, padding) {
    if (points.length === 1) {
      map.setView(points[0], zoom);
    } else {
      map.fitBounds(points, { padding: [padding, padding], maxZoom: zoom });
    }
  }

  if (gaps) {
    fit(data.places.map(function (place) {
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
      return position;
    }), 12, 48);
    return;
  }

  var icon = L.icon({
    iconUrl: data.icons.icon,
    iconRetinaUrl: data.icons.icon2x,
    shadowUrl: data.icons.shadow,
    iconSize: [25, 41],
    iconAnchor: [12, 41],
    popupAnchor: [1, -34],
    shadowSize: [41, 41],
  });

  // Activities at one venue share one marker (their popup lists them all), so that none hides
  // under another.
  var venues = [];
  var byPosition = {};
  data.places.forEach(function (place) {
    var key = place.lat.toFixed(6) + "," + place.lng.toFixed(6);
    if (!byPosition[key]) {
      byPosition[key] = [];
      venues.push(byPosition[key]);
    }
    byPosition[key].push(place);
  });

  function popupFor(places) {
    var box = element("div", "signpost-map__popup");
    if (places[0].venue) {
      box.appendChild(element("p", "signpost-map__venue", places[0].venue));
    }
    var list = element("ul", "signpost-map__list");
    places.forEach(function (place) {
      var item = element("li");
      if (place.url) {
        var link = element("a", "nhsuk-link", place.title);
        link.href = place.url;
        item.appendChild(link);
      } else {
        item.appendChild(element("span", "", place.title));
      }
      if (place.distance !== null && place.distance !== undefined) {
        item.appendChild(document.createTextNode(" (" + place.distance.toFixed(1) + " " + text.miles + ")"));
      }
      list.appendChild(item);
    });
    box.appendChild(list);
    return box;
  }

  var points = [];
  venues.forEach(function (places) {
    var titles = places.map(function (place) { return place.title; }).join(", ");
    var name = places[0].venue ? places[0].venue + ": " + titles : titles;
    var position = [places[0].lat, places[0].lng];
    // alt names the marker for screen readers. Markers are for pointers only, not tab stops:
    // close venues' markers overlap (too small a target to be a control, WCAG 2.5.8) and there
    // can be dozens; the list on the page reaches every activity by keyboard.
    L.marker(position, { icon: icon, alt: name, title: name, keyboard: false })
      .bindPopup(popupFor(places))
      .addTo(map);
    points.push(position);
  });

  if (data.centre) {
    var centre = [data.centre.lat, data.centre.lng];
    L.circleMarker(centre, { radius: 8, color: "#212b32", weight: 3, fillColor: "#ffeb3b", fillOpacity: 1 })
      .bindPopup(element("p", "signpost-map__venue", (text.centre || "") + ": " + data.centre.label))
      .addTo(map);
    points.push(centre);
  }

  fit(points, 15, 32);
})();
