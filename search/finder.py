"""Finding public activities by need and distance from a postcode.

A first, database-only finder for the public pages: a bounding box on the venues' indexed
coordinates narrows the candidates before exact geodesic distances are computed.
"""

from dataclasses import dataclass
from decimal import Decimal
from math import cos, radians

from geopy.distance import geodesic

from directory.geocoding import Coordinates
from directory.models import ActivitySession, NeedTerm
from directory.selectors import public_activities

_MILES_PER_DEGREE_LATITUDE = 69.05


@dataclass(frozen=True)
class Result:
    activity: object
    venue: object
    distance_miles: float


def bounding_box(centre: Coordinates, radius_miles: float) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    lat, lng = float(centre.latitude), float(centre.longitude)
    d_lat = radius_miles / _MILES_PER_DEGREE_LATITUDE
    d_lng = radius_miles / (_MILES_PER_DEGREE_LATITUDE * max(cos(radians(lat)), 0.01))
    as_decimal = lambda value: Decimal(str(round(value, 6)))  # noqa: E731
    return as_decimal(lat - d_lat), as_decimal(lat + d_lat), as_decimal(lng - d_lng), as_decimal(lng + d_lng)


def find_activities(*, centre: Coordinates, radius_miles: float, needs: list[NeedTerm] | None = None) -> list[Result]:
    """Public activities with a session within ``radius_miles`` of ``centre``, nearest first."""
    activities = public_activities()
    if needs:
        wanted = NeedTerm.objects.filter(pk__in=[n.pk for n in needs]).with_descendants()
        activities = activities.filter(needs__in=wanted)
    south, north, west, east = bounding_box(centre, radius_miles)
    sessions = (
        ActivitySession.objects.filter(
            activity__in=activities.values("pk"),
            venue__latitude__range=(south, north),
            venue__longitude__range=(west, east),
        )
        .select_related("venue", "activity")
        .order_by("pk")
    )
    nearest: dict[int, Result] = {}
    origin = (float(centre.latitude), float(centre.longitude))
    for session in sessions:
        venue = session.venue
        miles = geodesic(origin, (float(venue.latitude), float(venue.longitude))).miles
        if miles > radius_miles:
            continue
        current = nearest.get(session.activity_id)
        if current is None or miles < current.distance_miles:
            nearest[session.activity_id] = Result(session.activity, venue, round(miles, 1))
    return sorted(nearest.values(), key=lambda r: (r.distance_miles, r.activity.title, r.activity.pk))
