"""What the ORUK API answers, read from the directory: pages of services, services at locations,
taxonomies and taxonomy terms, and each of them by id. Only what the public directory shows
(``directory.selectors.public_activities``); the ORUK objects are written by
``directory.oruk.writing``, as in the file export, so the ids are the export's.

A page takes a fixed number of queries, whatever its size: the page's ids and the number of
items in all (``_page_rows``), then one query each for what its items hold (the activities' own
fields; organisations; venues; sessions and needs for a full service).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from django.db.models import CharField, Count, Exists, F, Func, Min, OuterRef, Q, Value, Window
from django.db.models.functions import Concat, Length, Substr
from django.utils import timezone

from directory.models import ActivityPage, ActivitySession, NeedTerm, OrganisationPage, Venue
from directory.oruk.exporter import organisations_of, with_service_relations
from directory.oruk.writing import (
    SERVICE_ID_PREFIX,
    service_at_location_id,
    service_at_location_to_oruk,
    service_summary_to_oruk,
    service_to_oruk,
    taxonomy_id,
    taxonomy_to_oruk,
    term_to_oruk,
)
from directory.selectors import public_activities
from search.backends.base import Taxonomy, bounding_box
from search.backends.database import DatabaseSearchBackend
from search.backends.orm import distance_expression
from search.oruk.params import MAX_ID, OrukQuery
from search.types import SearchQuery

_NeedLink = ActivityPage.needs.through
# The text rule of the search pages (PostgreSQL full text and trigrams, or substrings on
# SQLite), in SQL, so that it combines with the profile's filters in one query. The database
# backend rather than the configured engine: a page of ORUK results is one SQL query whichever
# engine the search pages use.
_text_search = DatabaseSearchBackend("oruk", {})


@dataclass(frozen=True)
class OrukPage:
    """A page of a list, with the header the profile and its validator expect."""

    contents: list[dict]
    total_items: int
    page: int
    per_page: int

    def as_json(self) -> dict:
        total_pages = max(1, math.ceil(self.total_items / self.per_page))
        return {
            "total_items": self.total_items,
            "total_pages": total_pages,
            "page_number": self.page,
            "size": len(self.contents),
            "first_page": self.page == 1,
            "last_page": self.page >= total_pages,
            "empty": not self.contents,
            "contents": self.contents,
        }


def _plausible_id(value: str) -> bool:
    return 0 < len(value) <= MAX_ID and "\x00" not in value


# --- Which activities -----------------------------------------------------------------------


def _session_filter(query: OrukQuery) -> Q:
    """A session that runs on the asked days, starting at or after ``start_time`` and ending
    at or before ``end_time``, and has not ended."""
    q = Q(valid_to__isnull=True) | Q(valid_to__gte=timezone.localdate())
    if query.days:
        q &= Q(weekday__in=sorted(query.days))
    if query.start_time is not None:
        q &= Q(start_time__gte=query.start_time)
    if query.end_time is not None:
        q &= Q(end_time__lte=query.end_time)
    return q


def _terms_filter(query: OrukQuery) -> Q:
    if not (query.taxonomy_term_id or query.taxonomy_id):
        return Q()
    rows = list(NeedTerm.objects.values_list("pk", "oruk_id", "parent_id", "vocabulary"))
    q = Q()
    if query.taxonomy_term_id:
        # A term includes the terms below it, as the search pages' need filter does.
        wanted = {pk for pk, oruk_id, _, _ in rows if oruk_id == query.taxonomy_term_id}
        frontier = wanted
        while frontier:
            frontier = {pk for pk, _, parent_id, _ in rows if parent_id in frontier} - wanted
            wanted |= frontier
        q &= Q(Exists(_NeedLink.objects.filter(activitypage_id=OuterRef("pk"), needterm_id__in=wanted)))
    if query.taxonomy_id:
        in_taxonomy = {pk for pk, _, _, vocabulary in rows if taxonomy_id(vocabulary) == query.taxonomy_id}
        q &= Q(Exists(_NeedLink.objects.filter(activitypage_id=OuterRef("pk"), needterm_id__in=in_taxonomy)))
    return q


def _modified_filter(query: OrukQuery) -> Q:
    """Changed since ``modified_after``: the activity or its organisation published since (the
    rule of ``writing.service_modified``, which gives each service's ``last_modified``)."""
    since = query.modified_after
    parent_path = Substr(OuterRef("path"), 1, Length(OuterRef("path")) - Value(ActivityPage.steplen))
    organisation_changed = OrganisationPage.objects.filter(path=parent_path, last_published_at__gte=since)
    return Q(last_published_at__gte=since) | Q(Exists(organisation_changed))


def matching_activities(query: OrukQuery):
    """Publicly listed activities that pass the query's filters, in the order the pages list them:
    by relevance when there is text to search for (then by id), else by id."""
    if query.search:
        activities = _text_search.matching(SearchQuery(text=query.search), Taxonomy.load())
    else:
        activities = public_activities()
    activities = activities.filter(_terms_filter(query))
    if query.minimum_age is not None:
        # "A minimum age of at least" the value; no minimum is a minimum of 0.
        ages = Q(min_age__gte=math.ceil(query.minimum_age))
        if query.minimum_age <= 0:
            ages |= Q(min_age__isnull=True)
        activities = activities.filter(ages)
    if query.maximum_age is not None:
        # "A maximum age equal to or below" the value; no maximum is no limit, never below it.
        activities = activities.filter(max_age__lte=math.floor(query.maximum_age))
    if query.has_session_filters:
        sessions = ActivitySession.objects.filter(activity_id=OuterRef("pk")).filter(_session_filter(query))
        activities = activities.filter(Exists(sessions))
    if query.modified_after is not None:
        activities = activities.filter(_modified_filter(query))
    if "relevance" in activities.query.annotations:
        return activities.order_by(F("relevance").desc(), "pk")
    return activities.order_by("pk")


# --- Services -------------------------------------------------------------------------------


# What a summary of a service reads of its activity (``service_summary_to_oruk``, the page's URL
# and its organisation by tree path): a page of 50 leaves the long page columns unread.
_SUMMARY_FIELDS = (
    "oruk_id", "title", "summary", "description", "contact_email", "status", "min_age", "max_age",
    "eligibility_notes", "last_reviewed", "last_published_at", "latest_revision_created_at",
    "path", "depth", "url_path", "locale_id",
)


def _page_rows(rows, query: OrukQuery, *fields: str, count_apart: bool = False) -> tuple[list[tuple], int]:
    """The page's rows (``fields`` of each) and how many rows there are in all: by default in one
    query, the total a window count beside each row, so that costly filters (text, distance) run
    once; with ``count_apart``, a count and then the page, which is quicker for a plain list read
    from indexes alone (a window count holds every row before the first leaves). A page past the
    end has no row to carry the count, so there the rows are counted apart too."""
    if count_apart:
        total = rows.count()
        page = list(rows.values_list(*fields)[query.offset : query.offset + query.per_page]) if query.offset < total else []
        return page, total
    page = list(
        rows.annotate(total_items=Window(Count("*")))
        .values_list(*fields, "total_items")[query.offset : query.offset + query.per_page]
    )
    total = page[0][-1] if page else (rows.count() if query.offset else 0)
    return [row[:-1] for row in page], total


def _summaries(activity_ids) -> dict[int, dict]:
    """The summary of each activity (``service_list.json``), by id: two queries."""
    activities = ActivityPage.objects.only(*_SUMMARY_FIELDS).in_bulk(activity_ids)
    organisations = organisations_of(activities.values())
    return {
        pk: service_summary_to_oruk(activity, organisation=organisations[pk], url=activity.get_full_url())
        for pk, activity in activities.items()
    }


def services_page(query: OrukQuery) -> OrukPage:
    # Text is searched once, with the count beside it; otherwise the list is counted and paged
    # from the indexes on the listed activities' ids.
    rows, total = _page_rows(matching_activities(query), query, "pk", count_apart=not query.search)
    summaries = _summaries([pk for pk, in rows])
    return OrukPage([summaries[pk] for pk, in rows], total, query.page, query.per_page)


def _full_service(activity) -> dict:
    organisation = organisations_of([activity])[activity.pk]
    return service_to_oruk(activity, organisation=organisation, url=activity.get_full_url())


def service_detail(oruk_id: str) -> dict | None:
    """The fully nested service, if the public directory lists it."""
    if not _plausible_id(oruk_id):
        return None
    activity = with_service_relations(public_activities().filter(oruk_id=oruk_id)).first()
    return _full_service(activity) if activity is not None else None


# --- Services at locations ----------------------------------------------------------------------


def _service_venue_pairs(query: OrukQuery):
    """(activity_id, venue_id) of each matching activity's venues, nearest first with a postcode."""
    sessions = ActivitySession.objects.filter(
        activity__in=matching_activities(query).order_by().values("pk"), venue__isnull=False
    )
    if query.has_session_filters:
        sessions = sessions.filter(_session_filter(query))
    pairs = sessions.values("activity_id", "venue_id")
    if query.location is None:
        return pairs.annotate(first=Min("pk")).order_by("activity_id", "venue_id")
    radius = query.proximity_miles
    located = SearchQuery(location=query.location, radius_miles=radius)
    south, north, west, east = bounding_box(query.location.latitude, query.location.longitude, radius)
    # The box uses the venues' indexed coordinates; the exact distance is computed inside it.
    pairs = sessions.filter(
        venue__latitude__range=(round(south, 6), round(north, 6)),
        venue__longitude__range=(round(west, 6), round(east, 6)),
    ).values("activity_id", "venue_id")
    return (
        pairs.annotate(distance=Min(distance_expression(located)))
        .filter(distance__lte=radius)
        .order_by("distance", "activity_id", "venue_id")
    )


def service_at_locations_page(query: OrukQuery) -> OrukPage:
    rows, total = _page_rows(_service_venue_pairs(query), query, "activity_id", "venue_id")
    services = _summaries({activity_id for activity_id, _ in rows})
    venues = Venue.objects.in_bulk({venue_id for _, venue_id in rows})
    contents = [
        service_at_location_to_oruk(services[activity_id], venues[venue_id], full=False) for activity_id, venue_id in rows
    ]
    return OrukPage(contents, total, query.page, query.per_page)


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _pair_with_id(activities, sal_id: str) -> tuple[int, int] | None:
    """(activity id, venue id) of the service at a location ``sal_id`` among ``activities``."""
    pairs = (
        ActivitySession.objects.filter(activity__in=activities.values("pk"), venue__isnull=False)
        .values_list("activity_id", "activity__oruk_id", "venue_id", "venue__oruk_id")
        .distinct()
    )
    return next(
        ((activity_pk, venue_pk) for activity_pk, service_id, venue_pk, location_id in pairs
         if service_at_location_id(service_id, location_id) == sal_id),
        None,
    )


def service_at_location_detail(sal_id: str) -> dict | None:
    """The service at a location, fully nested, if the public directory lists the service there.

    We store no service_at_location rows: their ids are derived from the service's and the
    venue's (``writing.service_at_location_id``) and begin with the service's id when that is a
    UUID, so the service is found by its id's index and the id among its few venues. Services
    whose ids do not begin so (none unless a feed gave them) are looked through apart.
    """
    if not _UUID.fullmatch(sal_id):
        return None  # every id we derive is a UUID
    listed = public_activities()
    found = _pair_with_id(listed.filter(oruk_id__startswith=sal_id[:SERVICE_ID_PREFIX]), sal_id)
    if found is None:
        # Ids not beginning with 12 hex digits and a dash (writing's rule, in string functions:
        # PostgreSQL's regular expressions take ten times as long over a large directory).
        hex_start = Concat(Substr("oruk_id", 1, 8), Substr("oruk_id", 10, 4))
        others = list(
            ActivityPage.objects.alias(
                length=Length("oruk_id"),
                dash=Substr("oruk_id", 9, 1),
                not_hex=Func(hex_start, Value("0123456789abcdef"), function="LTRIM", output_field=CharField()),
            )
            .exclude(length__gte=SERVICE_ID_PREFIX, dash="-", not_hex="")
            .values_list("pk", flat=True)
        )
        found = _pair_with_id(listed.filter(pk__in=others), sal_id) if others else None
    if found is None:
        return None
    activity = with_service_relations(ActivityPage.objects.filter(pk=found[0])).get()
    venue = next(session.venue for session in activity.sessions.all() if session.venue_id == found[1])
    return service_at_location_to_oruk(_full_service(activity), venue, full=True)


# --- Taxonomies and their terms -------------------------------------------------------------------


def _vocabularies() -> list[str]:
    return list(NeedTerm.objects.order_by("vocabulary").values_list("vocabulary", flat=True).distinct())


def taxonomies_page(query: OrukQuery) -> OrukPage:
    vocabularies = _vocabularies()
    page = vocabularies[query.offset : query.offset + query.per_page]
    return OrukPage([taxonomy_to_oruk(name) for name in page], len(vocabularies), query.page, query.per_page)


def taxonomy_detail(oruk_id: str) -> dict | None:
    """The taxonomy with its terms."""
    if not _plausible_id(oruk_id):
        return None
    vocabulary = next((name for name in _vocabularies() if taxonomy_id(name) == oruk_id), None)
    if vocabulary is None:
        return None
    terms = NeedTerm.objects.filter(vocabulary=vocabulary).select_related("parent").order_by("name", "pk")
    return taxonomy_to_oruk(vocabulary, terms=terms)


def taxonomy_terms_page(query: OrukQuery) -> OrukPage:
    terms = NeedTerm.objects.select_related("parent").order_by("name", "pk")
    total = terms.count()
    page = list(terms[query.offset : query.offset + query.per_page]) if query.offset < total else []
    return OrukPage([term_to_oruk(term) for term in page], total, query.page, query.per_page)


def taxonomy_term_detail(oruk_id: str) -> dict | None:
    if not _plausible_id(oruk_id):
        return None
    term = NeedTerm.objects.select_related("parent").filter(oruk_id=oruk_id).first()
    return term_to_oruk(term) if term is not None else None
