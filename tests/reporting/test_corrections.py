"""A change to a referral's record forgets only the stored figures it could move (``reporting.corrections``):
day-to-day work, dated today, leaves closed periods stored; a step dated back into a period forgets it;
and whatever the change, the figures read from the store equal those computed afresh."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from factories.referrals import only_connection
from referrals import contacts, outcomes, services
from referrals.choices import ConnectionStatus as C
from referrals.choices import ContactMethod, ContactStatus, DischargeReason, GoalStatus
from referrals.models import CarePlan, Contact, Goal, Referral, WellbeingScore
from referrals.roles import actor_for_user
from reporting.models import StoredReport
from reporting.scope import ReportFilter
from tests.reporting import test_period_to_date as to_date
from tests.reporting import test_stored_reports as closed

known, at, Q1, AFTER = closed.known, closed.at, closed.Q1, closed.AFTER
_stored, _live = closed._stored, closed._live
ON_31_MARCH, TO_DATE = to_date.ON_31_MARCH, to_date._to_date(closed.Q1)


def _stored_ends() -> list[date]:
    return sorted(StoredReport.objects.values_list("period_end", flat=True))


def _contact(referral, moment, status=ContactStatus.HELD):
    return Contact.objects.create(referral_id=referral.pk, at=moment, method=ContactMethod.PHONE, status=status,
                                  duration_minutes=20, recorded_by_label="Link worker")


@pytest.mark.django_db
def test_day_to_day_work_today_leaves_the_closed_period_stored(known, triage, link_worker, provider_editor):
    actor, provider = actor_for_user(link_worker), actor_for_user(provider_editor)
    connection = services.connection_send_to_provider(connection=only_connection(known["r3"]), actor=actor)
    before = _stored(triage)
    assert _stored_ends() == [Q1.end]

    held = contacts.contact_record(referral=known["r4"], actor=actor, at=timezone.now() - timedelta(minutes=10),
                                   method=ContactMethod.PHONE, status=ContactStatus.HELD, duration_minutes=30)
    held.reminder_queued_at = timezone.now()  # as the reminder job stamps a contact
    held.save(update_fields=["reminder_queued_at", "updated_at"])
    outcomes.wellbeing_record(referral=known["r4"], actor=actor, stage="first_conversation",
                              scores={"life_satisfaction": 6, "worthwhile": 6, "happiness": 5, "anxiety": 4})
    services.connection_provider_accept(connection=connection, actor=provider)
    services.connection_book_first_session(connection=connection, actor=provider,
                                           starts_at=timezone.now() + timedelta(days=7))
    referral = Referral.objects.get(pk=known["r1"].pk)
    referral.notes = "Prefers mornings."
    referral.save()

    assert _stored_ends() == [Q1.end]
    assert _stored(triage) == before == _live(triage)


@pytest.mark.django_db
def test_sending_to_a_provider_forgets_the_referrals_period_as_the_providers_report_then_counts_it(
        known, triage, link_worker):
    _stored(triage)
    services.connection_send_to_provider(connection=only_connection(known["r3"]), actor=actor_for_user(link_worker))
    assert _stored_ends() == []


@pytest.mark.django_db
def test_a_step_dated_back_into_the_period_forgets_it(known, triage):
    before = _stored(triage)
    connection = only_connection(known["r3"])
    connection.sent_to_provider_at = at("2026-03-02 10:00")
    connection.status = C.SENT_TO_PROVIDER
    connection.save()

    assert _stored_ends() == []
    assert _stored(triage).connections.sent == before.connections.sent + 1


@pytest.mark.django_db
def test_a_new_connection_forgets_the_period_as_a_providers_report_then_counts_the_referral(known, triage,
                                                                                           link_worker, activity):
    _stored(triage)
    services.connection_choose_activity(referral=known["r4"], actor=actor_for_user(link_worker), activity=activity)
    assert _stored_ends() == []


@pytest.mark.django_db
def test_a_step_forgets_only_the_months_of_its_referral(known, triage):
    _stored(triage, TO_DATE, today=ON_31_MARCH)
    assert _stored_ends() == [date(2026, 1, 31), date(2026, 2, 28)]
    # Held with r1 (received in January) on 31 March, the day both months are counted up to.
    _contact(known["r1"], at("2026-03-31 10:00"))
    assert _stored_ends() == [date(2026, 2, 28)]
    assert _stored(triage, TO_DATE, today=ON_31_MARCH) == _live(triage, TO_DATE, today=ON_31_MARCH)


@pytest.mark.django_db
def test_a_step_after_the_day_counted_up_to_keeps_the_month_until_that_moment(known, triage):
    _stored(triage, TO_DATE, today=ON_31_MARCH)
    _contact(known["r1"], at("2026-04-01 09:30"))
    assert _stored_ends() == [date(2026, 1, 31), date(2026, 2, 28)]
    assert StoredReport.objects.get(period_end=date(2026, 1, 31)).unchanged_until == at("2026-04-01 09:30")

    # Still January's figures to 31 March; the next day it is computed again, with the contact.
    assert _stored(triage, TO_DATE, today=ON_31_MARCH) == _live(triage, TO_DATE, today=ON_31_MARCH)
    on_1_april = ReportFilter(start=Q1.start, end=date(2026, 4, 1))
    assert _stored(triage, on_1_april, today=date(2026, 4, 1)) == _live(triage, on_1_april, today=date(2026, 4, 1))
    assert StoredReport.objects.get(period_end=date(2026, 1, 31)).counted_to == date(2026, 4, 1)


@pytest.mark.django_db
def test_after_every_kind_of_change_the_stored_figures_equal_those_computed_afresh(known, triage, link_worker):
    """Each change, then a closed quarter and a period to date read through the store (stored once
    more if it was forgotten) against the same figures computed afresh."""
    r1, r2, r3, r4 = (Referral.objects.get(pk=known[name].pk) for name in ("r1", "r2", "r3", "r4"))
    review = WellbeingScore.objects.get(referral=r3, stage="review")

    def discharged_back_in_march():
        r3.discharged_at, r3.discharge_reason = at("2026-03-15 10:00"), DischargeReason.GOALS_MET
        r3.save()

    def reason_corrected():
        r3.discharge_reason = DischargeReason.PERSON_DECLINED
        r3.save(update_fields=["discharge_reason"])

    def connection_outcome_corrected():  # its end (30 January) stays: only what it ended as moves
        connection = only_connection(r2)
        connection.status = C.TOOK_UP
        connection.save()

    def review_moved_into_march():
        review.recorded_at = at("2026-03-10 10:00")
        review.save()

    def plan_and_goal_for_the_discharged():
        plan = CarePlan.objects.create(referral=r3, created_at=at("2026-02-20 10:00"))
        Goal.objects.create(plan=plan, description="Walk weekly", status=GoalStatus.ACHIEVED)

    def goal_reopened():
        goal = Goal.objects.get(plan__referral=r3)
        goal.status = GoalStatus.IN_PROGRESS
        goal.save()

    def contact_deleted():
        _contact(r3, at("2026-03-01 10:00")).delete()

    def held_contact_with_the_discharged():
        _contact(r3, at("2026-03-12 10:00"))

    def reallocated():
        r1.link_worker = None
        r1.save()

    def notes_and_outcome_notes():
        r4.notes = "Call after 10."
        r4.save()
        connection = only_connection(r1)
        connection.outcome_note = "Enjoyed it."
        connection.save()

    moved = {
        discharged_back_in_march: True, reason_corrected: True, connection_outcome_corrected: True,
        review_moved_into_march: True, plan_and_goal_for_the_discharged: True, goal_reopened: True,
        contact_deleted: True, held_contact_with_the_discharged: True, reallocated: True,
        notes_and_outcome_notes: False,
    }
    for change, forgets in moved.items():
        _stored(triage, Q1, today=AFTER)
        _stored(triage, TO_DATE, today=ON_31_MARCH)
        stored_before = _stored_ends()
        change()
        assert (_stored_ends() != stored_before) == forgets, change.__name__
        assert _stored(triage, Q1, today=AFTER) == _live(triage, Q1, today=AFTER), change.__name__
        assert _stored(triage, TO_DATE, today=ON_31_MARCH) == _live(triage, TO_DATE, today=ON_31_MARCH), change.__name__
