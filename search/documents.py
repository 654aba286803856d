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

import time as _time

from django.utils.html import strip_tags
from wagtail.models import Site

from directory.models import ActivityPage, ActivitySession, OrganisationPage
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


def _text(**extra):
    return {"type": "text", "analyzer": ENGLISH, "search_analyzer": ENGLISH_WITH_SYNONYMS, **extra}


def mapping() -> dict:
    text_properties = {name: _text() for name in TEXT_FIELDS}
    text_properties["title"] = _text(fields={"sort": {"type": "keyword"}})
    session_properties = {
        "location": {"type": "geo_point"},
        "weekday": {"type": "byte"},
        "start_minute": {"type": "short"},
        "week_minute": {"type": "integer"},
        "valid_to": {"type": "date"},
        **{feature.value: {"type": "boolean"} for feature in Accessibility},
        # A copy of the activity's text, so a nested query can score text and distance together.
        **{name: _text() for name in TEXT_FIELDS},
    }
    return {
        "dynamic": "strict",
        "properties": {
            "id": {"type": "long"},
            **text_properties,
            "organisation_id": {"type": "long"},
            "needs": {"type": "long"},
            "is_free": {"type": "boolean"},
            "how_to_join": {"type": "keyword"},
            "delivery": {"type": "keyword"},
            "min_age": {"type": "short"},
            "max_age": {"type": "short"},
            "has_capacity": {"type": "boolean"},
            "last_reviewed": {"type": "date"},
            "days": {"type": "byte"},
            "access": {"type": "keyword"},
            "sessions": {"type": "nested", "properties": session_properties},
            # What a hit shows: kept in _source only (never searched), read by stored_hits.
            "hit": {"type": "object", "enabled": False},
        },
    }


def version_now() -> int:
    """An external version: the time the database was read, in microseconds.

    A write carrying an older read can never overwrite a newer one, so edits made while
    the index is being rebuilt survive the rebuild's bulk writes.
    """
    return _time.time_ns() // 1000


def build_documents(activities: list[ActivityPage]) -> list[dict]:
    """Documents for ``activities`` (already known to be publicly listed), in a fixed number of queries."""
    if not activities:
        return []
    ids = [a.pk for a in activities]
    steplen = ActivityPage.steplen
    organisations = {
        o.path: o for o in OrganisationPage.objects.filter(path__in={a.path[:-steplen] for a in activities}).only("pk", "title", "path")
    }
    sessions: dict[int, list] = {}
    for session in ActivitySession.objects.filter(activity_id__in=ids).select_related("venue").order_by("sort_order", "pk"):
        sessions.setdefault(session.activity_id, []).append(session)
    needs: dict[int, list[tuple[int, str, str]]] = {}
    for activity_id, term_id, name, synonyms in ActivityPage.needs.through.objects.filter(activitypage_id__in=ids).values_list(
        "activitypage_id", "needterm_id", "needterm__name", "needterm__synonyms"
    ):
        needs.setdefault(activity_id, []).append((term_id, name, synonyms))

    page_url = page_urls(Site.get_site_root_paths())
    documents = []
    for activity in activities:
        organisation = organisations.get(activity.path[:-steplen])
        text = {
            "title": activity.title,
            "summary": activity.summary,
            "description": strip_tags(activity.description or ""),
            "conditions": activity.conditions,
            "service_areas": activity.service_areas,
            "organisation": organisation.title if organisation else "",
            "needs_text": " ".join(f"{name} {synonyms.replace(',', ' ')}" for _, name, synonyms in needs.get(activity.pk, [])),
        }
        session_documents, days, access, shown_sessions = [], set(), set(), []
        for session in sessions.get(activity.pk, []):
            shown_sessions.append(_shown_session(session))
            venue = session.venue
            start_minute = session.start_time.hour * 60 + session.start_time.minute
            document = {
                "weekday": session.weekday,
                "start_minute": start_minute,
                "week_minute": session.weekday * 1440 + start_minute if session.weekday is not None else None,
                "valid_to": session.valid_to.isoformat() if session.valid_to else None,
                **{feature.value: bool(venue and getattr(venue, feature.value)) for feature in Accessibility},
                **text,
            }
            if venue is not None and venue.latitude is not None:
                document["location"] = {"lat": float(venue.latitude), "lon": float(venue.longitude)}
                access |= {feature.value for feature in Accessibility if getattr(venue, feature.value)}
            if session.weekday is not None:
                days.add(session.weekday)
            session_documents.append(document)
        documents.append(
            {
                "id": activity.pk,
                **text,
                "organisation_id": organisation.pk if organisation else None,
                "needs": [term_id for term_id, _, _ in needs.get(activity.pk, [])],
                "is_free": activity.is_free,
                "how_to_join": activity.how_to_join,
                "delivery": [mode.value for mode in DeliveryMode if getattr(activity, mode.field)],
                "min_age": activity.min_age,
                "max_age": activity.max_age,
                "has_capacity": activity.capacity_per_session is None or activity.capacity_per_session > 0,
                "last_reviewed": activity.last_reviewed.isoformat(),
                "days": sorted(days),
                "access": sorted(access),
                "sessions": session_documents,
                "hit": {
                    "url": page_url(activity),
                    "title": activity.title,
                    "summary": activity.summary,
                    "organisation_id": organisation.pk if organisation else 0,
                    "organisation": organisation.title if organisation else "",
                    "needs": [term_id for term_id, _, _ in needs.get(activity.pk, [])],
                    "is_free": activity.is_free,
                    "price": activity.price,
                    "how_to_join": activity.how_to_join,
                    "delivery": [mode.value for mode in DeliveryMode if getattr(activity, mode.field)],
                    "capacity_per_session": activity.capacity_per_session,
                    # In the activity's own order (sort_order, id), as the database path reads them.
                    "sessions": shown_sessions,
                },
            }
        )
    return documents


def _shown_session(session: ActivitySession) -> dict:
    """A session as a hit needs it: its schedule (for the next occurrence) and its venue."""
    venue = session.venue
    return {
        "id": session.pk,
        "frequency": session.frequency,
        "weekday": session.weekday,
        "week_of_month": session.week_of_month,
        "start_time": session.start_time.isoformat(),
        "end_time": session.end_time.isoformat(),
        "valid_from": session.valid_from.isoformat(),
        "valid_to": session.valid_to.isoformat() if session.valid_to else None,
        "venue": None if venue is None else {
            "id": venue.pk,
            "name": venue.name,
            "town": venue.town,
            "postcode": venue.postcode,
            "latitude": float(venue.latitude) if venue.latitude is not None else None,
            "longitude": float(venue.longitude) if venue.longitude is not None else None,
            **{feature.value: getattr(venue, feature.value) for feature in Accessibility},
        },
    }
