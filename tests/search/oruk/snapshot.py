"""The public directory as Open Referral UK can carry it: one canonical, JSON-ready dict, built
by the same function in both Signposts of the round trip (``test_round_trip``), so that the two
directories are compared field by field with ``==``.

Keyed by ORUK id, never by database id: primary keys, page paths and slugs are each site's own.
Left out, because ORUK 3.0 has no place for them (``directory.oruk.records``): an organisation's
phone, safeguarding contacts, logo, editors and trust; an activity's carers_welcome, conditions and
capacity; a venue's bus stops and routes and which organisation looks after it; a need's synonyms
and slug. And for an activity without sessions, how to join and how it is delivered: the profile's
only place for them is a schedule's ``attending_type``.
"""

from __future__ import annotations

import json
from decimal import Decimal

from django.db.models import Prefetch

from directory.models import (
    ActivityPage,
    ActivitySession,
    NeedTerm,
    OrganisationPage,
    Venue,
)
from directory.oruk.writing import rich_text_to_plain
from directory.selectors import public_activities

_ORGANISATION = ("title", "description", "email", "website", "charity_number", "company_number")
_ACTIVITY = (
    "title", "summary", "min_age", "max_age", "eligibility_notes", "is_free", "cost_description", "concessions",
    "languages", "service_areas", "contact_name", "contact_email", "contact_phone", "status",
)
# Carried by the sessions' attending_type, so only for an activity that has sessions.
_TAKING_PART = ("how_to_join", "in_person", "online", "by_phone")
_SESSION = ("frequency", "weekday", "week_of_month", "notes")
_VENUE = (
    "name", "address_1", "address_2", "town", "postcode", "step_free", "accessible_toilet", "hearing_loop", "parking",
    "accessibility_notes", "directions",
)
_NEED = ("name", "description", "vocabulary")


def _fixed(value, places: int) -> str | None:
    return None if value is None else f"{Decimal(value):.{places}f}"


def _iso(value) -> str | None:
    return None if value is None else value.isoformat()


def directory_snapshot() -> dict:
    """Organisations, activities, sessions, venues and needs of the public directory."""
    activities = list(
        public_activities()
        .prefetch_related(
            Prefetch("sessions", queryset=ActivitySession.objects.select_related("venue").order_by("sort_order", "pk")),
            Prefetch("needs", queryset=NeedTerm.objects.select_related("parent")),
        )
        .order_by("path")
    )
    parents = {
        page.path: page
        for page in OrganisationPage.objects.filter(path__in={a.path[: -ActivityPage.steplen] for a in activities})
    }
    snapshot = {"organisations": {}, "activities": {}, "sessions": {}, "venues": {}, "needs": {}}
    for activity in activities:
        organisation = parents[activity.path[: -ActivityPage.steplen]]
        snapshot["organisations"][organisation.oruk_id] = {name: getattr(organisation, name) for name in _ORGANISATION}
        sessions = list(activity.sessions.all())
        row = {name: getattr(activity, name) for name in _ACTIVITY}
        if sessions:
            row |= {name: getattr(activity, name) for name in _TAKING_PART}
        row |= {
            "organisation": organisation.oruk_id,
            # ORUK's description is plain text: formatting (bold, links' addresses) is not carried.
            "description": rich_text_to_plain(activity.description),
            "cost_amount": _fixed(activity.cost_amount, 2),
            "last_reviewed": _iso(activity.last_reviewed),
            "needs": sorted(term.oruk_id for term in activity.needs.all()),
            "sessions": [session.oruk_id for session in sessions],
        }
        snapshot["activities"][activity.oruk_id] = row
        for session in sessions:
            snapshot["sessions"][session.oruk_id] = {name: getattr(session, name) for name in _SESSION} | {
                "activity": activity.oruk_id,
                "venue": session.venue.oruk_id if session.venue else None,
                "start_time": _iso(session.start_time),
                "end_time": _iso(session.end_time),
                "valid_from": _iso(session.valid_from),
                "valid_to": _iso(session.valid_to),
            }
            if session.venue is not None:
                venue = session.venue
                snapshot["venues"][venue.oruk_id] = {name: getattr(venue, name) for name in _VENUE} | {
                    "latitude": _fixed(venue.latitude, 6),
                    "longitude": _fixed(venue.longitude, 6),
                }
        for term in activity.needs.all():
            snapshot["needs"][term.oruk_id] = {name: getattr(term, name) for name in _NEED} | {
                "parent": term.parent.oruk_id if term.parent else None,
            }
    snapshot["stored"] = {
        "organisations": OrganisationPage.objects.count(),
        "activities": ActivityPage.objects.count(),
        "venues": Venue.objects.count(),
    }
    return snapshot


def print_snapshot() -> None:
    """For the second site's process: the snapshot on standard output."""
    print(json.dumps(directory_snapshot(), sort_keys=True))
