"""Issue 12, item 7: the connection and casework figures, pinned on known episodes.

Three people referred this autumn: the first went to one of two first sessions, held three
contacts, had a plan with three goals and was discharged with their goals met after five
weeks; the second's activity was declined by its provider, they took up a signpost, held one
contact and were referred elsewhere after a week; the third declined and was discharged two
days after referral.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from factories.referrals import discharge, hold_review, make_connection, make_link_worker, make_referral, make_signpost
from referrals.choices import ConnectionStatus as C
from referrals.choices import ContactMethod, ContactStatus, DischargeReason, GoalStatus
from referrals.choices import ReferralStatus as S
from referrals.models import CarePlan, Contact, Goal, Referral, StaffMembership
from referrals.permissions import reportable_connections, reportable_referrals
from referrals.roles import actor_for_user
from reporting.exports import Suppressor, report_tables
from reporting.figures import CaseloadRow, Report, build_report
from reporting.scope import ReportFilter

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
AUTUMN = ReportFilter(start=date(2026, 9, 1), end=date(2026, 12, 31))
TODAY = date(2026, 12, 31)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LONDON)


def _held(referral, count: int):
    for hours in range(count):
        Contact.objects.create(referral=referral, at=timezone.now() - timedelta(hours=hours + 1),
                               method=ContactMethod.PHONE, status=ContactStatus.HELD, recorded_by_label="Lee")


@pytest.fixture
def episodes(service, triage, link_worker, activity, other_activity):
    common = {"service": service, "triage": triage, "link_worker": link_worker}
    # Two activities, one attended and one missed; a plan; three contacts held (one the review).
    first = make_referral(status=C.ATTENDED, activity=activity, **common)
    make_connection(referral=first, status=C.DID_NOT_ATTEND, activity=other_activity)
    _held(first, 2)
    Contact.objects.create(referral=first, at=timezone.now() - timedelta(days=1), method=ContactMethod.PHONE,
                           status=ContactStatus.COULD_NOT_REACH, recorded_by_label="Lee")
    hold_review(first)
    plan = CarePlan.objects.create(referral=first)
    for status in (GoalStatus.ACHIEVED, GoalStatus.PARTLY_ACHIEVED, GoalStatus.IN_PROGRESS):
        Goal.objects.create(plan=plan, description=f"A goal {status}", status=status)
    discharge(first, reason=DischargeReason.GOALS_MET)
    # An activity the provider declined, and a signpost taken up; one contact held.
    second = make_referral(status=C.DECLINED_BY_PROVIDER, activity=activity, **common)
    make_signpost(referral=second, outcome=C.TOOK_UP)
    _held(second, 1)
    discharge(second, reason=DischargeReason.REFERRED_ELSEWHERE)
    # Declined before any contact.
    third = make_referral(status=S.DECLINED_BY_PERSON, **common)
    discharge(third, reason=DischargeReason.PERSON_DECLINED)
    # Whole weeks in winter time (no change of the clocks in between): 5 weeks, 1 week, 2 days.
    for referral, received, discharged in [(first, "2026-10-26 09:00", "2026-11-30 09:00"),
                                           (second, "2026-11-02 09:00", "2026-11-09 09:00"),
                                           (third, "2026-11-02 09:00", "2026-11-04 09:00")]:
        Referral.objects.filter(pk=referral.pk).update(received_at=at(received), discharged_at=at(discharged))
    return first, second, third


@pytest.fixture
def report(episodes, triage):
    actor = actor_for_user(triage)
    return build_report(referrals=reportable_referrals(actor), connections=reportable_connections(actor),
                        filters=AUTUMN, today=TODAY)


def test_first_session_attendance_is_counted_per_person_and_per_connection(report):
    # Two people connected to three activities; one person went to one first session.
    assert report.people_with_activity == 2
    assert report.connections.activities == 3
    assert report.connections.attended == 1
    assert report.attendance_share_of_connected == pytest.approx(1 / 2)
    assert report.attendance_share_per_connection == pytest.approx(1 / 3)
    # The headline is per person, of everyone referred.
    assert report.attended == 1
    assert report.attendance_share == pytest.approx(1 / 3)
    assert [(step.name, step.count) for step in report.funnel] == [
        ("Referred", 3), ("Contacted", 2), ("Connected to an activity or service", 2), ("First session booked", 1),
        ("Attended a first session", 1),
    ]


def test_connections_by_what_came_of_them_and_per_person(report):
    c = report.connections
    assert (c.made, c.activities, c.signposts, c.sent, c.declined_by_provider) == (4, 3, 1, 3, 1)
    assert (c.booked, c.attended, c.did_not_attend, c.took_up, c.did_not_take_up) == (2, 1, 1, 1, 0)
    assert report.did_not_attend_rate == pytest.approx(1 / 2)
    assert report.connections_per_person == [
        ("No connections", 1), ("1 connection", 0), ("2 connections", 2), ("3 connections", 0),
        ("4 or more connections", 0),
    ]


def test_discharge_reasons_and_weeks_from_referral_to_discharge(report):
    assert report.discharged == 3
    reasons = dict(report.discharge_reasons)
    assert (reasons["Goals met"], reasons["Referred to another service"], reasons["Person declined"]) == (1, 1, 1)
    assert sum(reasons.values()) == 3
    assert report.weeks_to_discharge[:3] == [("Under 4 weeks", 2), ("4 to 7 weeks", 1), ("8 to 11 weeks", 0)]
    assert report.median_weeks_to_discharge == pytest.approx(1.0)  # of 2/7, 1 and 5 weeks


def test_contacts_held_per_discharged_person(report):
    # Three held (one the review; the attempt that did not reach them does not count), one, none.
    assert report.held_contacts == [
        ("No contacts held", 1), ("1 contact", 1), ("2 to 3 contacts", 1), ("4 to 5 contacts", 0),
        ("6 to 12 contacts", 0), ("13 or more contacts", 0),
    ]
    assert report.median_held_contacts == 1


def test_share_with_a_plan_and_goals_achieved(report):
    # Of the two discharged after first contact, one had a plan.
    assert (report.discharged_after_contact, report.with_plan) == (2, 1)
    assert report.plan_share == pytest.approx(1 / 2)
    assert report.goals_with_outcome == 2
    assert report.goal_share(GoalStatus.ACHIEVED) == pytest.approx(1 / 2)
    assert report.goal_share(GoalStatus.PARTLY_ACHIEVED) == pytest.approx(1 / 2)
    assert report.goal_share(GoalStatus.NOT_ACHIEVED) == 0
    goals = {status: count for status, _label, count in report.goals}
    assert goals[GoalStatus.IN_PROGRESS] == 1


def test_discharge_figures_count_those_discharged_in_the_period(episodes, triage):
    actor = actor_for_user(triage)
    november = build_report(referrals=reportable_referrals(actor), filters=ReportFilter(
        start=date(2026, 11, 1), end=date(2026, 11, 8)), today=TODAY)
    # The third was discharged on 4 November; the second (received 2 November) on the 9th, after this period.
    assert november.referred == 2
    assert november.discharged == 1
    assert dict(november.discharge_reasons)["Person declined"] == 1


def test_caseload_per_full_time_link_worker_against_the_guide(service, triage):
    today = timezone.localdate()
    week = ReportFilter(start=today - timedelta(days=6), end=today)
    full_time = make_link_worker(service=service, username="fay", first_name="Fay", last_name="Fulltime")
    half_time = make_link_worker(service=service, username="hal", first_name="Hal", last_name="Halftime")
    idle = make_link_worker(service=service, username="ida", first_name="Ida", last_name="Idle")
    StaffMembership.objects.filter(user=half_time).update(hours_per_week=15)
    StaffMembership.objects.filter(user=idle).update(hours_per_week=30)
    for worker, count in [(full_time, 4), (half_time, 3)]:
        for _ in range(count):
            make_referral(status=S.TRIAGED, service=service, triage=triage, link_worker=worker)
    earlier = make_referral(status=S.TRIAGED, service=service, triage=triage, link_worker=full_time)
    Referral.objects.filter(pk=earlier.pk).update(triaged_at=timezone.now() - timedelta(days=30))

    actor = actor_for_user(triage)
    from referrals.permissions import report_link_workers_for

    report = build_report(referrals=reportable_referrals(actor), filters=week, today=today,
                          link_workers=report_link_workers_for(actor))
    rows = {row.name: row for row in report.caseload}
    assert report.caseload_days == 7
    # 4 in a week is 208.6 a year: within 200 to 250.
    assert rows["Fay Fulltime"].allocations == 4
    assert rows["Fay Fulltime"].per_full_time_year == pytest.approx(4 * 365 / 7)
    assert rows["Fay Fulltime"].against_guide == "within"
    # 3 in a week at 15 hours (0.4 of full time) is 391 a year full time: above.
    assert rows["Hal Halftime"].per_full_time_year == pytest.approx(3 * 365 / 7 / 0.4)
    assert rows["Hal Halftime"].against_guide == "above"
    assert (rows["Ida Idle"].allocations, rows["Ida Idle"].against_guide) == (0, "below")
    # The service: 7 over 1 + 0.4 + 0.8 full-time workers.
    service_row = report.caseload_service
    assert service_row.allocations == 7
    assert service_row.per_full_time_year == pytest.approx(7 * 365 / 7 / 2.2)
    assert service_row.against_guide == "below"
    # The link worker filter narrows the table to one.
    one = build_report(referrals=reportable_referrals(actor), today=today, link_workers=report_link_workers_for(actor),
                       filters=ReportFilter(start=week.start, end=week.end, link_worker_id=half_time.pk))
    assert [row.name for row in one.caseload] == ["Hal Halftime"]


def test_commissioners_see_the_new_figures_suppressed():
    report = Report(filters=AUTUMN, referred=12, people_with_activity=9,
                    discharged=8, discharge_reasons=[("Goals met", 6), ("Person declined", 2), ("Died", 0)],
                    weeks_to_discharge=[("Under 4 weeks", 8)], held_contacts=[("1 contact", 8)],
                    connections_per_person=[("No connections", 3), ("1 connection", 9)],
                    goals=[(GoalStatus.ACHIEVED, "Achieved", 7), (GoalStatus.PARTLY_ACHIEVED, "Partly achieved", 3),
                           (GoalStatus.NOT_ACHIEVED, "Not achieved", 6), (GoalStatus.IN_PROGRESS, "In progress", 0)],
                    caseload=[CaseloadRow("Fay Fulltime", 37.5, 60, 243.3, 243.3),
                              CaseloadRow("Hal Halftime", 18.75, 2, 8.1, 16.2)],
                    caseload_service=CaseloadRow("All link workers", 56.25, 62, 251.4, 167.6), caseload_days=90)
    tables = report_tables(report, [], suppress=Suppressor(on=True, threshold=5))
    # 8 discharged, 2 declined: the 6 would give the 2 away, so it is hidden with it. The 2's share says
    # as much as its "<5" (under 5 of 8), never "<5" itself (issue 15).
    assert tables["discharge_reasons"].rows == [
        ["Goals met", "suppressed", "suppressed"], ["Person declined", "<5", "under 63%"], ["Died", 0, 0.0],
        ["All discharged", 8, 100.0],
    ]
    assert tables["connections_per_person"].rows[0][1:] == ["<5", "under 42%"]
    # Partly achieved (3) is hidden with another outcome, and its share with it.
    goals = {row[0]: row[1:] for row in tables["goals"].rows}
    assert goals["Partly achieved"] == ["<5", "under 32%"]
    assert sum(isinstance(goals[name][0], str) for name in ("Achieved", "Not achieved")) == 1
    # A link worker with two allocations: hidden, and so is everything worked out from it; Fay's 60 with it
    # (the service's 62 would give the 2 away).
    caseload = {row[0]: row for row in tables["caseload"].rows}
    assert caseload["Hal Halftime"][2:] == ["<5", "<5", "<5", "Too few to say"]
    assert caseload["Fay Fulltime"][2] == "suppressed"
    assert caseload["All link workers"][2:5] == [62, 251, 168]
    staff = report_tables(report, [], suppress=Suppressor(on=False, threshold=5))
    assert {row[0]: row[2] for row in staff["caseload"].rows}["Hal Halftime"] == 2
    assert {row[0]: row[5] for row in staff["caseload"].rows}["Fay Fulltime"] == "Within the guide"
