"""iCalendar export of an activity's sessions, with recurrence rules."""

from datetime import datetime
from datetime import timezone as dt_timezone

from django.utils import timezone
from icalendar import Calendar, Event, vRecur

from directory.choices import Frequency
from directory.schedules import session_dates

_ICAL_DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


def session_rrule(session) -> dict | None:
    """The iCalendar RRULE for a session (``None`` for a one-off); the same rule ORUK schedules use."""
    if session.frequency == Frequency.ONCE:
        return None
    day = _ICAL_DAYS[session.weekday]
    rule = {"FREQ": "WEEKLY", "BYDAY": day}
    if session.frequency == Frequency.FORTNIGHTLY:
        rule["INTERVAL"] = 2
    if session.frequency == Frequency.MONTHLY:
        rule = {"FREQ": "MONTHLY", "BYDAY": f"{session.week_of_month}{day}"}
    if session.valid_to:
        tz = timezone.get_current_timezone()
        rule["UNTIL"] = datetime.combine(session.valid_to, session.end_time, tzinfo=tz).astimezone(dt_timezone.utc)
    return rule


def activity_calendar(activity) -> bytes:
    tz = timezone.get_current_timezone()
    calendar = Calendar()
    calendar.add("prodid", "-//Signpost//Community activities//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", activity.title)
    for session in activity.sessions.select_related("venue"):
        first = next(iter(session_dates(session, session.valid_from)), None)
        if first is None:
            continue
        event = Event()
        event.add("uid", f"{session.oruk_id}@signpost")
        event.add("summary", activity.title)
        event.add("description", activity.summary)
        event.add("dtstart", datetime.combine(first, session.start_time, tzinfo=tz))
        event.add("dtend", datetime.combine(first, session.end_time, tzinfo=tz))
        event.add("dtstamp", timezone.now())
        if session.venue:
            event.add("location", ", ".join([session.venue.name] + session.venue.address_lines))
        rule = session_rrule(session)
        if rule:
            event.add("rrule", vRecur(rule))
        calendar.add_component(event)
    return calendar.to_ical()
