"""The one query and the one result shape that every search backend, page and API use.

A ``SearchQuery`` is already validated and geocoded: turning request parameters into one is
the job of ``search.params``; backends only answer it.
"""

from dataclasses import dataclass, field
from datetime import datetime, time
from enum import StrEnum

from directory.choices import HowToJoin

MAX_RADIUS_MILES = 50.0
MAX_PAGE_SIZE = 100


class SearchQueryError(ValueError):
    """A query that cannot be answered, naming the parameter at fault (an HTTP 400)."""

    def __init__(self, parameter: str, message: str):
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message


class Sort(StrEnum):
    BEST = "best", "Best match"
    NEAREST = "nearest", "Nearest"
    SOONEST = "soonest", "Soonest next session"

    def __new__(cls, value, label):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member


class TimeOfDay(StrEnum):
    """When a session starts: morning before noon, afternoon before 5pm, evening after."""

    MORNING = "morning", time(0, 0), time(12, 0)
    AFTERNOON = "afternoon", time(12, 0), time(17, 0)
    EVENING = "evening", time(17, 0), None

    def __new__(cls, value, starts_from, starts_before):
        member = str.__new__(cls, value)
        member._value_ = value
        member.starts_from = starts_from
        member.starts_before = starts_before
        return member

    @property
    def label(self) -> str:
        return self.value.capitalize()


class DeliveryMode(StrEnum):
    IN_PERSON = "in_person"
    ONLINE = "online"
    PHONE = "phone"

    @property
    def label(self) -> str:
        return {"in_person": "In person", "online": "Online", "phone": "By phone"}[self.value]

    @property
    def field(self) -> str:
        """The ActivityPage flag that offers this mode."""
        return {"in_person": "in_person", "online": "online", "phone": "by_phone"}[self.value]


class Accessibility(StrEnum):
    """Venue features; an activity qualifies through a session at a venue that has them all."""

    STEP_FREE = "step_free"
    ACCESSIBLE_TOILET = "accessible_toilet"
    HEARING_LOOP = "hearing_loop"
    PARKING = "parking"

    @property
    def label(self) -> str:
        return {
            "step_free": "Step-free access",
            "accessible_toilet": "Accessible toilet",
            "hearing_loop": "Hearing loop",
            "parking": "Parking",
        }[self.value]


# "Self-referral accepted" is the resident's question: can I just go, or get in touch myself?
SELF_REFERRAL_ACCEPTED = frozenset({HowToJoin.DROP_IN.value, HowToJoin.SELF_REFERRAL.value})


@dataclass(frozen=True)
class Location:
    latitude: float
    longitude: float
    postcode: str = ""  # what the person typed, normalised, for messages

    def __post_init__(self):
        if not (-90 <= self.latitude <= 90):
            raise SearchQueryError("latitude", "Latitude must be between -90 and 90.")
        if not (-180 <= self.longitude <= 180):
            raise SearchQueryError("longitude", "Longitude must be between -180 and 180.")


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    location: Location | None = None
    radius_miles: float = 3.0
    needs: tuple[int, ...] = ()  # NeedTerm ids; each includes its descendants
    weekdays: frozenset[int] = frozenset()  # 0 = Monday, as directory.choices.Weekday
    times_of_day: frozenset[TimeOfDay] = frozenset()
    free_only: bool = False
    delivery: frozenset[DeliveryMode] = frozenset()  # any of these
    accessibility: frozenset[Accessibility] = frozenset()  # all of these, at one venue
    age: int | None = None
    how_to_join: frozenset[str] = frozenset()  # HowToJoin values; any of these
    has_capacity: bool = False
    sort: Sort = Sort.BEST
    page: int = 1
    page_size: int = 20

    def __post_init__(self):
        if not (0 < self.radius_miles <= MAX_RADIUS_MILES):
            raise SearchQueryError("radius_miles", f"Choose a distance of more than 0 and up to {MAX_RADIUS_MILES:g} miles.")
        if any(day not in range(7) for day in self.weekdays):
            raise SearchQueryError("day", "Days are 0 (Monday) to 6 (Sunday).")
        if self.age is not None and not (0 <= self.age <= 120):
            raise SearchQueryError("age", "Enter an age from 0 to 120.")
        if unknown := self.how_to_join - set(HowToJoin.values):
            raise SearchQueryError("how_to_join", f"Unknown way to join: {', '.join(sorted(unknown))}.")
        if self.sort == Sort.NEAREST and self.location is None:
            raise SearchQueryError("sort", "Sorting by distance needs a postcode or a location.")
        if self.page < 1:
            raise SearchQueryError("page", "Pages are numbered from 1.")
        if not (1 <= self.page_size <= MAX_PAGE_SIZE):
            raise SearchQueryError("page_size", f"Ask for between 1 and {MAX_PAGE_SIZE} results a page.")

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size

    @property
    def has_session_filters(self) -> bool:
        """Filters that a single session (and its venue) must satisfy together."""
        return bool(self.location or self.weekdays or self.times_of_day or self.accessibility)


@dataclass(frozen=True)
class VenueSummary:
    id: int
    name: str
    town: str
    postcode: str
    latitude: float | None
    longitude: float | None
    accessibility: tuple[str, ...] = ()


@dataclass(frozen=True)
class NextSession:
    starts: datetime
    ends: datetime
    venue_name: str = ""


@dataclass(frozen=True)
class NeedSummary:
    id: int
    name: str
    slug: str


@dataclass(frozen=True)
class Hit:
    activity_id: int
    title: str
    summary: str
    url: str
    organisation_id: int
    organisation: str
    venue: VenueSummary | None
    distance_miles: float | None
    next_session: NextSession | None
    needs: tuple[NeedSummary, ...] = ()
    is_free: bool = True
    price: str = "Free"  # as the listing states it: "Free", "£3 per session"
    how_to_join: str = ""
    delivery: tuple[str, ...] = ()
    capacity_per_session: int | None = None
    highlight: str = ""  # an HTML fragment with <mark> around matched words, where supported


@dataclass(frozen=True)
class FacetCount:
    value: str
    label: str
    count: int


@dataclass(frozen=True)
class SearchResults:
    query: SearchQuery
    hits: tuple[Hit, ...]
    total: int
    facets: dict[str, tuple[FacetCount, ...]] = field(default_factory=dict)
    backend: str = ""
    # The engine's own time for the search, where it reports one (Elasticsearch's "took").
    took_ms: float | None = None
    # True when the configured engine could not answer and another backend did: the page
    # tells the person the results may be less complete.
    degraded: bool = False
    # The query as the engine searched it when it corrected misspelt words ("bereavement" for
    # "bereavment"), for "Showing results for …"; empty when it searched what was typed.
    corrected_text: str = ""

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.total // self.query.page_size))

    @property
    def has_next(self) -> bool:
        return self.query.page < self.num_pages

    @property
    def has_previous(self) -> bool:
        return self.query.page > 1
