"""Alerts: each fires when it should (in working days), never twice, and is cleared by what resolves it."""

from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from referrals import services
from referrals.alerts import open_alerts_for, raise_alerts, raise_alerts_task
from referrals.choices import AlertKind
from referrals.choices import ReferralStatus as S
from factories.referrals import first_session_held, make_link_worker, make_referral, make_triage, provider_actor
from referrals.models import Alert, Referral
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


@pytest.fixture
def sent_wednesday(service, triage, link_worker, activity):
    referral = make_referral(
        service=service, triage=triage, link_worker=link_worker, activity=activity, status=S.SENT_TO_PROVIDER
    )
    backdate(referral, received_at=london(2026, 11, 16, 9, 0), sent_to_provider_at=london(2026, 11, 18, 9, 0))
    return referral


def test_no_provider_response_fires_three_working_days_after_sending(sent_wednesday):
    # Wednesday 09:00 + Thursday, Friday, (weekend), Monday = Monday 09:00.
    due = london(2026, 11, 23, 9, 0)
    assert raise_alerts(now=due - SECOND)[AlertKind.NO_PROVIDER_RESPONSE] == 0
    assert not open_alerts(sent_wednesday).exists()
    assert raise_alerts(now=due + SECOND)[AlertKind.NO_PROVIDER_RESPONSE] == 1
    assert open_kinds(sent_wednesday) == {AlertKind.NO_PROVIDER_RESPONSE}
    assert raise_alerts(now=due + timedelta(hours=1))[AlertKind.NO_PROVIDER_RESPONSE] == 0
    assert Alert.objects.filter(referral=sent_wednesday).count() == 1


def test_no_provider_response_does_not_count_the_weekend(sent_wednesday):
    backdate(sent_wednesday, sent_to_provider_at=london(2026, 11, 19, 9, 0))  # a Thursday
    raise_alerts(now=london(2026, 11, 23, 17, 0))
    assert not open_alerts(sent_wednesday).exists()
    raise_alerts(now=london(2026, 11, 24, 9, 0) + SECOND)
    assert open_kinds(sent_wednesday) == {AlertKind.NO_PROVIDER_RESPONSE}


def test_no_provider_response_does_not_count_a_bank_holiday(sent_wednesday):
    # Sent on Christmas Eve 2026, a Thursday: Christmas Day, the weekend and Boxing Day (observed on
    # Monday 28th) do not count, so the three working days are the 29th, 30th and 31st.
    backdate(sent_wednesday, sent_to_provider_at=london(2026, 12, 24, 9, 0))
    raise_alerts(now=london(2026, 12, 31, 9, 0) - SECOND)
    assert not open_alerts(sent_wednesday).exists()
    raise_alerts(now=london(2026, 12, 31, 9, 0) + SECOND)
    assert open_kinds(sent_wednesday) == {AlertKind.NO_PROVIDER_RESPONSE}


@pytest.mark.parametrize("respond", ["accept", "decline"])
def test_the_providers_response_clears_no_provider_response(sent_wednesday, activity, respond):
    backdate(sent_wednesday, sent_to_provider_at=timezone.now() - timedelta(days=10))
    raise_alerts()
    alert = open_alerts(sent_wednesday, AlertKind.NO_PROVIDER_RESPONSE).get()

    provider = provider_actor(activity.organisation)
    if respond == "accept":
        services.referral_provider_accept(referral=sent_wednesday, actor=provider)
    else:
        services.referral_provider_decline(referral=sent_wednesday, actor=provider, reason="full")

    alert.refresh_from_db()
    assert alert.cleared_at is not None and alert.cleared_by_action == f"provider_{respond}"
    raise_alerts()
    assert not open_alerts(sent_wednesday).exists()


# First session passed, attendance not recorded ---------------------------------------------


@pytest.fixture
def booked(service, triage, link_worker, activity):
    return make_referral(
        service=service, triage=triage, link_worker=link_worker, activity=activity, status=S.FIRST_SESSION_BOOKED
    )


def test_attendance_not_recorded_fires_once_the_first_session_has_started(booked):
    starts = booked.first_session_at
    assert raise_alerts(now=starts - SECOND)[AlertKind.ATTENDANCE_NOT_RECORDED] == 0
    assert not open_alerts(booked).exists()
    assert raise_alerts(now=starts + SECOND)[AlertKind.ATTENDANCE_NOT_RECORDED] == 1
    assert open_kinds(booked) == {AlertKind.ATTENDANCE_NOT_RECORDED}
    assert raise_alerts(now=starts + timedelta(days=1))[AlertKind.ATTENDANCE_NOT_RECORDED] == 0
    assert Alert.objects.filter(referral=booked).count() == 1


def test_attendance_not_recorded_applies_once_the_resident_is_told(booked):
    backdate(booked, status=S.RESIDENT_NOTIFIED)
    raise_alerts(now=booked.first_session_at + SECOND)
    assert open_kinds(booked) == {AlertKind.ATTENDANCE_NOT_RECORDED}


@pytest.mark.parametrize(
    "action", ["record_attendance", "record_did_not_attend", "cancel_first_session"]
)
def test_recording_what_happened_clears_attendance_not_recorded(booked, activity, action):
    backdate(booked, first_session_at=timezone.now() - timedelta(hours=2))
    raise_alerts()
    alert = open_alerts(booked, AlertKind.ATTENDANCE_NOT_RECORDED).get()

    step = getattr(services, f"referral_{action}")
    step(referral=booked, actor=provider_actor(activity.organisation), note="The venue was closed.")

    alert.refresh_from_db()
    assert alert.cleared_at is not None and alert.cleared_by_action == action
    raise_alerts()
    assert AlertKind.ATTENDANCE_NOT_RECORDED not in open_kinds(booked)


def test_booking_a_new_first_session_clears_attendance_not_recorded(booked, activity):
    backdate(booked, first_session_at=timezone.now() - timedelta(hours=2))
    raise_alerts()
    services.referral_book_first_session(
        referral=booked, actor=provider_actor(activity.organisation), starts_at=timezone.now() + timedelta(days=7)
    )
    assert not open_alerts(booked).exists()
    raise_alerts()
    assert not open_alerts(booked).exists()


# Did not attend ----------------------------------------------------------------------------


@pytest.fixture
def missed(booked, activity):
    return services.referral_record_did_not_attend(
        referral=first_session_held(booked), actor=provider_actor(activity.organisation)
    )


def test_did_not_attend_fires_when_it_is_recorded(booked, activity):
    assert AlertKind.DID_NOT_ATTEND not in open_kinds(booked)
    first_session_held(booked)
    services.referral_record_did_not_attend(referral=booked, actor=provider_actor(activity.organisation))
    assert open_kinds(booked) == {AlertKind.DID_NOT_ATTEND}
    # The job agrees, and adds nothing.
    assert raise_alerts()[AlertKind.DID_NOT_ATTEND] == 0
    assert raise_alerts()[AlertKind.DID_NOT_ATTEND] == 0
    assert Alert.objects.filter(referral=booked, kind=AlertKind.DID_NOT_ATTEND).count() == 1


def test_the_job_catches_a_did_not_attend_without_its_alert(missed):
    Alert.objects.filter(referral=missed).delete()
    assert raise_alerts()[AlertKind.DID_NOT_ATTEND] == 1
    assert open_kinds(missed) == {AlertKind.DID_NOT_ATTEND}


def test_choosing_another_activity_clears_did_not_attend(missed, link_worker, other_activity):
    services.referral_choose_activity(referral=missed, actor=actor_for_user(link_worker), activity=other_activity)
    alert = Alert.objects.get(referral=missed, kind=AlertKind.DID_NOT_ATTEND)
    assert alert.cleared_at is not None and alert.cleared_by_action == "choose_activity"
    raise_alerts()
    assert not open_alerts(missed).exists()


def test_closing_the_referral_clears_did_not_attend(missed, link_worker):
    services.referral_close(referral=missed, actor=actor_for_user(link_worker), outcome="did_not_engage")
    alert = Alert.objects.get(referral=missed, kind=AlertKind.DID_NOT_ATTEND)
    assert alert.cleared_at is not None and alert.cleared_by_action == "close"
    raise_alerts()
    assert not open_alerts(missed).exists()


def test_the_person_declining_clears_every_alert(received_friday, service, triage):
    raise_alerts(now=london(2026, 11, 25, 9, 0))
    services.referral_person_declines(referral=received_friday, actor=actor_for_user(triage))
    assert not open_alerts(received_friday).exists()


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


def test_the_job_runs_a_fixed_number_of_queries(service, triage):
    def queries_for_run():
        with CaptureQueriesContext(connection) as captured:
            raise_alerts(now=london(2026, 11, 25, 9, 0))
        return len(captured)

    first = make_referral(service=service, triage=triage)
    backdate(first, received_at=london(2026, 11, 20, 10, 0))
    one = queries_for_run()
    Alert.objects.all().delete()
    for _ in range(4):
        referral = make_referral(service=service, triage=triage)
        backdate(referral, received_at=london(2026, 11, 20, 10, 0))
    assert queries_for_run() == one
    assert Alert.objects.open().count() == 5


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
