"""What the demo directory is made of: kinds of activity, kinds of organisation, and which run where.

The content is data, in ``data/catalogue.json``; this module gives it its types.
``demo.plan`` turns it, with a seeded random generator, into a concrete directory; nothing
here touches the database.

Names are generic ("{place} Carers' Centre") on purpose: they read like real local groups
without being any particular one. Contact details use reserved domains (``.example``) and
Ofcom's drama telephone ranges, so no demo listing can reach a real person.

The catalogue file's shape:
- ``slots``: start and end times ("HH:MM") by part of the day;
- ``kinds``: kinds of activity (the fields of ``Kind``; those left out take its defaults).
  ``title`` may use {nb} (neighbourhood), {patch}, {place} (the organisation's place), {green};
  ``costs`` are ``{"amount": "1.50" or null for free, "description", "concessions"}``;
- ``organisation_kinds``: the fields of ``OrganisationKind``;
- ``organisations``: per area, ``[kind of organisation, home neighbourhood, place name or null]``
  (the place defaults to the neighbourhood for local organisations, else its patch); order
  matters, as ``--scale`` keeps the first organisations of each area;
- ``venue_types``: how each type of venue is named ({nb}, {saint}, {green});
- word lists for addresses, access notes, contact names and first-visit tips.
"""

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from directory.choices import Frequency, HowToJoin

CATALOGUE_FILE = Path(__file__).resolve().parent / "data" / "catalogue.json"

WEEKDAYS = (0, 1, 2, 3, 4)


@dataclass(frozen=True)
class Cost:
    amount: Decimal | None = None  # None: free
    description: str = ""
    concessions: str = ""


@dataclass(frozen=True)
class Kind:
    """A kind of activity, with everything about it that varies only a little from place to place."""

    key: str
    title: str
    summary: str
    description: tuple[str, ...]
    needs: tuple[str, ...]
    # Venue types it prefers (see VENUE_TYPES; "premises" is the organisation's own building).
    # Empty for in-person activities whose venue is given only on booking.
    venues: tuple[str, ...] = ("community_centre",)
    frequencies: tuple[str, ...] = (Frequency.WEEKLY,)
    slots: tuple[str, ...] = ("morning",)
    days: tuple[int, ...] = WEEKDAYS
    costs: tuple[Cost, ...] = (Cost(),)
    how_to_join: tuple[str, ...] = (HowToJoin.DROP_IN,)
    # in_person; online; phone; hybrid (in person and online); hybrid_phone (in person and by phone)
    delivery: str = "in_person"
    capacity: tuple[int, int] | None = (10, 25)
    min_age: int | None = 18
    max_age: int | None = None
    carers_welcome: bool = False
    conditions: str = ""
    eligibility: str = ""
    languages: tuple[str, ...] = ("English",)
    course_weeks: int | None = None
    sessions: int = 1  # sessions a week (or per cycle)
    repeat: bool = False  # run in each of the organisation's neighbourhoods


@dataclass(frozen=True)
class OrganisationKind:
    key: str
    name: str  # may use {place}, {green}
    description: str
    kinds: tuple[str, ...]  # kinds of activity it runs; the first ``core`` always, others by chance
    core: int = 2
    extra: tuple[int, int] = (1, 2)
    spread: int = 1  # neighbourhoods it works in
    # Its own building: True for one named after it, or a venue type (its neighbourhood's
    # community centre, say) that it looks after.
    premises: bool | str = False
    local: bool = False  # named after its neighbourhood rather than its patch
    trusted_chance: float = 0.2


def _tuples(value):
    """JSON has lists; the catalogue is immutable, so every list becomes a tuple."""
    if isinstance(value, list):
        return tuple(_tuples(item) for item in value)
    if isinstance(value, dict):
        return {key: _tuples(item) for key, item in value.items()}
    return value


def _cost(fields: dict) -> Cost:
    amount = fields.get("amount")
    return Cost(
        Decimal(amount) if amount is not None else None, fields.get("description", ""), fields.get("concessions", "")
    )


def _kind(fields: dict) -> Kind:
    fields = dict(fields)
    if "costs" in fields:
        fields["costs"] = tuple(_cost(cost) for cost in fields["costs"])
    return Kind(**_tuples(fields))


_DATA = json.loads(CATALOGUE_FILE.read_text(encoding="utf-8"))

SLOTS: dict[str, tuple[tuple[str, str], ...]] = _tuples(_DATA["slots"])
KINDS: dict[str, Kind] = {kind.key: kind for kind in map(_kind, _DATA["kinds"])}
ORGANISATION_KINDS: dict[str, OrganisationKind] = {
    kind.key: kind for kind in (OrganisationKind(**_tuples(fields)) for fields in _DATA["organisation_kinds"])
}
ORGANISATIONS: dict[str, tuple[tuple[str, str, str | None], ...]] = _tuples(_DATA["organisations"])
VENUE_TYPES: dict[str, dict] = _tuples(_DATA["venue_types"])
STREETS: tuple[str, ...] = _tuples(_DATA["streets"])
SAINTS: tuple[str, ...] = _tuples(_DATA["saints"])
BUS_ROUTES: dict[str, tuple[str, ...]] = _tuples(_DATA["bus_routes"])
ACCESSIBILITY_NOTES: tuple[str, ...] = _tuples(_DATA["accessibility_notes"])
GREEN_ACCESS_NOTES: tuple[str, ...] = _tuples(_DATA["green_access_notes"])
FIRST_NAMES: tuple[str, ...] = _tuples(_DATA["first_names"])
LAST_NAMES: tuple[str, ...] = _tuples(_DATA["last_names"])
FIRST_VISIT: tuple[str, ...] = _tuples(_DATA["first_visit"])
