"""Open Referral UK 3.0 service objects <-> the directory's models: what maps to what, and
the records and vocabulary that both directions share.

Reading (``directory.oruk.reading.service_from_oruk``) turns one ORUK service dict into the
plain records defined here (model field values keyed by ORUK id) and collects every problem
it finds with the field path; it touches no database. Writing
(``directory.oruk.writing.service_to_oruk``) builds the ORUK dict for an activity. The
importer and exporter do the database work.

What maps to what
=================
==========================================  ==============================================
ORUK 3.0                                    Signpost
==========================================  ==============================================
service.organization                        OrganisationPage (keyed by ``organization.id``)
  name, description, email, website         title, description, email, website
  organization_identifiers[]                charity_number (scheme GB-CHC/GB-SC/GB-NIC or
                                            type mentioning "charity"), company_number
                                            (GB-COH or "company")
service                                     ActivityPage (keyed by ``id``), a child of its
                                            organisation's page
  name                                      title
  description                               summary + description (see below)
  status                                    status: active -> active, temporarily closed ->
                                            paused, inactive/defunct -> closed
  minimum_age, maximum_age                  min_age, max_age (whole years)
  eligibility_description (HSDS 3.0)        eligibility_notes
  cost_options[]                            is_free, cost_amount, cost_description,
                                            concessions (see below)
  fees (deprecated)                         cost_description, when there are no cost_options
                                            (free or not is then left as it was)
  languages[].name / .code (HSDS 3.0)       languages ("English, Polish")
  email                                     contact_email
  contacts[0].name                          contact_name
  phones[].number (HSDS 3.0)                contact_phone (else contacts[].phones[])
  assured_date, else last_modified          last_reviewed (a last_modified without an
                                            offset is UK local time)
  service_areas[].name                      service_areas (one a line: "Covers: …")
  attributes[].taxonomy_term                needs -> NeedTerm (keyed by the term's id;
  (and a ``taxonomy_terms`` list)           name, description, taxonomy -> vocabulary,
                                            parent_id -> parent)
  schedules[]                               ActivitySession (keyed by schedule id)
  schedules[].attending_type                how_to_join, in_person/online/by_phone
service_at_locations[].location             Venue (keyed by ``location.id``) when
                                            location_type is "physical"
  name, description                         name, directions
  latitude, longitude                       latitude, longitude, if in the UK and within
                                            2 km of the postcode's centre (else the
                                            postcode's centre, with a warning); none given:
                                            geocoded from the postcode by the importer;
                                            with no address at all they place the venue
                                            alone (its address fields left blank), and
                                            such a venue is exported without addresses
  addresses[] (the physical one, else the   address_1, address_2 (HSDS 3.0), town (city),
  first)                                    postcode (postal_code)
  accessibility[]                           step_free, accessible_toilet, hearing_loop,
                                            parking, accessibility_notes
==========================================  ==============================================

Decisions where the schema and our model differ
===============================================
* **Which fields the file decides.** The file is the source of truth for what the ORUK
  profile carries: title, summary, description, status, ages, sessions and needs are set
  from it on every import (a missing age means no limit; missing schedules mean no
  sessions). Fields the profile has no place for, or that we can only infer, are left as
  an editor set them when the file says nothing about them: how to join, delivery modes,
  languages, eligibility notes, cost, contact details and last reviewed date. Fields with
  no ORUK counterpart at all (carers_welcome, conditions, capacity_per_session, bus stops
  and routes, trusted, logo) are never touched by an import and are not exported.
* **Feeds as they are.** Real feeds' deviations are read with a warning, not refused:
  timestamps without an offset (UK local time), ages of -1 (no limit), fields the schema
  does not define (ignored) -- each said once per import (``directory.oruk.deviations``);
  words beside a phone number (the number kept), a blank city, a location with
  coordinates and no address -- each said per record. HTML in the description is cleaned
  to rich text (``directory.oruk.cleaning``): paragraphs, bold, italic, lists and http,
  https, mailto and tel links; headings become bold paragraphs. HTML in plain-text fields
  (an organisation's description, eligibility, directions, area names) is reduced to text.
* **Service areas.** A service that comes to people (home visits, a phone line for a
  district) lists the areas it covers by name; the activity page says "Covers: …". An
  area's ``extent`` (GeoJSON, KML) is not read: we search by distance to venues, not areas.
  On export they are ``service_areas[].name``, always listed (empty when none), so a harvest
  clears areas no longer covered.
* **Summary and description.** ORUK has one free-text description; we have a one-line
  summary and a rich-text description. On export the description is the summary, a blank
  line, then the description as plain text. On import, when the text has several
  paragraphs and the first fits in 255 characters, the first paragraph is the summary and
  the rest the description; otherwise the summary is the first sentence (shortened to 255
  characters) and the description is the whole text. Plain text becomes ``<p>``
  paragraphs; on export tags are stripped.
* **Schedules.** Our sessions have one weekday each, so ``byday: "TH,FR"`` becomes two
  sessions (the first keeps the schedule id; the others get ids derived from it).
  ``freq: WEEKLY`` with ``interval`` 1 is weekly and 2 fortnightly; ``freq: MONTHLY`` needs
  ``byday`` with a week of the month (``2TU``, ``-1FR``; 1 to 4 or -1) and interval 1.
  Other intervals, ``bymonthday`` with MONTHLY and other weeks of the month are errors;
  ``bymonthday`` with WEEKLY is ignored with a warning (RFC 5545 does not allow it). No
  ``freq`` with a ``dtstart`` is a one-off on that date. The first session is the later of
  ``dtstart`` and ``valid_from`` (a fortnightly session keeps the fortnightly rhythm that
  ``dtstart`` sets; without either a fortnightly schedule is an error, and a weekly or
  monthly one starts today). ``opens_at``/``closes_at`` are read as local (Europe/London)
  wall-clock times; a time with an offset or ``Z`` is converted to local time on the first
  date. We export local times without an offset because a weekly 10:00 session is 10:00 in
  both GMT and BST, which no fixed offset can say. A schedule's venue is the location of its
  ``service_at_location_id``; without one it is the service's only physical location, unless
  its ``attending_type`` says online or by phone and not in person (we export sessions with
  no venue that way), and no venue when the service has several.
* **How to join and delivery mode.** The ORUK 3.0 profile has no field for either; the
  nearest is the free-text ``schedules[].attending_type`` ("how to attend"). We export a
  plain sentence there ("In person or online. Drop in: just turn up.") and on import look
  for our labels and common phrases: "referral only"/"referral from a professional" ->
  referral only, "drop in"/"just turn up" -> drop in, anything else -> self-referral;
  "in person"/"face to face", "online"/"video"/"remote", "phone" for the delivery modes. A
  ``physical`` location also means in person and a ``virtual`` location online. Virtual
  locations do not become venues; ``postal`` ones are ignored with a warning. An activity
  without sessions has nowhere to carry these on export.
* **Cost.** The priced option without conditions (else the first priced one) gives
  cost_amount and cost_description (with its conditions in brackets); every other option
  is listed in concessions. All amounts zero, or no amounts, means free. We export one
  option (amount 0 when free) and, if there are concessions, an option named
  "Concessions" with their text.
* **Languages.** ORUK 3.0 language objects carry only ids; we read and write the HSDS 3.0
  ``name`` and ``code`` (ISO 639) fields, which the schema permits because it does not
  forbid additional properties. The same goes for ``phones``, ``eligibility_description``,
  ``address_2`` and contact ``email``/``phones``.
* **Accessibility.** We export one entry per feature, described by its label ("Step-free
  access") and one "Accessibility notes" entry with the notes as details; these read back
  exactly. Other entries are scanned for phrases ("wheelchair", "induction loop", ...; not
  in a sentence that says "no" or "not") and their text kept in accessibility_notes.
* **Needs taxonomy.** Every ``attributes[].taxonomy_term`` becomes a NeedTerm keyed by its
  ORUK id, whatever its taxonomy (kept in ``vocabulary``). A ``parent_id`` is linked when
  that term is in the file or already in the directory; otherwise the term keeps the parent
  it has (none, if new), with a warning. A term without ``parent_id`` is a top-level term.
  Terms are matched by id only, never by name; loops of parents are refused.
* **Ids.** Our ORUK ids are UUIDs. Objects we have no table for (addresses, cost options,
  contacts, languages, phones, accessibility entries, service_at_locations, attributes)
  get UUIDv5 ids derived from their owner's id, so repeated exports are stable.
* **Not imported:** service url (the service's own page; we export our page's URL there),
  accreditations, alert, funding, service areas' extents, assurer_email, organization logo, uri
  and parent_organization_id, and address region/state_province/country (we export
  ``country: "GB"`` and an empty ``state_province``, which the schema requires).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field

from directory.choices import ActivityStatus

# Derived ids: uuid5(_NAMESPACE, "<owner id>:<kind>:<key>").
_NAMESPACE = uuid.UUID("8f0c7a3e-52a1-5b8e-9d1c-6f2b4e7a9c10")

STATUS_FROM_ORUK = {
    "active": ActivityStatus.ACTIVE,
    "temporarily closed": ActivityStatus.PAUSED,
    "inactive": ActivityStatus.CLOSED,
    "defunct": ActivityStatus.CLOSED,
}
STATUS_TO_ORUK = {
    ActivityStatus.ACTIVE: "active",
    ActivityStatus.PAUSED: "temporarily closed",
    ActivityStatus.CLOSED: "inactive",
}

ACCESSIBILITY_NOTES_LABEL = "Accessibility notes"
ACCESSIBILITY_FEATURES = {
    # field: (label we export, phrases that mean it in other publishers' text)
    "step_free": ("Step-free access", r"step[- ]free|wheelchair|level access|ramp"),
    "accessible_toilet": ("Accessible toilet", r"(accessible|disabled|wheelchair) (toilet|wc|loo)"),
    "hearing_loop": ("Hearing loop", r"hearing loop|induction loop"),
    "parking": ("Parking", r"parking|car park"),
}

LANGUAGE_CODES = {
    "English": "en", "Welsh": "cy", "Scottish Gaelic": "gd", "Irish": "ga", "Polish": "pl", "Urdu": "ur",
    "Punjabi": "pa", "Bengali": "bn", "Gujarati": "gu", "Hindi": "hi", "Tamil": "ta", "Arabic": "ar",
    "Romanian": "ro", "Portuguese": "pt", "Spanish": "es", "French": "fr", "Italian": "it", "German": "de",
    "Somali": "so", "Chinese": "zh", "Mandarin": "cmn", "Cantonese": "yue", "Lithuanian": "lt",
    "Latvian": "lv", "Bulgarian": "bg", "Hungarian": "hu", "Czech": "cs", "Slovak": "sk", "Russian": "ru",
    "Ukrainian": "uk", "Turkish": "tr", "Kurdish": "ku", "Farsi": "fa", "Pashto": "ps", "Tigrinya": "ti",
    "Amharic": "am", "Greek": "el", "British Sign Language": "bfi",
}


def derived_id(owner_id, *parts) -> str:
    """A stable ORUK id for an object we have no table for, derived from its owner's id."""
    return str(uuid.uuid5(_NAMESPACE, ":".join([str(owner_id), *map(str, parts)])))


def split_paragraphs(text: str) -> list[str]:
    """Plain text's paragraphs (blank-line separated), each with its runs of spaces made one."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return [re.sub(r"[ \t]+", " ", part).strip() for part in re.split(r"\n\s*\n", text) if part.strip()]


# --- Problems ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    path: str
    message: str

    def __str__(self):
        return f"{self.path}: {self.message}" if self.path else self.message


@dataclass
class Report:
    """Errors (which stop the import) and warnings (which do not) for one record."""

    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def error(self, path: str, message: str) -> None:
        self.errors.append(Problem(path, message))

    def warn(self, path: str, message: str) -> None:
        self.warnings.append(Problem(path, message))


# --- Plain data read from a service -----------------------------------------------------


@dataclass
class OrganisationData:
    oruk_id: str
    path: str
    fields: dict


@dataclass
class VenueData:
    oruk_id: str
    path: str
    fields: dict
    postcode_path: str
    # As the file gives them (numbers, unchecked); not in ``fields`` until the importer has
    # checked them (``directory.coordinates.check_coordinates``).
    latitude: float | None = None
    longitude: float | None = None
    # Fields a feed may leave blank although our venue form asks for them (a blank city;
    # no address at all when the location has coordinates): read with a warning.
    tolerated: frozenset = frozenset()

    @property
    def has_coordinates(self) -> bool:
        return self.latitude is not None or self.longitude is not None


@dataclass
class TermData:
    oruk_id: str
    path: str
    fields: dict
    parent_oruk_id: str | None


@dataclass
class SessionData:
    oruk_id: str
    path: str
    venue_oruk_id: str | None
    fields: dict


@dataclass
class ServiceData:
    oruk_id: str
    organisation_oruk_id: str | None
    organisation_path: str
    organisation: OrganisationData | None
    # ActivityPage field values; a field left out means "the file does not say".
    fields: dict
    venues: list[VenueData] = field(default_factory=list)
    # Locations named only by id (service_at_locations[].location_id with no location).
    location_refs: list[tuple[str, str]] = field(default_factory=list)
    sessions: list[SessionData] = field(default_factory=list)
    terms: list[TermData] = field(default_factory=list)
    # Terms named only by id (attributes[].taxonomy_term_id with no taxonomy_term).
    term_refs: list[tuple[str, str]] = field(default_factory=list)
