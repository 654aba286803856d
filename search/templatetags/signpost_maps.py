"""Maps as an enhancement: the data a page's map is drawn from, and who sees which call to action.

A page with a map puts ``{{ map_data|json_script:"signpost-map-data" }}`` and an empty
``<div data-signpost-map></div>`` where the map belongs; ``site/static/js/map.js`` draws it with
Leaflet. Every place on a map is also on the page as text (the results list, the venue's
address), so without JavaScript, or with a failed tile server, nothing is lost.
"""

from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.conf import settings
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _

from referrals.roles import LINK_WORKERS_GROUP

register = template.Library()


def _miles(value: float | None) -> float | None:
    # Rounded as the results list shows it (floatformat rounds half up), so the two agree.
    if value is None:
        return None
    return float(Decimal(repr(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _coordinate(value) -> float:
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


@register.simple_tag
def venue_map_data(venues, *, link: bool = True) -> dict | None:
    """The map of an activity's venues (each linking to its venue page) or of one venue's own
    page (``link=False``, given the venue itself); None when no venue has coordinates."""
    if hasattr(venues, "latitude"):
        venues = [venues]
    places = [
        {
            "title": venue.name,
            "url": reverse("directory:venue_detail", args=[venue.pk]) if link else "",
            "lat": _coordinate(venue.latitude),
            "lng": _coordinate(venue.longitude),
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


@register.filter
def is_link_worker(user) -> bool:
    """Whether a signed-in person searches and refers as a link worker (one query, only when signed in)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return user.is_superuser or user.groups.filter(name=LINK_WORKERS_GROUP).exists()
