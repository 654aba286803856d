"""The ORUK API's query parameters, read and checked: an ``OrukQuery``, or an ``OrukQueryError``
naming the parameter at fault in words fit for whoever wrote the request (an HTTP 400).

The profile's words decide what each filter means (``schema/openapi.json``); where they are
loose, our reading is stated on the parameter in the served OpenAPI document (``openapi``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime, time
from datetime import timezone as dt_timezone
from decimal import Decimal, InvalidOperation

from django.utils import timezone

from common.bounds import MAX_PAGE
from directory.geocoding import GeocodingError, locate_postcode
from search.types import MAX_PAGE_SIZE, MAX_RADIUS_MILES, Location

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = MAX_PAGE_SIZE  # 100: as the search API
METRES_PER_MILE = 1609.344
# The farthest the search pages look; a postcode given without a proximity looks this far.
MAX_PROXIMITY_METRES = math.floor(MAX_RADIUS_MILES * METRES_PER_MILE)
MAX_TEXT = 200  # as the search page's box
MAX_ID = 64  # our ORUK ids' column
MAX_AGE = 150
DAYS = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}
DAY_NAMES = {name: number for number, name in enumerate(
    ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))}
TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"
# Parameters only /service_at_locations takes (a service has many locations).
LOCATION_PARAMETERS = ("postcode", "proximity")


class OrukQueryError(ValueError):
    def __init__(self, parameter: str, message: str):
        super().__init__(f"{parameter}: {message}")
        self.parameter = parameter
        self.message = message


@dataclass(frozen=True)
class OrukQuery:
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    search: str = ""
    taxonomy_term_id: str = ""
    taxonomy_id: str = ""
    minimum_age: Decimal | None = None
    maximum_age: Decimal | None = None
    days: frozenset[int] = field(default_factory=frozenset)
    start_time: time | None = None
    end_time: time | None = None
    modified_after: datetime | None = None
    location: Location | None = None
    proximity_metres: float | None = None

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @property
    def has_session_filters(self) -> bool:
        return bool(self.days or self.start_time or self.end_time)

    @property
    def proximity_miles(self) -> float:
        return (self.proximity_metres or MAX_PROXIMITY_METRES) / METRES_PER_MILE


def _text(data, name: str, *, max_length: int) -> str:
    value = data.get(name, "")
    if "\x00" in value:
        raise OrukQueryError(name, "must not contain NUL characters.")
    value = value.strip()
    if len(value) > max_length:
        raise OrukQueryError(name, f"must be at most {max_length} characters.")
    return value


def _whole_number(data, name: str, *, default: int, low: int, high: int, low_message: str, high_message: str) -> int:
    value = _text(data, name, max_length=20)
    if not value:
        return default
    if not re.fullmatch(r"[+-]?[0-9]+", value):
        raise OrukQueryError(name, "must be a whole number.")
    number = int(value)
    if number < low:
        raise OrukQueryError(name, low_message)
    if number > high:
        raise OrukQueryError(name, high_message)
    return number


def _number(data, name: str, *, low: float, high: float, unit: str) -> Decimal | None:
    value = _text(data, name, max_length=30)
    if not value:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise OrukQueryError(name, "must be a number.") from None
    if not number.is_finite() or not (low <= number <= high):
        raise OrukQueryError(name, f"must be from {low:g} to {high:,g} {unit}.")
    return number


def _time(data, name: str) -> time | None:
    value = _text(data, name, max_length=8)
    if not value:
        return None
    if not re.fullmatch(TIME_PATTERN, value):
        raise OrukQueryError(name, "must be a time of day as HH:MM (24-hour clock), like 09:30.")
    return time.fromisoformat(value)


def _days(data) -> frozenset[int]:
    value = _text(data, "day", max_length=100)
    days = set()
    for part in filter(None, (piece.strip() for piece in value.split(","))):
        number = DAYS.get(part.upper(), DAY_NAMES.get(part.lower()))
        if number is None:
            raise OrukQueryError("day", f"“{part}” is not a day: use MO, TU, WE, TH, FR, SA or SU (or the day's name).")
        days.add(number)
    return frozenset(days)


def _moment(data, name: str) -> datetime | None:
    value = _text(data, name, max_length=40)
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
        if timezone.is_naive(moment):
            # As the importer reads a feed's timestamps without an offset: UK local time.
            moment = timezone.make_aware(moment, timezone.get_default_timezone())
        # In UTC: PostgreSQL refuses offsets beyond 15:59, which ISO 8601 allows (and out of
        # range near year 1 or 9999 is refused here).
        moment = moment.astimezone(dt_timezone.utc)
    except (ValueError, OverflowError):
        raise OrukQueryError(
            name, "must be a date and time (ISO 8601), like 2025-06-01T09:00:00Z; without an offset it is UK time."
        ) from None
    return moment


def _location(data) -> tuple[Location | None, float | None]:
    postcode = _text(data, "postcode", max_length=16)
    proximity = _number(data, "proximity", low=1, high=MAX_PROXIMITY_METRES, unit="metres")
    if not postcode:
        if proximity is not None:
            raise OrukQueryError("proximity", "needs a postcode to measure from.")
        return None, None
    try:
        coordinates = locate_postcode(postcode)
    except GeocodingError as error:
        raise OrukQueryError("postcode", str(error)) from None
    location = Location(float(coordinates.latitude), float(coordinates.longitude), postcode.upper())
    return location, float(proximity) if proximity is not None else None


def read_query(data, *, locations: bool = False, filters: bool = True) -> OrukQuery:
    """``data`` (a request's GET) as an ``OrukQuery``. ``filters`` for the service lists;
    ``locations`` for /service_at_locations, which alone takes a postcode and proximity."""
    page = _whole_number(
        data, "page", default=1, low=1, high=MAX_PAGE,
        low_message="Pages start at 1.", high_message=f"Pages go up to {MAX_PAGE:,}.",
    )
    per_page = _whole_number(
        data, "per_page", default=DEFAULT_PER_PAGE, low=1, high=MAX_PER_PAGE,
        low_message="Ask for at least 1 item a page.", high_message=f"Ask for at most {MAX_PER_PAGE} items a page.",
    )
    if not filters:
        return OrukQuery(page=page, per_page=per_page)
    if not locations:
        for name in LOCATION_PARAMETERS:
            if data.get(name):
                raise OrukQueryError(name, "filters /service_at_locations (a service may have several locations).")
    minimum_age = _number(data, "minimum_age", low=0, high=MAX_AGE, unit="years")
    maximum_age = _number(data, "maximum_age", low=0, high=MAX_AGE, unit="years")
    location, proximity = _location(data) if locations else (None, None)
    return OrukQuery(
        page=page,
        per_page=per_page,
        search=_text(data, "search", max_length=MAX_TEXT),
        taxonomy_term_id=_text(data, "taxonomy_term_id", max_length=MAX_ID),
        taxonomy_id=_text(data, "taxonomy_id", max_length=MAX_ID),
        minimum_age=minimum_age,
        maximum_age=maximum_age,
        days=_days(data),
        start_time=_time(data, "start_time"),
        end_time=_time(data, "end_time"),
        modified_after=_moment(data, "modified_after"),
        location=location,
        proximity_metres=proximity,
    )
