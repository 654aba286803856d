"""Writing: the directory's models -> Open Referral UK 3.0 service dicts.

``service_to_oruk`` builds the ORUK service for an activity, with its organisation, venues,
sessions and needs; the exporter (``directory.oruk.exporter``) chooses the activities and
validates the result. What maps to what, and why, is in ``directory.oruk.records``.
"""

from __future__ import annotations

import html
import re
from datetime import datetime
from datetime import timezone as dt_timezone
from decimal import Decimal

from django.utils.html import strip_tags

from directory.calendar import session_rrule
from directory.choices import ActivityStatus, HowToJoin
from directory.models import NeedTerm
from directory.oruk.records import (
    ACCESSIBILITY_FEATURES,
    ACCESSIBILITY_NOTES_LABEL,
    LANGUAGE_CODES,
    STATUS_TO_ORUK,
    derived_id,
    split_paragraphs,
)
from directory.schedules import describe_session

# --- Text ----------------------------------------------------------------------------------


def rich_text_to_plain(value: str) -> str:
    """Our rich text as plain paragraphs separated by blank lines (links keep their text)."""
    value = re.sub(r"<br\s*/?>", "\n", value or "", flags=re.IGNORECASE)
    value = re.sub(r"<li[^>]*>", "\n\n- ", value, flags=re.IGNORECASE)
    value = re.sub(r"</(p|h[1-6]|ul|ol|blockquote)>", "\n\n", value, flags=re.IGNORECASE)
    text = html.unescape(strip_tags(value))
    return "\n\n".join(split_paragraphs(text))


# --- A service and what it holds ------------------------------------------------------------


def _decimal_number(value: Decimal):
    return int(value) if value == value.to_integral_value() else float(value)


def organisation_to_oruk(organisation) -> dict:
    oruk_id = str(organisation.oruk_id)
    data = {"id": oruk_id, "name": organisation.title, "description": organisation.description}
    if organisation.email:
        data["email"] = organisation.email
    if organisation.website:
        data["website"] = organisation.website
    identifiers = []
    if organisation.charity_number:
        identifiers.append(("GB-CHC", "Charity number", organisation.charity_number))
    if organisation.company_number:
        identifiers.append(("GB-COH", "Company number", organisation.company_number))
    if identifiers:
        data["organization_identifiers"] = [
            {
                "id": derived_id(oruk_id, "identifier", scheme),
                "organization_id": oruk_id,
                "identifier_scheme": scheme,
                "identifier_type": kind,
                "identifier": value,
            }
            for scheme, kind, value in identifiers
        ]
    return data


def venue_to_oruk(venue) -> dict:
    oruk_id = str(venue.oruk_id)
    location = {"id": oruk_id, "location_type": "physical", "name": venue.name}
    if venue.directions:
        location["description"] = venue.directions
    if venue.latitude is not None and venue.longitude is not None:
        location["latitude"] = float(venue.latitude)
        location["longitude"] = float(venue.longitude)
    if venue.postcode:
        address = {
            "id": derived_id(oruk_id, "address"),
            "location_id": oruk_id,
            "address_1": venue.address_1,
            "city": venue.town,
            "state_province": "",
            "postal_code": venue.postcode,
            "country": "GB",
            "address_type": "physical",
        }
        if venue.address_2:
            address["address_2"] = venue.address_2
        location["addresses"] = [address]
    # Without a postcode (a meeting point imported with coordinates and no address) there is
    # no address to give: the profile requires an address's postal_code, and allows a
    # location with none, placed by its latitude and longitude.
    accessibility = [
        {"id": derived_id(oruk_id, "accessibility", name), "location_id": oruk_id, "description": label}
        for name, (label, _) in ACCESSIBILITY_FEATURES.items()
        if getattr(venue, name)
    ]
    if venue.accessibility_notes:
        accessibility.append(
            {
                "id": derived_id(oruk_id, "accessibility", "notes"),
                "location_id": oruk_id,
                "description": ACCESSIBILITY_NOTES_LABEL,
                "details": venue.accessibility_notes,
            }
        )
    if accessibility:
        location["accessibility"] = accessibility
    return location


def attending_type(activity, *, at_venue: bool = True) -> str:
    """How to take part, in a sentence ``_delivery`` reads back (a session with no venue is
    not in person, which tells the importer not to give it the service's location)."""
    modes = [mode.lower() for mode in activity.delivery_modes if at_venue or mode != "In person"]
    if modes:
        modes[0] = modes[0].capitalize()
    ways = modes[0] if len(modes) == 1 else f"{', '.join(modes[:-1])} or {modes[-1]}" if modes else ""
    join = HowToJoin(activity.how_to_join).label
    return f"{ways}. {join}." if ways else f"{join}."


def session_to_oruk(session, *, service_id: str, sal_id: str | None, attending: str) -> dict:
    schedule = {"id": str(session.oruk_id), "service_id": service_id}
    if sal_id:
        schedule["service_at_location_id"] = sal_id
    schedule["valid_from"] = session.valid_from.isoformat()
    if session.valid_to:
        schedule["valid_to"] = session.valid_to.isoformat()
    # dtstart is the date the rhythm counts from; for a one-off it is the date itself.
    schedule["dtstart"] = session.valid_from.isoformat()
    rule = session_rrule(session)
    if rule is not None:
        schedule["freq"] = rule["FREQ"]
        schedule["interval"] = rule.get("INTERVAL", 1)
        schedule["byday"] = rule["BYDAY"]
    schedule["description"] = describe_session(session)
    schedule["opens_at"] = session.start_time.strftime("%H:%M")
    schedule["closes_at"] = session.end_time.strftime("%H:%M")
    schedule["attending_type"] = attending
    if session.notes:
        schedule["notes"] = session.notes
    return schedule


def taxonomy_id(vocabulary: str) -> str:
    """The ORUK id of a taxonomy: we keep only each term's vocabulary's name, so the id is
    derived from it (stable while the name is)."""
    return derived_id("taxonomy", vocabulary)


def taxonomy_to_oruk(vocabulary: str, *, terms=None) -> dict:
    """The ORUK taxonomy named ``vocabulary``; with ``terms``, listing them."""
    if vocabulary == NeedTerm._meta.get_field("vocabulary").default:
        description = "The needs an activity helps with: Signpost's own vocabulary."
    else:
        description = f"Terms imported from {vocabulary}."
    data = {"id": taxonomy_id(vocabulary), "name": vocabulary, "description": description}
    if terms is not None:
        data["taxonomy_terms"] = [term_to_oruk(term) for term in terms]
    return data


def term_to_oruk(term) -> dict:
    """The ORUK taxonomy term; its ``parent`` should be selected with it."""
    data = {"id": str(term.oruk_id), "name": term.name, "description": term.description}
    if term.parent_id is not None:
        data["parent_id"] = str(term.parent.oruk_id)
    data["taxonomy"] = term.vocabulary
    data["taxonomy_id"] = taxonomy_id(term.vocabulary)
    return data


def _cost_options(activity, service_id: str) -> list[dict]:
    option = {"id": derived_id(service_id, "cost"), "service_id": service_id}
    if activity.is_free or activity.cost_amount is None:
        option["amount"] = 0
    else:
        option["amount"] = _decimal_number(activity.cost_amount)
    if activity.cost_description:
        option["amount_description"] = activity.cost_description
    options = [option]
    if activity.concessions:
        options.append(
            {
                "id": derived_id(service_id, "cost", "concessions"),
                "service_id": service_id,
                "option": "Concessions",
                "amount_description": activity.concessions,
            }
        )
    return options


def service_modified(activity, organisation) -> datetime | None:
    """When the service last changed as ORUK shows it: its page's or its organisation's last
    publication, whichever is later (``modified_after`` filters on the same rule)."""
    times = [
        moment
        for moment in (
            activity.last_published_at or activity.latest_revision_created_at,
            organisation.last_published_at or organisation.latest_revision_created_at,
        )
        if moment is not None
    ]
    return max(times) if times else None


def _utc(moment: datetime) -> str:
    return moment.astimezone(dt_timezone.utc).isoformat().replace("+00:00", "Z")


def service_summary_to_oruk(activity, *, organisation, url: str | None = None, modified: datetime | None = None) -> dict:
    """The service's own (one-to-one) fields and its organisation's: an item of a ``/services``
    page (``service_list.json``). Needs nothing prefetched."""
    service_id = str(activity.oruk_id)
    summary = activity.summary.strip()
    body = rich_text_to_plain(activity.description)
    description = summary if body in ("", summary) else f"{summary}\n\n{body}"
    data = {
        "id": service_id,
        "organization_id": str(organisation.oruk_id),
        "name": activity.title,
        "description": description,
    }
    if url:
        data["url"] = url
    if activity.contact_email:
        data["email"] = activity.contact_email
    data["status"] = STATUS_TO_ORUK[ActivityStatus(activity.status)]
    if activity.min_age is not None:
        data["minimum_age"] = activity.min_age
    if activity.max_age is not None:
        data["maximum_age"] = activity.max_age
    if activity.eligibility_notes:
        data["eligibility_description"] = activity.eligibility_notes
    data["assured_date"] = activity.last_reviewed.isoformat()
    modified = modified or service_modified(activity, organisation)
    if modified is not None:
        data["last_modified"] = _utc(modified)
    data["organization"] = {
        name: value for name, value in organisation_to_oruk(organisation).items() if name != "organization_identifiers"
    }
    return data


def service_to_oruk(activity, *, organisation, url: str | None = None, modified: datetime | None = None) -> dict:
    """The ORUK 3.0 service for ``activity``, fully nested; its ``sessions`` (with venues) and
    ``needs`` (with parents) should be prefetched."""
    data = service_summary_to_oruk(activity, organisation=organisation, url=url, modified=modified)
    service_id = data["id"]
    del data["organization"]  # placed after the lists below, as before

    sessions = list(activity.sessions.all())
    venues = {}
    for session in sessions:
        if session.venue_id is not None:
            venues.setdefault(session.venue_id, session.venue)
    sal_ids = {venue_pk: service_at_location_id(service_id, str(venue.oruk_id)) for venue_pk, venue in venues.items()}
    data["schedules"] = [
        session_to_oruk(
            session,
            service_id=service_id,
            sal_id=sal_ids.get(session.venue_id),
            attending=attending_type(activity, at_venue=session.venue_id is not None),
        )
        for session in sessions
    ]
    data["service_at_locations"] = [
        {
            "id": sal_ids[venue_pk],
            "service_id": service_id,
            "location_id": str(venue.oruk_id),
            "location": venue_to_oruk(venue),
        }
        for venue_pk, venue in venues.items()
    ]
    data["languages"] = [
        {"id": derived_id(service_id, "language", name.lower()), "service_id": service_id, "name": name}
        | ({"code": LANGUAGE_CODES[name]} if name in LANGUAGE_CODES else {})
        for name in activity.language_list
    ]
    # Always present, empty too, so that a harvester clears areas an activity no longer covers
    # (the importer keeps its areas when a service says nothing about them).
    data["service_areas"] = [
        {"id": derived_id(service_id, "area", name), "service_id": service_id, "name": name}
        for name in activity.service_area_list
    ]
    data["organization"] = organisation_to_oruk(organisation)
    data["cost_options"] = _cost_options(activity, service_id)
    if activity.contact_name:
        data["contacts"] = [
            {"id": derived_id(service_id, "contact"), "service_id": service_id, "name": activity.contact_name}
        ]
    if activity.contact_phone:
        data["phones"] = [{"id": derived_id(service_id, "phone"), "number": activity.contact_phone}]
    data["attributes"] = [
        {
            "id": derived_id(service_id, "attribute", term.oruk_id),
            "link_id": service_id,
            "taxonomy_term_id": str(term.oruk_id),
            "link_type": "need",
            "taxonomy_term": term_to_oruk(term),
        }
        for term in sorted(activity.needs.all(), key=lambda term: term.name)
    ]
    return data


# A service at a location's id begins with this much of its service's id (12 hex digits), when
# the service's id begins so (a UUID's does).
SERVICE_ID_PREFIX = 13
_HEX_PREFIX = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}")


def service_at_location_id(service_id: str, location_id: str) -> str:
    """The id of a service at a location, derived from the two ids, as we store no such row.

    When the service's id is a UUID (as ORUK ids are), the first 12 hex digits are the service
    id's, so that the service is found from the id by an index (``services_with_id_prefix``)
    rather than by hashing every pair; the rest is the hash of both ids."""
    derived = derived_id(service_id, "at", location_id)
    if _HEX_PREFIX.fullmatch(service_id[:SERVICE_ID_PREFIX]):
        return service_id[:SERVICE_ID_PREFIX] + derived[SERVICE_ID_PREFIX:]
    return derived


_LOCATION_SUMMARY_FIELDS = ("id", "location_type", "name", "description", "latitude", "longitude")


def service_at_location_to_oruk(service: dict, venue, *, full: bool) -> dict:
    """The service ``service`` at ``venue`` as an ORUK service_at_location. Without ``full``:
    ``service`` is a summary (``service_summary_to_oruk``) and the location has its one-to-one
    fields (``service_at_location_list.json``). With ``full``: ``service`` is fully nested
    (``service_to_oruk``), its schedules narrowed to those at this venue, and the location has
    its address and accessibility (``service_at_location.json``)."""
    sal_id = service_at_location_id(service["id"], str(venue.oruk_id))
    location = venue_to_oruk(venue)
    if full:
        service = {name: value for name, value in service.items() if name != "service_at_locations"}
        service["schedules"] = [s for s in service["schedules"] if s.get("service_at_location_id") == sal_id]
    else:
        location = {name: value for name, value in location.items() if name in _LOCATION_SUMMARY_FIELDS}
    return {
        "id": sal_id,
        "service_id": service["id"],
        "location_id": location["id"],
        "location": location,
        "service": service,
    }
