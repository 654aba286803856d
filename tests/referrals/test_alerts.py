"""Alerts: each fires when it should (in working days), never twice, and is cleared by what resolves it."""

from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from factories.referrals import (
    discharge,
    first_session_held,
    make_connection,
    make_link_worker,
    make_referral,
    make_signpost,
    make_triage,
    only_connection,
    provider_actor,
)
from referrals import care_plans, services
from referrals.alerts import (
    open_alerts_for,
    raise_alerts,
    raise_alerts_task,
    run_alerts,
)
from referrals.choices import AlertKind, DischargeReason
from referrals.choices import ConnectionStatus as C
from referrals.choices import ReferralStatus as S
from referrals.models import Alert, Connection, Goal, Referral
from referrals.roles import actor_for_user
from referrals.working_days import add_working_days

LONDON = ZoneInfo("Europe/London")
SECOND = timedelta(seconds=1)


def london(*args) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def backdate(referral, **stamps) -> None:
    # Time stamps are only ever set by the service functions; the tests move them with .update().
    Referral.objects.filter(pk=referral.pk).update(**stamps)


def open_alerts(referral, kind=None):
    alerts = Alert.objects.open().filter(referral=referral)
    return alerts.filter(kind=kind) if kind else alerts


def open_kinds(referral) -> set[str]:
    return set(open_alerts(referral).values_list("kind", flat=True))


# Working days ------------------------------------------------------------------------------


def test_48_hours_from_a_friday_morning_is_tuesday_morning():
    assert add_working_days(london(2026, 11, 20, 10, 0), 2) == london(2026, 11, 24, 10, 0)


def test_a_bank_holiday_is_not_a_working_day():
    # Monday 31 August 2026 is the late summer bank holiday in England.
    assert add_working_days(london(2026, 8, 28, 10, 0), 2) == london(2026, 9, 2, 10, 0)


def test_a_bank_holiday_follows_the_services_nation(settings):
    # Monday 3 August 2026 is a bank holiday in Scotland, not in England.
    settings.SIGNPOST_REFERRALS = {**settings.SIGNPOST_REFERRALS, "HOLIDAYS_SUBDIVISION": "SCT"}
    assert add_working_days(london(2026, 7, 31, 10, 0), 1) == london(2026, 8, 4, 10, 0)
    settings.SIGNPOST_REFERRALS = {**settings.SIGNPOST_REFERRALS, "HOLIDAYS_SUBDIVISION": "ENG"}
    assert add_working_days(london(2026, 7, 31, 10, 0), 1) == london(2026, 8, 3, 10, 0)


def test_something_received_at_the_weekend_starts_its_clock_on_monday():
    assert add_working_days(london(2026, 11, 21, 15, 30), 2) == london(2026, 11, 25, 0, 0)


def test_the_deadline_keeps_its_time_of_day_across_the_clocks_changing():
    # British Summer Time ends on Sunday 25 October 2026.
    deadline = add_working_days(london(2026, 10, 23, 10, 0), 2)
    assert deadline == london(2026, 10, 27, 10, 0)
    assert deadline.utcoffset() == timedelta(0)


# Not contacted within 48 hours -------------------------------------------------------------


@pytest.fixture
def received_friday(service, triage):
    referral = make_referral(service=service, triage=triage)
    backdate(referral, received_at=london(2026, 11, 20, 10, 0))
    return referral


def test_not_contacted_fires_two_working_days_after_receipt(received_friday):
    due = london(2026, 11, 24, 10, 0)
    assert raise_alerts(now=due - SECOND)[AlertKind.NOT_CONTACTED] == 0
    assert not open_alerts(received_friday).exists()

    assert raise_alerts(now=due + SECOND)[AlertKind.NOT_CONTACTED] == 1
    assert open_kinds(received_friday) == {AlertKind.NOT_CONTACTED}


def test_not_contacted_does_not_count_the_weekend(received_friday):
    # Monday afternoon is 76 hours after Friday morning, but only one working day.
    raise_alerts(now=london(2026, 11, 23, 14, 0))
    assert not open_alerts(received_friday).exists()


def test_not_contacted_does_not_count_a_bank_holiday(service, triage):
    referral = make_referral(service=service, triage=triage)
    backdate(referral, received_at=london(2026, 8, 28, 10, 0))
    raise_alerts(now=london(2026, 9, 1, 10, 0) + SECOND)
    assert not open_alerts(referral).exists()
    raise_alerts(now=london(2026, 9, 2, 10, 0) + SECOND)
    assert open_kinds(referral) == {AlertKind.NOT_CONTACTED}


def test_not_contacted_still_applies_once_triaged(service, triage, link_worker):
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, status=S.TRIAGED)
    backdate(referral, received_at=london(2026, 11, 20, 10, 0))
    raise_alerts(now=london(2026, 11, 24, 10, 0) + SECOND)
    assert open_kinds(referral) == {AlertKind.NOT_CONTACTED}


def test_the_job_never_raises_the_same_alert_twice(received_friday):
    later = london(2026, 11, 25, 9, 0)
    assert raise_alerts(now=later)[AlertKind.NOT_CONTACTED] == 1
    assert raise_alerts(now=later)[AlertKind.NOT_CONTACTED] == 0
    assert raise_alerts(now=later + timedelta(days=1))[AlertKind.NOT_CONTACTED] == 0
    assert Alert.objects.filter(referral=received_friday).count() == 1


def test_recording_contact_clears_not_contacted(service, triage, link_worker):
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, status=S.TRIAGED)
    backdate(referral, received_at=timezone.now() - timedelta(days=10))
    raise_alerts()
    alert = open_alerts(referral).get()

    services.referral_record_contact(referral=referral, actor=actor_for_user(link_worker))

    alert.refresh_from_db()
    assert alert.cleared_at is not None
    assert alert.cleared_by == link_worker and alert.cleared_by_action == "record_contact"
    assert raise_alerts()[AlertKind.NOT_CONTACTED] == 0
    assert not open_alerts(referral).exists()


# No response from the provider within 3 working days ---------------------------------------


def backdate_connection(connection, **stamps) -> None:
    Connection.objects.filter(pk=connection.pk).update(**stamps)


@pytest.fixture
def sent_wednesday(service, triage, link_worker, activity):
    referral = make_referral(
        service=service, triage=triage, link_worker=link_worker, activity=activity, status=C.SENT_TO_PROVIDER
    )
    backdate(referral, received_at=london(2026, 11, 16, 9, 0))
    backdate_connection(only_connection(referral), sent_to_provider_at=london(2026, 11, 18, 9, 0))
    return referral


def test_no_provider_response_fires_three_working_days_after_sending(sent_wednesday):
    # Wednesday 09:00 + Thursday, Friday, (weekend), Monday = Monday 09:00.
    due = london(2026, 11, 23, 9, 0)
    assert raise_alerts(now=due - SECOND)[AlertKind.NO_PROVIDER_RESPONSE] == 0
    assert not open_alerts(sent_wednesday).exists()
    assert raise_alerts(now=due + SECOND)[AlertKind.NO_PROVIDER_RESPONSE] == 1
    assert open_kinds(sent_wednesday) == {AlertKind.NO_PROVIDER_RESPONSE}
    assert open_alerts(sent_wednesday).get().connection == only_connection(sent_wednesday)
    assert raise_alerts(now=due + timedelta(hours=1))[AlertKind.NO_PROVIDER_RESPONSE] == 0
    assert Alert.objects.filter(referral=sent_wednesday).count() == 1


def test_no_provider_response_does_not_count_the_weekend(sent_wednesday):
    backdate_connection(only_connection(sent_wednesday), sent_to_provider_at=london(2026, 11, 19, 9, 0))  # a Thursday
    raise_alerts(now=london(2026, 11, 23, 17, 0))
    assert not open_alerts(sent_wednesday).exists()
    raise_alerts(now=london(2026, 11, 24, 9, 0) + SECOND)
    assert open_kinds(sent_wednesday) == {AlertKind.NO_PROVIDER_RESPONSE}


def test_no_provider_response_does_not_count_a_bank_holiday(sent_wednesday):
    # Sent on Christmas Eve 2026, a Thursday: Christmas Day, the weekend and Boxing Day (observed on
    # Monday 28th) do not count, so the three working days are the 29th, 30th and 31st.
    backdate_connection(only_connection(sent_wednesday), sent_to_provider_at=london(2026, 12, 24, 9, 0))
    raise_alerts(now=london(2026, 12, 31, 9, 0) - SECOND)
    assert not open_alerts(sent_wednesday).exists()
    raise_alerts(now=london(2026, 12, 31, 9, 0) + SECOND)
    assert open_kinds(sent_wednesday) == {AlertKind.NO_PROVIDER_RESPONSE}


@pytest.mark.parametrize("respond", ["accept", "decline"])
def test_the_providers_response_clears_no_provider_response(sent_wednesday, activity, respond):
    connection = only_connection(sent_wednesday)
    backdate_connection(connection, sent_to_provider_at=timezone.now() - timedelta(days=10))
    raise_alerts()
    alert = open_alerts(sent_wednesday, AlertKind.NO_PROVIDER_RESPONSE).get()

    provider = provider_actor(activity.organisation)
    if respond == "accept":
        services.connection_provider_accept(connection=connection, actor=provider)
    else:
        services.connection_provider_decline(connection=connection, actor=provider, reason="full")

    alert.refresh_from_db()
    assert alert.cleared_at is not None and alert.cleared_by_action == f"provider_{respond}"
    raise_alerts()
    assert not open_alerts(sent_wednesday).exists()


@pytest.fixture
def two_sent(service, triage, link_worker, activity, other_activity):
    """A person in support connected to two activities with different providers, both sent ten days ago."""
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=C.SENT_TO_PROVIDER)
    first = only_connection(referral)
    second = make_connection(referral=referral, activity=other_activity, status=C.SENT_TO_PROVIDER)
    for sent in (first, second):
        backdate_connection(sent, sent_to_provider_at=timezone.now() - timedelta(days=10))
    return referral, first, second


def test_of_two_connections_the_unanswered_one_raises_the_alert_naming_it(two_sent, activity):
    referral, first, second = two_sent
    services.connection_provider_accept(connection=first, actor=provider_actor(activity.organisation))

    assert raise_alerts()[AlertKind.NO_PROVIDER_RESPONSE] == 1

    alert = open_alerts(referral, AlertKind.NO_PROVIDER_RESPONSE).get()
    assert alert.connection == second
    assert raise_alerts()[AlertKind.NO_PROVIDER_RESPONSE] == 0


def test_answering_the_connection_named_clears_the_alert(two_sent, activity, other_activity):
    referral, first, second = two_sent
    services.connection_provider_accept(connection=first, actor=provider_actor(activity.organisation))
    raise_alerts()
    alert = open_alerts(referral, AlertKind.NO_PROVIDER_RESPONSE).get()

    services.connection_provider_decline(connection=second, actor=provider_actor(other_activity.organisation),
                                         reason="full")

    alert.refresh_from_db()
    assert alert.cleared_at is not None and alert.cleared_by_action == "provider_decline"
    assert raise_alerts()[AlertKind.NO_PROVIDER_RESPONSE] == 0
    assert not open_alerts(referral).exists()


def test_one_alert_names_the_first_connection_then_moves_to_the_next(two_sent, activity):
    # One open alert per referral and kind: with both unanswered it names connection 1; once 1 is
    # answered, the next run names connection 2, which still needs an answer.
    referral, first, second = two_sent
    raise_alerts()
    assert open_alerts(referral, AlertKind.NO_PROVIDER_RESPONSE).get().connection == first

    services.connection_provider_accept(connection=first, actor=provider_actor(activity.organisation))
    assert not open_alerts(referral).exists()

    assert raise_alerts()[AlertKind.NO_PROVIDER_RESPONSE] == 1
    assert open_alerts(referral, AlertKind.NO_PROVIDER_RESPONSE).get().connection == second


def test_the_job_moves_an_alert_off_a_connection_that_no_longer_needs_it(two_sent):
    referral, first, second = two_sent
    raise_alerts()
    alert = open_alerts(referral).get()
    # Answered by some path that did not clear its alert (say, data corrected by hand).
    backdate_connection(first, status=C.ACCEPTED)

    raise_alerts()

    alert.refresh_from_db()
    assert alert.cleared_at is not None and alert.cleared_by_action == "raise_alerts"
    assert open_alerts(referral, AlertKind.NO_PROVIDER_RESPONSE).get().connection == second


def test_withdrawing_the_connection_clears_no_provider_response(sent_wednesday, link_worker):
    connection = only_connection(sent_wednesday)
    backdate_connection(connection, sent_to_provider_at=timezone.now() - timedelta(days=10))
    raise_alerts()
    services.connection_withdraw(connection=connection, actor=actor_for_user(link_worker), note="Moved away.")
    assert not open_alerts(sent_wednesday).exists()
    assert raise_alerts()[AlertKind.NO_PROVIDER_RESPONSE] == 0


# First session passed, attendance not recorded ---------------------------------------------


@pytest.fixture
def booked(service, triage, link_worker, activity):
    return make_referral(
        service=service, triage=triage, link_worker=link_worker, activity=activity, status=C.FIRST_SESSION_BOOKED
    )


def test_attendance_not_recorded_fires_once_the_first_session_has_started(booked):
    connection = only_connection(booked)
    starts = connection.first_session_at
    assert raise_alerts(now=starts - SECOND)[AlertKind.ATTENDANCE_NOT_RECORDED] == 0
    assert not open_alerts(booked).exists()
    assert raise_alerts(now=starts + SECOND)[AlertKind.ATTENDANCE_NOT_RECORDED] == 1
    assert open_kinds(booked) == {AlertKind.ATTENDANCE_NOT_RECORDED}
    assert open_alerts(booked).get().connection == connection
    assert raise_alerts(now=starts + timedelta(days=1))[AlertKind.ATTENDANCE_NOT_RECORDED] == 0
    assert Alert.objects.filter(referral=booked).count() == 1


def test_a_first_session_in_the_future_raises_nothing(booked, other_activity):
    # Two first sessions booked, both still to come: nothing to record yet, so no alert of any kind.
    second = make_connection(referral=booked, activity=other_activity, status=C.RESIDENT_NOTIFIED,
                             first_session_at=timezone.now() + timedelta(days=5))
    assert second.first_session_at > timezone.now()
    run = raise_alerts()
    assert run[AlertKind.ATTENDANCE_NOT_RECORDED] == 0
    assert not open_alerts(booked).exists()


def test_attendance_not_recorded_names_the_connection_whose_session_has_passed(booked, other_activity):
    later = make_connection(referral=booked, activity=other_activity, status=C.FIRST_SESSION_BOOKED)
    first_session_held(later, hours_ago=2)
    raise_alerts()
    assert open_alerts(booked, AlertKind.ATTENDANCE_NOT_RECORDED).get().connection == later


def test_attendance_not_recorded_applies_once_the_resident_is_told(booked):
    connection = only_connection(booked)
    backdate_connection(connection, status=C.RESIDENT_NOTIFIED)
    raise_alerts(now=connection.first_session_at + SECOND)
    assert open_kinds(booked) == {AlertKind.ATTENDANCE_NOT_RECORDED}


@pytest.mark.parametrize(
    "action", ["record_attendance", "record_did_not_attend", "cancel_first_session"]
)
def test_recording_what_happened_clears_attendance_not_recorded(booked, activity, action):
    connection = first_session_held(only_connection(booked), hours_ago=2)
    raise_alerts()
    alert = open_alerts(booked, AlertKind.ATTENDANCE_NOT_RECORDED).get()

    step = getattr(services, f"connection_{action}")
    step(connection=connection, actor=provider_actor(activity.organisation), note="The venue was closed.")

    alert.refresh_from_db()
    assert alert.cleared_at is not None and alert.cleared_by_action == action
    raise_alerts()
    assert AlertKind.ATTENDANCE_NOT_RECORDED not in open_kinds(booked)


def test_booking_a_new_first_session_clears_attendance_not_recorded(booked, activity):
    connection = first_session_held(only_connection(booked), hours_ago=2)
    raise_alerts()
    services.connection_book_first_session(
        connection=connection, actor=provider_actor(activity.organisation),
        starts_at=timezone.now() + timedelta(days=7),
    )
    assert not open_alerts(booked).exists()
    raise_alerts()
    assert not open_alerts(booked).exists()


# Did not attend ----------------------------------------------------------------------------


@pytest.fixture
def missed(booked, activity):
    services.connection_record_did_not_attend(
        connection=first_session_held(only_connection(booked)), actor=provider_actor(activity.organisation)
    )
    return booked


def test_did_not_attend_fires_when_it_is_recorded(booked, activity):
    assert AlertKind.DID_NOT_ATTEND not in open_kinds(booked)
    connection = first_session_held(only_connection(booked))
    services.connection_record_did_not_attend(connection=connection, actor=provider_actor(activity.organisation))
    assert open_kinds(booked) == {AlertKind.DID_NOT_ATTEND}
    assert open_alerts(booked).get().connection == connection
    # The job agrees, and adds nothing.
    assert raise_alerts()[AlertKind.DID_NOT_ATTEND] == 0
    assert raise_alerts()[AlertKind.DID_NOT_ATTEND] == 0
    assert Alert.objects.filter(referral=booked, kind=AlertKind.DID_NOT_ATTEND).count() == 1


def test_the_job_catches_a_did_not_attend_without_its_alert(missed):
    Alert.objects.filter(referral=missed).delete()
    assert raise_alerts()[AlertKind.DID_NOT_ATTEND] == 1
    assert open_kinds(missed) == {AlertKind.DID_NOT_ATTEND}
    assert open_alerts(missed).get().connection == only_connection(missed)


def test_choosing_another_activity_clears_did_not_attend(missed, link_worker, other_activity):
    services.connection_choose_activity(referral=missed, actor=actor_for_user(link_worker), activity=other_activity)
    alert = Alert.objects.get(referral=missed, kind=AlertKind.DID_NOT_ATTEND)
    assert alert.cleared_at is not None and alert.cleared_by_action == "choose_activity"
    raise_alerts()
    assert not open_alerts(missed).exists()


def test_signposting_after_a_missed_session_clears_did_not_attend(missed):
    make_signpost(referral=missed)
    raise_alerts()
    assert not open_alerts(missed).exists()


def test_a_connection_chosen_before_the_missed_session_does_not_clear_did_not_attend(booked, activity,
                                                                                      other_activity):
    # Connected to two activities at once: missing the first is still news, though a later connection exists.
    make_connection(referral=booked, activity=other_activity, status=C.ACCEPTED)
    missed_one = booked.connections.get(number=1)
    services.connection_record_did_not_attend(connection=first_session_held(missed_one),
                                              actor=provider_actor(activity.organisation))
    Alert.objects.filter(referral=booked).delete()

    assert raise_alerts()[AlertKind.DID_NOT_ATTEND] == 1
    assert open_alerts(booked, AlertKind.DID_NOT_ATTEND).get().connection == missed_one


def test_discharging_the_referral_clears_did_not_attend(missed, link_worker):
    discharge(missed, reason=DischargeReason.OTHER, note="Moved on.")
    alert = Alert.objects.get(referral=missed, kind=AlertKind.DID_NOT_ATTEND)
    assert alert.cleared_at is not None and alert.cleared_by_action == "discharge"
    raise_alerts()
    assert not open_alerts(missed).exists()


def test_the_person_declining_clears_every_alert(received_friday, service, triage):
    raise_alerts(now=london(2026, 11, 25, 9, 0))
    services.referral_person_declines(referral=received_friday, actor=actor_for_user(triage))
    assert not open_alerts(received_friday).exists()


def test_discharge_clears_every_alert(two_sent, activity, other_activity):
    referral, first, second = two_sent
    # A goal past its review date and a connection the provider never answered: two alerts.
    backdate_connection(first, sent_to_provider_at=timezone.now() - timedelta(days=10))
    worker = actor_for_user(referral.link_worker)
    care_plans.care_plan_start(referral=referral, actor=worker)
    care_plans.goal_add(referral=referral, actor=worker, description="Walk to the park",
                        review_on=timezone.localdate() + timedelta(days=1))
    Goal.objects.filter(plan__referral=referral).update(review_on=timezone.localdate() - timedelta(days=1))
    raise_alerts()
    assert open_kinds(referral) == {AlertKind.NO_PROVIDER_RESPONSE, AlertKind.PLAN_REVIEW_DUE}
    # Nobody can be discharged while a provider still holds their connection: answered or withdrawn first.
    services.connection_provider_decline(connection=first, actor=provider_actor(activity.organisation),
                                         reason="full")
    services.connection_withdraw(connection=second, actor=actor_for_user(referral.link_worker), note="Not now.")

    discharge(referral, reason=DischargeReason.OTHER, note="Moved on.")

    assert not open_alerts(referral).exists()
    assert all(alert.cleared_by_action in ("discharge", "provider_decline", "withdraw")
               for alert in Alert.objects.filter(referral=referral))
    raise_alerts()
    assert not open_alerts(referral).exists()


def test_the_job_clears_alerts_left_open_on_a_discharged_referral(service, triage, link_worker, activity):
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=S.DISCHARGED)
    # Raised by a run that saw the referral just before it was discharged.
    for kind in AlertKind.values:
        Alert.objects.create(referral=referral, kind=kind)

    run = run_alerts()

    assert not open_alerts(referral).exists()
    assert sum(run.cleared.values()) == len(AlertKind.values)


# The job as a safety net -------------------------------------------------------------------


def test_the_job_clears_an_alert_that_no_longer_applies(received_friday):
    raise_alerts(now=london(2026, 11, 25, 9, 0))
    alert = open_alerts(received_friday).get()
    # Moved on by some path that did not clear its alert (say, data corrected by hand).
    backdate(received_friday, status=S.CONTACTED, contacted_at=london(2026, 11, 25, 8, 0))

    run = raise_alerts(now=london(2026, 11, 25, 9, 5))

    alert.refresh_from_db()
    assert alert.cleared_at is not None and alert.cleared_by_action == "raise_alerts"
    assert run[AlertKind.NOT_CONTACTED] == 0
    # Cleared alerts stay as history, and a new one can be raised later if it applies again.
    assert Alert.objects.filter(referral=received_friday).count() == 1


def test_the_job_runs_a_fixed_number_of_queries(service, triage, link_worker, activity, other_activity):
    def queries_for_run():
        with CaptureQueriesContext(connection) as captured:
            raise_alerts()
        return len(captured)

    def one_of_each():
        waiting = make_referral(service=service, triage=triage)
        backdate(waiting, received_at=timezone.now() - timedelta(days=10))
        # Two connections each: both unanswered, or both past their first session.
        sent = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=C.SENT_TO_PROVIDER)
        make_connection(referral=sent, activity=other_activity, status=C.SENT_TO_PROVIDER)
        Connection.objects.filter(referral=sent).update(sent_to_provider_at=timezone.now() - timedelta(days=10))
        booked = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                               status=C.FIRST_SESSION_BOOKED)
        make_connection(referral=booked, activity=other_activity, status=C.FIRST_SESSION_BOOKED)
        Connection.objects.filter(referral=booked).update(first_session_at=timezone.now() - timedelta(hours=2))
        make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                      status=C.DID_NOT_ATTEND)

    # Each run raises every kind it finds (the did-not-attend alerts the service raised are taken away).
    one_of_each()
    Alert.objects.all().delete()
    one = queries_for_run()
    for _ in range(3):
        one_of_each()
    Alert.objects.all().delete()
    assert queries_for_run() == one
    assert Alert.objects.open().count() == 4 * 4


def test_the_command_prints_what_it_did(received_friday):
    backdate(received_friday, received_at=timezone.now() - timedelta(days=10))
    out = StringIO()
    call_command("raise_alerts", stdout=out)
    assert "Not contacted within 48 hours: 1 raised, 0 cleared, 1 open" in out.getvalue()
    out = StringIO()
    call_command("raise_alerts", stdout=out)
    assert "0 raised, 0 cleared." in out.getvalue()
    assert open_alerts(received_friday).count() == 1


def test_the_periodic_task_raises_alerts(received_friday):
    backdate(received_friday, received_at=timezone.now() - timedelta(days=10))
    result = raise_alerts_task.enqueue()
    assert result.return_value[AlertKind.NOT_CONTACTED] == 1
    assert open_kinds(received_friday) == {AlertKind.NOT_CONTACTED}


# Who sees which alerts ---------------------------------------------------------------------


def test_open_alerts_are_shown_to_the_link_worker_and_triage_of_that_referral_only(
    service, other_service, triage, link_worker
):
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, status=S.TRIAGED)
    backdate(referral, received_at=timezone.now() - timedelta(days=10))
    stranger = make_referral(service=other_service, triage=make_triage(service=other_service))
    backdate(stranger, received_at=timezone.now() - timedelta(days=10))
    raise_alerts()

    assert [a.referral for a in open_alerts_for(actor_for_user(link_worker))] == [referral]
    assert [a.referral for a in open_alerts_for(actor_for_user(triage))] == [referral]
    other_worker = make_link_worker(service=service)
    assert not open_alerts_for(actor_for_user(other_worker)).exists()

    services.referral_record_contact(referral=referral, actor=actor_for_user(link_worker))
    assert not open_alerts_for(actor_for_user(link_worker)).exists()
