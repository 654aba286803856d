from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from icalendar import Calendar

from directory.calendar import activity_calendar
from directory.choices import Frequency
from directory.models import ActivitySession
from directory.schedules import describe_session, next_occurrences, session_dates

LONDON = ZoneInfo("Europe/London")


def _session(**fields):
    defaults = {
        "frequency": Frequency.WEEKLY,
        "weekday": 1,
        "start_time": time(10, 0),
        "end_time": time(11, 30),
        "valid_from": date(2026, 1, 6),
    }
    return ActivitySession(**{**defaults, **fields})


def _first(session, start, n=3):
    dates = session_dates(session, start)
    return [next(dates) for _ in range(n)]


def test_weekly_sessions_fall_on_their_weekday():
    # 2026-11-23 is a Monday; the next Tuesdays follow.
    assert _first(_session(), date(2026, 11, 23)) == [date(2026, 11, 24), date(2026, 12, 1), date(2026, 12, 8)]


def test_fortnightly_sessions_keep_their_rhythm_from_the_first_date():
    session = _session(frequency=Frequency.FORTNIGHTLY, valid_from=date(2026, 11, 17))  # a Tuesday
    assert _first(session, date(2026, 11, 20)) == [date(2026, 12, 1), date(2026, 12, 15), date(2026, 12, 29)]
    assert _first(session, date(2026, 11, 17), 1) == [date(2026, 11, 17)]


def test_monthly_sessions_on_the_nth_and_last_weekday():
    second_thursday = _session(frequency=Frequency.MONTHLY, weekday=3, week_of_month=2)
    assert _first(second_thursday, date(2026, 11, 23)) == [date(2026, 12, 10), date(2027, 1, 14), date(2027, 2, 11)]
    last_friday = _session(frequency=Frequency.MONTHLY, weekday=4, week_of_month=-1)
    assert _first(last_friday, date(2026, 11, 23), 2) == [date(2026, 11, 27), date(2026, 12, 25)]


def test_sessions_stop_at_their_end_date_and_one_offs_happen_once():
    ending = _session(valid_to=date(2026, 12, 1))
    assert list(session_dates(ending, date(2026, 11, 23))) == [date(2026, 11, 24), date(2026, 12, 1)]
    one_off = _session(frequency=Frequency.ONCE, weekday=None, valid_from=date(2026, 12, 5))
    assert list(session_dates(one_off, date(2026, 11, 23))) == [date(2026, 12, 5)]
    assert list(session_dates(one_off, date(2026, 12, 6))) == []


def test_next_occurrences_merge_sessions_soonest_first_and_skip_ended_ones():
    tuesday = _session(pk=1)
    thursday = _session(pk=2, weekday=3, start_time=time(14, 0), end_time=time(15, 0))
    now = datetime(2026, 11, 24, 12, 0, tzinfo=LONDON)  # Tuesday's session has ended
    found = next_occurrences([tuesday, thursday], count=3, after=now)
    assert [o.starts for o in found] == [
        datetime(2026, 11, 26, 14, 0, tzinfo=LONDON),
        datetime(2026, 12, 1, 10, 0, tzinfo=LONDON),
        datetime(2026, 12, 3, 14, 0, tzinfo=LONDON),
    ]


def test_sessions_are_described_in_plain_english():
    assert describe_session(_session()) == "Every Tuesday, 10:00 to 11:30"
    assert describe_session(_session(frequency=Frequency.FORTNIGHTLY)) == "Every other Tuesday, 10:00 to 11:30"
    assert (
        describe_session(_session(frequency=Frequency.MONTHLY, week_of_month=-1)) == "The last Tuesday of the month, 10:00 to 11:30"
    )


def test_icalendar_export_carries_recurrence_rules(home):
    from factories.directory import make_activity, make_organisation, make_venue

    venue = make_venue("Hamworthy Library")
    activity = make_activity(
        make_organisation(),
        "Knit and natter",
        sessions=[
            {"venue": venue},
            {"venue": venue, "frequency": Frequency.MONTHLY, "weekday": 3, "week_of_month": 2},
            {"venue": venue, "frequency": Frequency.FORTNIGHTLY, "valid_to": date(2027, 3, 30)},
        ],
    )
    calendar = Calendar.from_ical(activity_calendar(activity))
    events = calendar.walk("VEVENT")
    assert len(events) == 3
    rules = [event["RRULE"] for event in events]
    assert rules[0]["FREQ"] == ["WEEKLY"] and rules[0]["BYDAY"] == ["TU"]
    assert rules[1]["FREQ"] == ["MONTHLY"] and rules[1]["BYDAY"] == ["2TH"]
    assert rules[2]["INTERVAL"] == [2] and rules[2]["UNTIL"]
    assert "Hamworthy Library" in str(events[0]["LOCATION"])
    assert events[0].decoded("DTSTART") == datetime(2026, 1, 6, 10, 0, tzinfo=LONDON)
