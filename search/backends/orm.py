"""The query's session rule in Django's ORM, shared by the database backend and by hydration.

Which sessions qualify an activity (not ended; within the radius; on the chosen days, times of
day and accessibility) and how far away each is. The database backend ranks with these;
``hydration`` uses them to pick each hit's venue and next session, for every backend. This
module sits below both, so the Elasticsearch backend never depends on the database backend.
"""

from __future__ import annotations

from django.db.models import F, FloatField, Q, Value
from django.db.models.functions import ASin, Cast, Cos, Least, Power, Radians, Sin, Sqrt
from django.utils import timezone

from search.backends.base import bounding_box, radius_of_curvature_miles
from search.types import SearchQuery


def _float(expression):
    return Cast(expression, FloatField())


def distance_expression(query: SearchQuery, prefix: str = ""):
    """Great-circle miles from the query's location to ``<prefix>venue``, in SQL (haversine)."""
    location = query.location
    radius = radius_of_curvature_miles(location.latitude)
    lat = Radians(_float(F(f"{prefix}venue__latitude")))
    lng = Radians(_float(F(f"{prefix}venue__longitude")))
    lat0 = Value(location.latitude * 0.017453292519943295)
    lng0 = Value(location.longitude * 0.017453292519943295)
    half_chord = Power(Sin((lat - lat0) / 2), 2) + Cos(lat0) * Cos(lat) * Power(Sin((lng - lng0) / 2), 2)
    # Least() guards asin against rounding just above 1 for antipodal points.
    return Value(2 * radius) * ASin(Sqrt(Least(half_chord, Value(1.0))))


def session_filter(query: SearchQuery, prefix: str = "") -> Q:
    """What one session (and its venue) must satisfy for its activity to qualify."""
    q = Q(**{f"{prefix}valid_to__isnull": True}) | Q(**{f"{prefix}valid_to__gte": timezone.localdate()})
    if query.location is not None:
        south, north, west, east = bounding_box(query.location.latitude, query.location.longitude, query.radius_miles)
        q &= Q(**{f"{prefix}venue__latitude__range": (round(south, 6), round(north, 6))})
        q &= Q(**{f"{prefix}venue__longitude__range": (round(west, 6), round(east, 6))})
    if query.weekdays:
        q &= Q(**{f"{prefix}weekday__in": sorted(query.weekdays)})
    if query.times_of_day:
        times = Q()
        for period in query.times_of_day:
            window = Q(**{f"{prefix}start_time__gte": period.starts_from})
            if period.starts_before is not None:
                window &= Q(**{f"{prefix}start_time__lt": period.starts_before})
            times |= window
        q &= times
    for feature in query.accessibility:
        q &= Q(**{f"{prefix}venue__{feature.value}": True})
    return q
