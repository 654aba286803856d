"""Maps as an enhancement: the data a page of search results draws its map from.

A page with a map puts ``{{ map_data|json_script:"signpost-map-data" }}`` and an empty
``<div data-signpost-map></div>`` where the map belongs; ``site/static/js/map.js`` draws it with
Leaflet. Every place on a map is also on the page as text (the results list, the venue's
address), so without JavaScript, or with a failed tile server, nothing is lost.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from directory.maps import coordinate as _coordinate
from directory.maps import map_data


def _miles(value: float | None) -> float | None:
    # Rounded as the results list shows it (floatformat rounds half up), so the two agree.
    if value is None:
        return None
    return float(Decimal(repr(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def results_map_data(results) -> dict | None:
    """The map of a page of search results: one place per result whose venue has coordinates,
    and the searched location; None when no result can be shown on a map."""
    if results is None:
        return None
    places = [
        {
            "title": hit.title,
            "url": hit.url,
            "lat": _coordinate(hit.venue.latitude),
            "lng": _coordinate(hit.venue.longitude),
            "distance": _miles(hit.distance_miles),
            "venue": hit.venue.name,
        }
        for hit in results.hits
        if hit.venue is not None and hit.venue.latitude is not None and hit.venue.longitude is not None
    ]
    if not places:
        return None
    location = results.query.location
    centre = None
    if location is not None:
        centre = {
            "lat": _coordinate(location.latitude),
            "lng": _coordinate(location.longitude),
            "label": location.postcode or _("Your location"),
        }
    return map_data(label=_("Map of the activities found"), places=places, centre=centre)
