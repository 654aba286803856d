"""The Elasticsearch document for an activity, and its mapping.

One document per publicly listed activity. Its sessions are ``nested`` so that every
session filter (distance, day, time, accessibility) applies to one session at a time, as
in the database backend; each session carries a copy of the activity's text so that one
nested query can score ``relevance × distance decay`` (the ranking rule) for its nearest
qualifying session. Activity-level arrays (``days``, ``access``) feed the facets.

``hit`` (stored, not indexed) holds everything a search hit shows, so a page of hits is
rendered from the index (``search.backends.stored_hits``) rather than loaded again from the
database: the URL, organisation, price, needs and each session's schedule and venue.
"""

from __future__ import annotations

import re
import time as _time

from django.db.models import QuerySet
from django.utils.html import strip_tags
from elasticsearch.dsl import Boolean, Byte, Date, GeoPoint, Integer, Keyword, Long, Mapping, Nested, Object, Short, Text
from wagtail.models import Page, Site

from directory.models import ActivityPage, ActivitySession, OrganisationPage
from directory.models.pages import price_text
from search.analyzers import ENGLISH, ENGLISH_WITH_SYNONYMS
from search.page_urls import page_urls
from search.types import Accessibility, DeliveryMode

# Bump when the mapping changes: rebuild_search_index then creates a fresh index.
MAPPING_VERSION = 3

TEXT_FIELDS = {
    "title": 3.0,
    "needs_text": 2.0,
    "summary": 2.0,
    "conditions": 2.0,
    "organisation": 1.0,
    "description": 1.0,
    # The areas an activity with no venue covers (from an Open Referral UK feed's service areas).
    "service_areas": 1.0,
}


def _text(**extra) -> Text:
    return Text(analyzer=ENGLISH, search_analyzer=ENGLISH_WITH_SYNONYMS, **extra)


def mapping() -> dict:
    """The index's mapping (elasticsearch-dsl's field types), as the index is created with it."""
    text_fields = {name: _text() for name in TEXT_FIELDS}
    text_fields["title"] = _text(fields={"sort": Keyword()})
    session_fields = {
        "location": GeoPoint(),
        "weekday": Byte(),
        "start_minute": Short(),
        "week_minute": Integer(),
        "valid_to": Date(),
        **{feature.value: Boolean() for feature in Accessibility},
        # A copy of the activity's text, so a nested query can score text and distance together.
        **{name: _text() for name in TEXT_FIELDS},
    }
    fields = {
        "id": Long(),
        **text_fields,
        "organisation_id": Long(),
        "needs": Long(),
        "is_free": Boolean(),
        "how_to_join": Keyword(),
        "delivery": Keyword(),
        "min_age": Short(),
        "max_age": Short(),
        "has_capacity": Boolean(),
        "last_reviewed": Date(),
        "days": Byte(),
        "access": Keyword(),
        "sessions": Nested(properties=session_fields),
        # What a hit shows: kept in _source only (never searched), read by stored_hits.
        "hit": Object(enabled=False),
    }
    index_mapping = Mapping()
    index_mapping.meta("dynamic", "strict")
    for name, field in fields.items():
        index_mapping.field(name, field)
    return index_mapping.to_dict()


def version_now() -> int:
    """An external version: the time the database was read, in microseconds.

    A write carrying an older read can never overwrite a newer one, so edits made while
    the index is being rebuilt survive the rebuild's bulk writes.
    """
    return _time.time_ns() // 1000


# What a document reads of an activity (``values()``: no model instances in bulk).
ACTIVITY_FIELDS = (
    "id", "title", "path", "url_path", "summary", "description", "conditions", "service_areas", "is_free", "cost_amount",
    "cost_description", "how_to_join",
    *(mode.field for mode in DeliveryMode), "min_age", "max_age", "capacity_per_session", "last_reviewed",
)
SESSION_FIELDS = (
    "id", "activity_id", "frequency", "weekday", "week_of_month", "start_time", "end_time", "valid_from", "valid_to", "venue_id",
)
VENUE_FIELDS = ("name", "town", "postcode", "latitude", "longitude", *(feature.value for feature in Accessibility))
# Plain strings, looked up once (an enum member's ``.value`` costs more than a dict lookup).
_ACCESS = tuple(feature.value for feature in Accessibility)
_DELIVERY = tuple((mode.value, mode.field) for mode in DeliveryMode)


_TAG = re.compile(r"</?[A-Za-z][^<>]*>")


def _plain(html: str) -> str:
    """``strip_tags`` for rich text, by one regular expression (Django's parser costs 0.3 ms a
    description, a third of a document); anything else it leaves (a stray ``<``) goes to Django's."""
    if "<" not in html:
        return html
    text = _TAG.sub("", html)
    return text if "<" not in text else strip_tags(html)


def _for_ids(field: str, ids: list[int]) -> dict:
    """A filter on ``field`` for these ids: a range when they are dense (a rebuild's chunk), else ``IN``.

    Rows of other activities in the range are read too and skipped by the caller.
    """
    low, high = min(ids), max(ids)
    if len(ids) > 100 and high - low < 4 * len(ids):
        return {f"{field}__gte": low, f"{field}__lte": high}
    return {f"{field}__in": ids}


class _PageRef:
    """Enough of a page for ``page_urls``: its URL path, and the page itself only when the shortcut does not apply."""

    __slots__ = ("pk", "url_path", "_wagtail_cached_site_root_paths")

    def __init__(self, pk: int, url_path: str):
        self.pk, self.url_path = pk, url_path

    def get_url(self):
        page = Page.objects.get(pk=self.pk).specific
        page._wagtail_cached_site_root_paths = self._wagtail_cached_site_root_paths
        return page.get_url()


def build_documents(activities) -> list[dict]:
    """Documents for ``activities`` (already known to be publicly listed), in a fixed number of queries.

    ``activities`` is a queryset of activity pages or a list of them (their ids are read again).
    """
    if isinstance(activities, QuerySet):
        rows = list(activities.order_by("pk").values(*ACTIVITY_FIELDS))
    else:
        if not activities:
            return []
        rows = list(ActivityPage.objects.filter(pk__in=[a.pk for a in activities]).order_by("pk").values(*ACTIVITY_FIELDS))
    return documents_from_rows(rows)


def documents_from_rows(rows: list[dict]) -> list[dict]:
    """Documents for activity rows (``ACTIVITY_FIELDS``): three more queries, however many rows."""
    if not rows:
        return []
    ids = [row["id"] for row in rows]
    wanted = set(ids)
    steplen = ActivityPage.steplen
    organisations = dict(
        (path, (pk, title))
        for pk, title, path in OrganisationPage.objects.filter(path__in={row["path"][:-steplen] for row in rows}).values_list("pk", "title", "path")
    )
    sessions: dict[int, list] = {}
    venue_columns = [f"venue__{name}" for name in VENUE_FIELDS]
    sessions_read = ActivitySession.objects.filter(**_for_ids("activity_id", ids)).order_by("sort_order", "pk")
    for row in sessions_read.values_list(*SESSION_FIELDS, *venue_columns):
        if row[1] not in wanted:
            continue
        session = dict(zip(SESSION_FIELDS, row[: len(SESSION_FIELDS)]))
        session["venue"] = None if session["venue_id"] is None else dict(zip(VENUE_FIELDS, row[len(SESSION_FIELDS) :]))
        sessions.setdefault(session["activity_id"], []).append(session)
    needs: dict[int, list[tuple[int, str, str]]] = {}
    for activity_id, term_id, name, synonyms in ActivityPage.needs.through.objects.filter(**_for_ids("activitypage_id", ids)).values_list(
        "activitypage_id", "needterm_id", "needterm__name", "needterm__synonyms"
    ):
        if activity_id in wanted:
            needs.setdefault(activity_id, []).append((term_id, name, synonyms))

    page_url = page_urls(Site.get_site_root_paths())
    documents = []
    for activity in rows:
        pk = activity["id"]
        organisation_id, organisation = organisations.get(activity["path"][:-steplen], (None, ""))
        activity_needs = needs.get(pk, [])
        text = {
            "title": activity["title"],
            "summary": activity["summary"],
            "description": _plain(activity["description"] or ""),
            "conditions": activity["conditions"],
            "service_areas": activity["service_areas"],
            "organisation": organisation,
            "needs_text": " ".join(f"{name} {synonyms.replace(',', ' ')}" for _, name, synonyms in activity_needs),
        }
        session_documents, days, access, shown_sessions = [], set(), set(), []
        for session in sessions.get(pk, []):
            shown_sessions.append(_shown_session(session))
            venue = session["venue"]
            start_minute = session["start_time"].hour * 60 + session["start_time"].minute
            weekday = session["weekday"]
            document = {
                "weekday": weekday,
                "start_minute": start_minute,
                "week_minute": weekday * 1440 + start_minute if weekday is not None else None,
                "valid_to": session["valid_to"].isoformat() if session["valid_to"] else None,
                **{feature: bool(venue and venue[feature]) for feature in _ACCESS},
                **text,
            }
            if venue is not None and venue["latitude"] is not None:
                document["location"] = {"lat": float(venue["latitude"]), "lon": float(venue["longitude"])}
                access.update(feature for feature in _ACCESS if venue[feature])
            if weekday is not None:
                days.add(weekday)
            session_documents.append(document)
        need_ids = [term_id for term_id, _, _ in activity_needs]
        delivery = [mode for mode, field in _DELIVERY if activity[field]]
        documents.append(
            {
                "id": pk,
                **text,
                "organisation_id": organisation_id,
                "needs": need_ids,
                "is_free": activity["is_free"],
                "how_to_join": activity["how_to_join"],
                "delivery": delivery,
                "min_age": activity["min_age"],
                "max_age": activity["max_age"],
                "has_capacity": activity["capacity_per_session"] is None or activity["capacity_per_session"] > 0,
                "last_reviewed": activity["last_reviewed"].isoformat(),
                "days": sorted(days),
                "access": sorted(access),
                "sessions": session_documents,
                "hit": {
                    "url": page_url(_PageRef(pk, activity["url_path"])),
                    "title": activity["title"],
                    "summary": activity["summary"],
                    "organisation_id": organisation_id or 0,
                    "organisation": organisation,
                    "needs": need_ids,
                    "is_free": activity["is_free"],
                    "price": price_text(is_free=activity["is_free"], amount=activity["cost_amount"], description=activity["cost_description"]),
                    "how_to_join": activity["how_to_join"],
                    "delivery": delivery,
                    "capacity_per_session": activity["capacity_per_session"],
                    # In the activity's own order (sort_order, id), as the database path reads them.
                    "sessions": shown_sessions,
                },
            }
        )
    return documents


def _shown_session(session: dict) -> dict:
    """A session as a hit needs it: its schedule (for the next occurrence) and its venue."""
    venue = session["venue"]
    return {
        "id": session["id"],
        "frequency": session["frequency"],
        "weekday": session["weekday"],
        "week_of_month": session["week_of_month"],
        "start_time": session["start_time"].isoformat(),
        "end_time": session["end_time"].isoformat(),
        "valid_from": session["valid_from"].isoformat(),
        "valid_to": session["valid_to"].isoformat() if session["valid_to"] else None,
        "venue": None if venue is None else {
            "id": session["venue_id"],
            "name": venue["name"],
            "town": venue["town"],
            "postcode": venue["postcode"],
            "latitude": float(venue["latitude"]) if venue["latitude"] is not None else None,
            "longitude": float(venue["longitude"]) if venue["longitude"] is not None else None,
            **{feature: venue[feature] for feature in _ACCESS},
        },
    }
