"""Working days: what "within 48 hours" and "within 3 working days" mean to a social prescribing team.

Saturdays, Sundays and the public holidays of the service's UK nation (the ``holidays``
package, subdivision ``SIGNPOST_REFERRALS["HOLIDAYS_SUBDIVISION"]``) are not working days.
Deadlines are counted in Europe/London wall-clock time, so a deadline keeps its time of day
across the change to and from British Summer Time.

48 hours is 2 working days: a referral received on Friday at 10:00 is due on Tuesday at
10:00 (Monday 10:00 is one working day, Tuesday 10:00 two). Something received on a day
that is not a working day starts its clock at the beginning of the next working day: a
referral received on Saturday is due at the end of Tuesday (Wednesday 00:00).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings

LONDON = ZoneInfo("Europe/London")
DEFAULT_SUBDIVISION = "ENG"


def _subdivision() -> str:
    return getattr(settings, "SIGNPOST_REFERRALS", {}).get("HOLIDAYS_SUBDIVISION") or DEFAULT_SUBDIVISION


@lru_cache(maxsize=64)
def _public_holidays(subdivision: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv=subdivision, years=year).keys())


def is_working_day(day: date, *, subdivision: str | None = None) -> bool:
    if day.weekday() >= 5:
        return False
    return day not in _public_holidays(subdivision or _subdivision(), day.year)


def add_working_days(start: datetime, days: int, *, subdivision: str | None = None) -> datetime:
    """The moment ``days`` working days after ``start`` (an aware datetime), in Europe/London time."""
    if days < 0:
        raise ValueError("add_working_days counts forwards only.")
    subdivision = subdivision or _subdivision()
    local = start.astimezone(LONDON)
    day, clock = local.date(), local.time().replace(tzinfo=None)
    if not is_working_day(day, subdivision=subdivision):
        # Nobody is at work to receive it: the clock starts when the next working day does.
        while not is_working_day(day, subdivision=subdivision):
            day += timedelta(days=1)
        clock = time(0, 0)
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day, subdivision=subdivision):
            counted += 1
    return datetime.combine(day, clock, tzinfo=LONDON)
