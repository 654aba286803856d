"""The commissioners' figures, pinned exactly on a known set of referrals (January to March 2026)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model

from factories.referrals import make_referral, only_connection
from directory.permissions import organisation_sync_editor_permissions
from referrals.choices import ConnectionStatus as C
from referrals.choices import ReferralStatus as S
from referrals.models import Connection, Referral, WellbeingScore
from referrals.permissions import reportable_connections, reportable_referrals
from referrals.roles import actor_for_user
from factories.referrals import make_connection
from reporting.figures import build_report
from reporting.scope import ReportFilter, reader_scope

LONDON = ZoneInfo("Europe/London")
Q1 = ReportFilter(start=date(2026, 1, 1), end=date(2026, 3, 31))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LONDON)


def _stamp(referral, **moments):
    Referral.objects.filter(pk=referral.pk).update(**{name: at(value) if value else None for name, value in moments.items()})


def _stamp_connection(connection, **moments):
    if isinstance(connection, Referral):
        connection = only_connection(connection)
    Connection.objects.filter(pk=connection.pk).update(
        **{name: at(value) if value else None for name, value in moments.items()})


@pytest.fixture
def known(service, other_service, triage, link_worker, activity, needs):
    common = {"service": service, "triage": triage, "link_worker": link_worker, "activity": activity}
    r1 = make_referral(status=C.ATTENDED, needs=[needs["loneliness"]], **common)
    _stamp(r1, received_at="2026-01-05 09:00", contacted_at="2026-01-06 10:00", triaged_at="2026-01-05 10:00")
    _stamp_connection(r1, created_at="2026-01-07 10:00", sent_to_provider_at="2026-01-12 09:00",
                      provider_responded_at="2026-01-12 13:00", first_session_booked_at="2026-01-13 10:00",
                      first_session_at="2026-01-20 10:00", attended_at="2026-01-20 12:00",
                      attendance_recorded_at="2026-01-20 12:00", ended_at="2026-01-20 12:00")
    r2 = make_referral(status=C.DID_NOT_ATTEND, needs=[needs["walking"]], source="self", **common)
    _stamp(r2, received_at="2026-01-09 10:00", contacted_at="2026-01-14 10:00")
    _stamp_connection(r2, created_at="2026-01-14 11:00", sent_to_provider_at="2026-01-15 10:00",
                      provider_responded_at="2026-01-16 10:00", first_session_booked_at="2026-01-16 11:00",
                      first_session_at="2026-01-30 10:00", did_not_attend_at="2026-01-30 12:00",
                      attendance_recorded_at="2026-01-30 12:00", ended_at="2026-01-30 12:00")
    r3 = make_referral(status=C.ACTIVITY_CHOSEN, needs=[needs["loneliness"], needs["walking"]],
                       source="other_professional", **common)
    _stamp(r3, received_at="2026-02-10 12:00", contacted_at="2026-02-10 15:00")
    _stamp_connection(r3, created_at="2026-02-11 10:00")
    # Crosses the period boundary: received in March, contacted in April.
    r4 = make_referral(status=S.CONTACTED, **common)
    _stamp(r4, received_at="2026-03-31 16:00", contacted_at="2026-04-01 09:00")
    # Outside the period, and in another service: neither counts.
    r5 = make_referral(status=S.RECEIVED, **common)
    _stamp(r5, received_at="2025-12-31 23:30")
    r6 = make_referral(status=S.RECEIVED, service=other_service)
    _stamp(r6, received_at="2026-02-01 10:00")

    for referral, stage, scores, when in [
        (r1, "first_conversation", (5, 5, 5, 7), "2026-01-06 10:00"),
        (r1, "review", (7, 6, 8, 4), "2026-03-01 10:00"),
        (r3, "first_conversation", (3, 4, 4, 8), "2026-02-10 15:00"),
        (r3, "review", (9, 9, 9, 1), "2026-04-10 10:00"),  # after the period: not counted
    ]:
        WellbeingScore.objects.create(referral=referral, stage=stage, recorded_at=at(when),
                                      **dict(zip(["life_satisfaction", "worthwhile", "happiness", "anxiety"], scores)))
    return {"r1": r1, "r2": r2, "r3": r3, "r4": r4}


@pytest.fixture
def report(known, triage):
    return build_report(referrals=reportable_referrals(actor_for_user(triage)), filters=Q1)


def test_referrals_by_month_source_and_need(report):
    assert report.referred == 4
    assert report.self_referrals == 1
    assert report.by_source == {"primary_care": 2, "other_professional": 1, "self": 1}
    assert report.by_month == [
        (date(2026, 1, 1), {"primary_care": 1, "self": 1}),
        (date(2026, 2, 1), {"other_professional": 1}),
        (date(2026, 3, 1), {"primary_care": 1}),
    ]
    assert report.by_need == [("Loneliness and isolation", 2), ("Physical activity", 2)]


def test_the_funnel_counts_steps_taken_by_the_end_of_the_period(report):
    assert [(step.name, step.count) for step in report.funnel] == [
        ("Referred", 4), ("Contacted", 3), ("Connected to an activity or service", 3), ("First session booked", 2),
        ("Attended a first session", 1),
    ]
    assert report.funnel[1].share == 0.75
    assert report.attendance_share == 0.25
    assert report.meets_attendance_target is False


def test_times_to_contact_first_session_and_provider_response(report):
    assert report.contacted == 3
    # r1 within 2 working days; r2 received on a Friday, contacted the next Wednesday: late; r3 in 3 hours.
    assert report.contacted_within_target == 2
    assert report.share_contacted_within_target == pytest.approx(2 / 3)
    assert report.median_hours_to_contact == 25
    assert report.median_days_to_first_session == pytest.approx((15 + 1 / 24 + 21) / 2)
    assert report.provider_responses == 2
    assert report.median_hours_to_provider_response == 14


def test_did_not_attend_rate(report):
    assert report.attendance_recorded == 2
    assert report.did_not_attend == 1
    assert report.did_not_attend_rate == 0.5


def test_wellbeing_change_counts_people_with_both_answers_by_the_end(report):
    overall = {change.measure: change for change in report.wellbeing}
    assert overall["life_satisfaction"].people == 1
    assert (overall["life_satisfaction"].first, overall["life_satisfaction"].review) == (5, 7)
    assert [overall[m].change for m in ["life_satisfaction", "worthwhile", "happiness", "anxiety"]] == [2, 1, 3, -3]
    assert list(report.wellbeing_by_need) == ["Loneliness and isolation"]


def test_filters_narrow_the_cohort(known, triage, needs, link_worker):
    referrals = reportable_referrals(actor_for_user(triage))
    assert build_report(referrals=referrals, filters=ReportFilter(**{**Q1.__dict__, "source": "self"})).referred == 1
    walking = ReportFilter(start=Q1.start, end=Q1.end, need_id=needs["physical"].pk)
    assert build_report(referrals=referrals, filters=walking).referred == 2  # the child term "Walking" counts
    assert build_report(referrals=referrals, filters=ReportFilter(start=Q1.start, end=Q1.end, area="BH15")).referred == 4
    assert build_report(referrals=referrals, filters=ReportFilter(start=Q1.start, end=Q1.end, area="BH1")).referred == 0
    assert build_report(referrals=referrals, filters=ReportFilter(start=Q1.start, end=Q1.end, area="BH")).referred == 4
    one_month = ReportFilter(start=date(2026, 3, 1), end=date(2026, 3, 31))
    march = build_report(referrals=referrals, filters=one_month)
    assert (march.referred, march.contacted) == (1, 0)  # contacted in April: after this period


def test_a_provider_reports_only_on_referrals_sent_to_it_and_counts_only_its_connections(
    known, provider_editor, triage, other_activity
):
    # r1 is also connected to another organisation's activity, and went to its first session too.
    second = make_connection(referral=known["r1"], status=C.ATTENDED, activity=other_activity)
    _stamp_connection(second, created_at="2026-01-08 10:00", sent_to_provider_at="2026-01-09 10:00",
                      first_session_booked_at="2026-01-10 10:00", attended_at="2026-01-21 12:00")
    provider = actor_for_user(provider_editor)
    mine = build_report(referrals=reportable_referrals(provider), filters=Q1, connections=reportable_connections(provider),
                        casework=False)
    assert mine.referred == 2  # r1 and r2 went to the provider; r3 and r4 did not
    assert (mine.connections.made, mine.connections.attended, mine.connections.did_not_attend) == (2, 1, 1)
    assert mine.provider_responses == 2
    assert mine.casework is False and mine.caseload == [] and mine.discharge_reasons == []
    service = actor_for_user(triage)
    everything = build_report(referrals=reportable_referrals(service), filters=Q1,
                              connections=reportable_connections(service))
    assert (everything.connections.made, everything.connections.attended) == (4, 2)
    # The provider filter narrows a commissioner's report the same way: only that provider's connections.
    other = build_report(referrals=reportable_referrals(service), connections=reportable_connections(service),
                         filters=ReportFilter(start=Q1.start, end=Q1.end, provider_id=other_activity.get_parent().pk))
    assert (other.referred, other.connections.made, other.connections.attended, other.attended) == (1, 1, 1, 1)


def test_a_reader_who_is_also_a_provider_counts_only_their_own_connections_of_other_services_referrals(
    known, service, other_service, triage, activity, other_activity, other_organisation
):
    """A triage officer counts every connection of the service's referrals; one who also edits a
    provider, and so sees another service's referral that went to it, counts only that provider's
    connections of it."""
    r6 = Referral.objects.get(service=other_service)
    # Sent to two providers: the one the reader edits, and another.
    for number, sent_to in enumerate((other_activity, activity), start=1):
        Connection.objects.create(referral=r6, number=number, activity=sent_to, provider=sent_to.get_parent().specific,
                                  status=C.SENT_TO_PROVIDER, created_at=at("2026-02-02 10:00"),
                                  sent_to_provider_at=at("2026-02-02 11:00"))
    service_only = reader_scope(actor_for_user(triage))
    assert build_report(**service_only, filters=Q1).connections.made == 3
    # Triage for the service, and an editor of the organisation running other_activity.
    (other_organisation.editors or organisation_sync_editor_permissions(organisation=other_organisation)).user_set.add(triage)
    # A fresh copy of the user: their roles are cached on the one the fixture gave.
    both = reader_scope(actor_for_user(get_user_model().objects.get(pk=triage.pk)))
    report = build_report(**both, filters=Q1)
    # r1-r4, and r6 (which went to the provider they edit): its connection to that provider only.
    assert (report.referred, report.connections.made) == (5, 4)


def test_gaps_in_provision_set_demand_beside_nearby_supply(known, triage, activity, needs, postcodes, settings):
    from reporting.gaps import gaps_in_provision

    settings.SIGNPOST_REPORTING = {**settings.SIGNPOST_REPORTING, "GAP_MIN_DEMAND": 2, "GAP_MAX_SUPPLY": 0}
    activity.needs.add(needs["walking"])  # in Poole, under a mile from BH15 1AB
    activity.save_revision().publish()
    referrals = reportable_referrals(actor_for_user(triage))

    rows = {(row.district, row.need): row for row in gaps_in_provision(referrals=referrals, filters=Q1)}
    assert set(rows) == {("BH15", "Loneliness and isolation"), ("BH15", "Physical activity")}
    lonely, active = rows[("BH15", "Loneliness and isolation")], rows[("BH15", "Physical activity")]
    assert (lonely.demand, lonely.supply, lonely.is_gap) == (2, 0, True)
    assert (active.demand, active.supply, active.is_gap) == (2, 1, False)  # the walk, via its child term
    assert lonely.latitude == pytest.approx(50.7154)

    settings.SIGNPOST_REPORTING = {**settings.SIGNPOST_REPORTING, "GAP_DISTANCE_MILES": 0.001}
    rows = {(row.district, row.need): row for row in gaps_in_provision(referrals=referrals, filters=Q1)}
    assert rows[("BH15", "Physical activity")].supply == 0  # too far at this distance


def test_summer_time_edges_months_and_the_contact_deadline(service, triage, link_worker, activity, needs):
    """Months are local months (00:30 on 1 May in summer time is 23:30 UTC on 30 April), and a
    contact exactly at the deadline is in time, a second later is not, across a change of the clocks."""
    common = {"service": service, "triage": triage, "link_worker": link_worker, "needs": [needs["loneliness"]]}
    april = make_referral(status=S.CONTACTED, **common)
    # Thursday 30 April 2026, 23:59:59: due two working days later, Monday 4 May is a bank holiday,
    # so by Tuesday 5 May at 23:59:59.
    _stamp(april, received_at="2026-04-30 23:59:59", contacted_at="2026-05-05 23:59:59")
    may = make_referral(status=S.CONTACTED, **common)
    # Friday 1 May 00:30: due Wednesday 6 May 00:30 (the bank holiday again); a second late.
    _stamp(may, received_at="2026-05-01 00:30", contacted_at="2026-05-06 00:30:01")
    clocks = make_referral(status=S.CONTACTED, **common)
    # Friday 23 October; the clocks go back on Sunday 25th: due Tuesday 27th at the same local time.
    _stamp(clocks, received_at="2026-10-23 09:15", contacted_at="2026-10-27 09:15")
    weekend = make_referral(status=S.CONTACTED, **common)
    # Received on Saturday 28 March (the clocks go forward on Sunday 29th): the clock starts on
    # Monday 30th, due at the start of Wednesday 1 April.
    _stamp(weekend, received_at="2026-03-28 14:00", contacted_at="2026-04-01 00:00")

    referrals = reportable_referrals(actor_for_user(triage))
    report = build_report(referrals=referrals, filters=ReportFilter(start=date(2026, 3, 1), end=date(2026, 10, 31)))
    months = dict(report.by_month)
    assert months[date(2026, 3, 1)] == {"primary_care": 1}
    assert months[date(2026, 4, 1)] == {"primary_care": 1}
    assert months[date(2026, 5, 1)] == {"primary_care": 1}
    assert months[date(2026, 10, 1)] == {"primary_care": 1}
    assert report.contacted == 4
    assert report.contacted_within_target == 3  # all but the one a second late
    # Hours: 120 (30 April to 5 May), 120 and a second, 97 (an hour gained when the clocks went
    # back) and 81 (an hour lost when they went forward).
    assert report.median_hours_to_contact == pytest.approx((97 + 120) / 2)


def test_the_fast_contact_deadline_agrees_with_the_rule_every_hour_of_two_years():
    """The reports' per-day shortcut gives the alerts' deadline for receipts at every hour (and
    odd minutes) from 2025 to 2026, across weekends, bank holidays and changes of the clocks."""
    from datetime import timedelta
    from datetime import timezone as dt_timezone

    from reporting.figures import contact_deadline, contact_deadline_millis

    moment = datetime(2025, 1, 1, tzinfo=dt_timezone.utc)
    while moment < datetime(2027, 1, 1, tzinfo=dt_timezone.utc):
        millis = round(moment.timestamp() * 1000)
        assert contact_deadline_millis(millis) == round(contact_deadline(moment).timestamp() * 1000), moment
        moment += timedelta(minutes=53, milliseconds=7)
