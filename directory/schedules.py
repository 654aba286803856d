"""When sessions happen: the next occurrences of recurring schedules, and iCalendar export."""

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Iterable, Iterator

from django.utils import timezone

from directory.choices import Frequency, Weekday, WeekOfMonth


@dataclass(frozen=True)
class Occurrence:
    session: object  # ActivitySession
    starts: datetime
    ends: datetime

    @property
    def venue(self):
        return self.session.venue


def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> date | None:
    days = [d for d in calendar.Calendar().itermonthdates(year, month) if d.month == month and d.weekday() == weekday]
    if nth == WeekOfMonth.LAST:
        return days[-1]
    return days[nth - 1] if nth <= len(days) else None


def session_dates(session, start: date) -> Iterator[date]:
    """The dates of ``session`` on or after ``start``, in order (endless unless it has an end date)."""
    first = max(start, session.valid_from)
    last = session.valid_to
    if session.frequency == Frequency.ONCE:
        if start <= session.valid_from and (last is None or session.valid_from <= last):
            yield session.valid_from
        return
    if session.frequency == Frequency.MONTHLY:
        year, month = first.year, first.month
        while True:
            day = _nth_weekday(year, month, session.weekday, session.week_of_month)
            if day is not None and day >= first:
                if last is not None and day > last:
                    return
                yield day
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
            if last is not None and date(year, month, 1) > last:
                return
    # Weekly and fortnightly: count weeks from the first session on or after valid_from, so
    # a fortnightly session keeps its rhythm whatever day we start looking from.
    step = 14 if session.frequency == Frequency.FORTNIGHTLY else 7
    anchor = session.valid_from + timedelta(days=(session.weekday - session.valid_from.weekday()) % 7)
    if first <= anchor:
        day = anchor
    else:
        periods = -(-(first - anchor).days // step)  # ceiling division
        day = anchor + timedelta(days=periods * step)
    while last is None or day <= last:
        yield day
        day += timedelta(days=step)


def next_occurrences(sessions: Iterable, *, count: int = 5, after: datetime | None = None) -> list[Occurrence]:
    """The next ``count`` occurrences across ``sessions``, soonest first, that have not yet ended."""
    after = after or timezone.localtime()
    tz = timezone.get_current_timezone()
    found = []
    for session in sessions:
        for day in session_dates(session, after.date()):
            starts = datetime.combine(day, session.start_time, tzinfo=tz)
            ends = datetime.combine(day, session.end_time, tzinfo=tz)
            if ends <= after:
                continue
            found.append(Occurrence(session, starts, ends))
            if len([o for o in found if o.session is session]) >= count:
                break
    found.sort(key=lambda o: (o.starts, o.session.pk or 0))
    return found[:count]


def describe_session(session) -> str:
    """Plain-English description, e.g. "Every Tuesday, 10:00 to 11:30"."""
    times = f"{session.start_time:%H:%M} to {session.end_time:%H:%M}"
    day = Weekday(session.weekday).label if session.weekday is not None else ""
    if session.frequency == Frequency.ONCE:
        return f"{session.valid_from:%A %-d %B %Y}, {times}"
    if session.frequency == Frequency.WEEKLY:
        return f"Every {day}, {times}"
    if session.frequency == Frequency.FORTNIGHTLY:
        return f"Every other {day}, {times}"
    nth = WeekOfMonth(session.week_of_month).label.lower()
    return f"The {nth} {day} of the month, {times}"
