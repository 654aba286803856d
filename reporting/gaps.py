"""Gaps in provision: where people are referred for a need and little nearby meets it.

For each postcode district and top-level need in the cohort: demand is the number of
referrals from residents in that district naming the need (or a term under it); supply is
the number of activities the public can find now, for that need (or a term under it), with
room (no capacity recorded, or more than none), that meet in person within
``GAP_DISTANCE_MILES`` of where the district's demand is (the mean position of its referred
residents' postcodes); activities online or by phone are counted beside it, not as local supply. A
combination is a gap when demand is at least ``GAP_MIN_DEMAND`` and local supply at most
``GAP_MAX_SUPPLY``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db.models import F, Q, QuerySet

from directory import selectors as directory
from referrals import selectors
from reporting.figures import top_level_needs
from reporting.scope import ReportFilter
from reporting.sql import PostcodeDistrict, select_over, top_level_need

EARTH_RADIUS_MILES = 3958.8


@dataclass(frozen=True)
class AreaNeed:
    district: str
    need: str
    demand: int
    supply: int
    remote_supply: int
    latitude: float | None
    longitude: float | None
    is_gap: bool


def miles_between(lat1, lng1, lat2, lng2) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lng2 - lng1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * math.asin(math.sqrt(a))


def gaps_in_provision(*, referrals: QuerySet, filters: ReportFilter) -> list[AreaNeed]:
    """Every district and need with demand in the period, gaps first, then by demand."""
    demand, at_postcode = gaps_demand(referrals=referrals, filters=filters)
    return gaps_from(demand, at_postcode)


def gaps_demand(*, referrals: QuerySet, filters: ReportFilter) -> tuple[dict[tuple[str, int], int], dict[str, int]]:
    """The cohort's side of the gaps (what a closed period stores): referrals per district and
    top-level need, and referrals naming a need per postcode (where each district's demand is)."""
    cohort = filters.apply(referrals)
    tops = top_level_needs()
    # Counted in the database, in one query over the cohort's (referral, postcode, top-level need)
    # rows: referrals per district and need, and referrals naming a need per postcode.
    needs = (
        selectors.referral_needs(cohort.values("pk"))
        .annotate(postcode=F("referral__resident__postcode"), district=PostcodeDistrict("referral__resident__postcode"),
                  top=top_level_need("needterm_id", tops))
        .values("referral_id", "postcode", "district", "top")
        .distinct()
    )
    rows = select_over(needs, "WITH x AS ({inner}) "
                              "SELECT 1, x.district, x.top, COUNT(*) FROM x GROUP BY x.district, x.top "
                              "UNION ALL SELECT 2, x.postcode, NULL, COUNT(DISTINCT x.referral_id) FROM x "
                              "WHERE x.postcode <> '' GROUP BY x.postcode")
    demand = {(district, top): n for kind, district, top, n in rows if kind == 1 and district and top is not None}
    if not demand:
        return {}, {}
    return demand, {postcode: n for kind, postcode, _top, n in rows if kind == 2}


def gaps_from(demand: dict[tuple[str, int], int], at_postcode: dict[str, int]) -> list[AreaNeed]:
    """The gaps, from the cohort's demand (``gaps_demand``) and what the directory offers now."""
    if not demand:
        return []
    config = settings.SIGNPOST_REPORTING
    tops = top_level_needs()
    # Where each district's demand is: the mean position of its referred residents' postcodes
    # (those who named a need), from the count of referrals at each postcode.
    positions = directory.postcode_positions(sorted(at_postcode))
    weighted: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
    # In postcode order: the sums (and so the positions) do not depend on the order the counts came in.
    for postcode, count in sorted(at_postcode.items()):
        if postcode in positions:
            sums = weighted[postcode.split(" ")[0].upper()]
            sums[0] += positions[postcode][0] * count
            sums[1] += positions[postcode][1] * count
            sums[2] += count
    centres = {district: (lat / n, lng / n) for district, (lat, lng, n) in weighted.items()}
    local, remote = _supply(tops)
    names = {top_id: name for top_id, name in tops.values()}

    # Each district's nearby in-person activities, measured once per district (not per need) and
    # once per place (activities share venues), with a cheap box test before the great circle.
    activities_at: dict[tuple[float, float], set[int]] = defaultdict(set)
    for by_activity in local.values():
        for activity_id, spots in by_activity.items():
            for spot in spots:
                activities_at[spot].add(activity_id)
    radius = config["GAP_DISTANCE_MILES"]
    nearby = {}
    for district, (lat, lng) in centres.items():
        dlat = radius / 69.0 + 1e-9
        dlng = radius / (69.0 * max(math.cos(math.radians(lat)), 0.01)) + 1e-9
        nearby[district] = {
            activity_id
            for (spot_lat, spot_lng), activity_ids in activities_at.items()
            if abs(spot_lat - lat) <= dlat and abs(spot_lng - lng) <= dlng
            and miles_between(lat, lng, spot_lat, spot_lng) <= radius
            for activity_id in activity_ids
        }
    rows = []
    for (district, need_id), count in demand.items():
        latitude, longitude = centres.get(district, (None, None))
        supply = len(nearby.get(district, set()) & local.get(need_id, {}).keys())
        rows.append(
            AreaNeed(
                district=district,
                need=names[need_id],
                demand=count,
                supply=supply,
                remote_supply=remote.get(need_id, 0),
                latitude=latitude,
                longitude=longitude,
                is_gap=count >= config["GAP_MIN_DEMAND"] and supply <= config["GAP_MAX_SUPPLY"],
            )
        )
    return sorted(rows, key=lambda row: (not row.is_gap, -row.demand, row.supply, row.district, row.need))


def _supply(tops) -> tuple[dict[int, dict[int, list[tuple[float, float]]]], dict[int, int]]:
    """For each top-level need: each in-person activity's venue positions, and the count of remote activities."""
    activities = directory.public_activities().filter(Q(capacity_per_session__isnull=True) | Q(capacity_per_session__gt=0))
    activity_ids = set(activities.values_list("pk", flat=True))
    needs_of: dict[int, set[int]] = defaultdict(set)
    for activity_id, need_id in directory.activity_needs(activity_ids).values_list("activitypage_id", "needterm_id"):
        needs_of[activity_id].add(tops[need_id][0])
    places: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for activity_id, lat, lng in directory.activity_places(activity_ids):
        places[activity_id].append((float(lat), float(lng)))
    remote_ids = set(activities.filter(Q(online=True) | Q(by_phone=True)).values_list("pk", flat=True))

    local: dict[int, dict[int, list]] = defaultdict(dict)
    remote: dict[int, int] = defaultdict(int)
    for activity_id, need_ids in needs_of.items():
        for need_id in need_ids:
            if places.get(activity_id):
                local[need_id][activity_id] = places[activity_id]
            if activity_id in remote_ids:
                remote[need_id] += 1
    return local, remote
