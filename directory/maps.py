"""Maps as an enhancement: the data a page's map is drawn from.

A page with a map puts ``{{ map_data|json_script:"signpost-map-data" }}`` and an empty
``<div data-signpost-map></div>`` where the map belongs; ``site/static/js/map.js`` draws it with
Leaflet. Every place on a map is also on the page as text (the results list, the venue's
address), so without JavaScript, or with a failed tile server, nothing is lost.

The directory's own pages map venues (``venue_map_data``, the ``directory_tags`` template
tag); search maps its results with the same ``map_data``.
"""

from django.conf import settings
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _


def coordinate(value) -> float:
    # Venues store Decimals; JSON (and Leaflet) want numbers, and six places is ~10 cm.
    return round(float(value), 6)


def map_data(*, label: str, places: list[dict], centre: dict | None = None) -> dict:
    """Everything map.js needs: tiles and their attribution (settings.SIGNPOST_MAP), marker
    images (through ``static`` so that hashed production file names work), the places, the
    searched location, and the few words it shows, translated here."""
    return {
        "label": label,
        "tiles": {"url": settings.SIGNPOST_MAP["TILE_URL"], "attribution": settings.SIGNPOST_MAP["ATTRIBUTION"]},
        "icons": {
            "icon": static("leaflet/images/marker-icon.png"),
            "icon2x": static("leaflet/images/marker-icon-2x.png"),
            "shadow": static("leaflet/images/marker-shadow.png"),
        },
        "centre": centre,
        "places": places,
        "text": {
            "skip": _("Skip the map"),
            "miles": _("miles away"),
            "centre": _("Your search"),
        },
    }


def venue_map_data(venues, *, link: bool = True) -> dict | None:
    """The map of an activity's venues (each linking to its venue page) or of one venue's own
    page (``link=False``, given the venue itself); None when no venue has coordinates."""
    if hasattr(venues, "latitude"):
        venues = [venues]
    places = [
        {
            "title": venue.name,
            "url": reverse("directory:venue_detail", args=[venue.pk]) if link else "",
            "lat": coordinate(venue.latitude),
            "lng": coordinate(venue.longitude),
            "distance": None,
            "venue": "",
        }
        for venue in venues
        if venue.latitude is not None and venue.longitude is not None
    ]
    if not places:
        return None
    label = _("Map of where this activity happens") if link else _("Map of %(venue)s") % {"venue": places[0]["title"]}
    return map_data(label=label, places=places)
