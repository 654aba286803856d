"""The pathway through the service functions: each step, its event, its notifications."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from referrals import services
from referrals.choices import SNOMED_DECLINED, SNOMED_REFERRED, Channel, NotificationKind, ReferralStatus as S
from referrals.errors import FirstSessionNotStarted, InvalidTransition, NotPermitted, ReferralError
from factories.referrals import ALL_CONSENTS, first_session_held, make_referral, make_resident


def test_a_referral_walks_the_whole_pathway(service, triage, link_worker, activity, actors):
    referral = make_referral(service=service, triage=triage)
    assert referral.status == S.RECEIVED and referral.snomed_code == SNOMED_REFERRED
    services.referral_triage(referral=referral, actor=actors["triage"], tier="one_to_one", link_worker=link_worker)
    services.referral_record_contact(referral=referral, actor=actors["link_worker"])
    services.referral_choose_activity(referral=referral, actor=actors["link_worker"], activity=activity)
    services.referral_send_to_provider(referral=referral, actor=actors["link_worker"])
    services.referral_provider_accept(referral=referral, actor=actors["provider"])
    services.referral_book_first_session(
        referral=referral, actor=actors["provider"], starts_at=timezone.now() + timedelta(days=2)
    )
    referral = first_session_held(referral)
    referral = services.referral_record_attendance(referral=referral, actor=actors["provider"])
    referral = services.referral_close(referral=referral, actor=actors["link_worker"], outcome="engaged")

    assert referral.status == S.CLOSED
    assert list(referral.events.values_list("to_status", flat=True)) == [
        S.RECEIVED, S.TRIAGED, S.CONTACTED, S.ACTIVITY_CHOSEN, S.SENT_TO_PROVIDER, S.ACCEPTED,
        S.FIRST_SESSION_BOOKED, S.ATTENDED, S.CLOSED,
    ]
    assert referral.provider == activity.organisation
    for stamp in ["triaged_at", "contacted_at", "activity_chosen_at", "sent_to_provider_at", "provider_responded_at",
                  "first_session_booked_at", "attendance_recorded_at", "closed_at"]:
        assert getattr(referral, stamp) is not None, stamp
    kinds = set(referral.notifications.values_list("kind", "channel"))
    assert (NotificationKind.NEW_REFERRAL_FOR_PROVIDER, Channel.EMAIL) in kinds
    assert (NotificationKind.NEW_REFERRAL_FOR_PROVIDER, Channel.INBOX) in kinds
    assert (NotificationKind.FIRST_SESSION_FOR_RESIDENT, Channel.EMAIL) in kinds
    assert (NotificationKind.FEEDBACK_TO_REFERRER, Channel.EMAIL) in kinds


def test_confirming_attendance_twice_records_it_once(service, triage, link_worker, activity, actors):
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=S.FIRST_SESSION_BOOKED)
    first_session_held(referral)
    services.referral_record_attendance(referral=referral, actor=actors["provider"])
    services.referral_record_attendance(referral=referral, actor=actors["provider"])
    assert referral.events.filter(action="record_attendance").count() == 1
    assert referral.notifications.filter(kind=NotificationKind.ATTENDANCE_RECORDED, channel=Channel.INBOX).count() == 1


@pytest.fixture
def clock(monkeypatch):
    """Signpost's "now" (``timezone.now``), set by the test, in local time."""

    class Clock:
        moment = None

        def at(self, *local):
            self.moment = timezone.make_aware(datetime(*local))

    clock = Clock()
    monkeypatch.setattr(timezone, "now", lambda: clock.moment)
    return clock


@pytest.mark.parametrize("record", [services.referral_record_attendance, services.referral_record_did_not_attend])
@pytest.mark.parametrize("who", ["provider", "link_worker"])
def test_attendance_cannot_be_recorded_before_the_first_session_starts(
    service, triage, link_worker, activity, actors, record, who, clock
):
    clock.at(2026, 12, 6, 9, 0)
    starts = timezone.make_aware(datetime(2026, 12, 9, 10, 30))
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=S.FIRST_SESSION_BOOKED, first_session_at=starts)
    clock.at(2026, 12, 9, 10, 29)
    with pytest.raises(FirstSessionNotStarted) as refused:
        record(referral=referral, actor=actors[who])
    assert refused.value.message == (
        "The first session is on Wednesday 9 December 2026 at 10:30. "
        "Record whether the person attended once it has started."
    )
    referral.refresh_from_db()
    assert referral.status == S.FIRST_SESSION_BOOKED
    assert referral.attendance_recorded_at is None and referral.attended_at is None
    assert not referral.events.filter(action__in=["record_attendance", "record_did_not_attend"]).exists()
    assert not referral.alerts.exists()
    # From the moment it starts, it can be.
    clock.at(2026, 12, 9, 10, 30)
    assert record(referral=referral, actor=actors[who]).status in (S.ATTENDED, S.DID_NOT_ATTEND)


def test_a_step_out_of_order_is_refused_and_nothing_is_written(service, triage, link_worker, activity, actors):
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=S.SENT_TO_PROVIDER)
    services.referral_provider_decline(referral=referral, actor=actors["provider"], reason="full")
    events = referral.events.count()
    with pytest.raises(InvalidTransition):
        services.referral_provider_accept(referral=referral, actor=actors["provider"])
    assert referral.events.count() == events


def test_only_the_allocated_link_worker_owns_their_case(service, triage, link_worker, activity):
    from factories.referrals import make_link_worker
    from referrals.roles import actor_for_user

    colleague = actor_for_user(make_link_worker(service=service, username="colleague"))
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, status=S.TRIAGED)
    with pytest.raises(NotPermitted):
        services.referral_record_contact(referral=referral, actor=colleague)
    referral.refresh_from_db()
    assert referral.status == S.TRIAGED


def test_a_provider_cannot_act_on_another_organisations_referral(service, triage, link_worker, activity, other_organisation):
    from factories.referrals import provider_actor

    referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=S.SENT_TO_PROVIDER)
    with pytest.raises(NotPermitted):
        services.referral_provider_accept(referral=referral, actor=provider_actor(other_organisation))


def test_sending_to_a_provider_needs_consent_to_share(service, triage, link_worker, activity, actors):
    consents = {**ALL_CONSENTS, "share_with_provider": False}
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=S.ACTIVITY_CHOSEN, consents=consents)
    with pytest.raises(ReferralError) as error:
        services.referral_send_to_provider(referral=referral, actor=actors["link_worker"])
    assert error.value.field == "consent_share_with_provider"
    referral.refresh_from_db()
    assert referral.status == S.ACTIVITY_CHOSEN and not referral.notifications.exists()


def test_declining_codes_the_referral_and_a_declined_referral_can_choose_again(
    service, triage, link_worker, activity, other_activity, actors
):
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=S.DECLINED_BY_PROVIDER)
    referral = services.referral_choose_activity(referral=referral, actor=actors["link_worker"], activity=other_activity)
    assert referral.status == S.ACTIVITY_CHOSEN and referral.provider is None
    referral = services.referral_person_declines(referral=referral, actor=actors["link_worker"])
    assert referral.snomed_code == SNOMED_DECLINED


def test_a_resident_needs_a_way_to_be_contacted(service):
    with pytest.raises(Exception) as error:
        make_resident(service=service, preferred_contact="email", email="")
    assert "email" in str(error.value)


def test_a_step_from_a_page_that_showed_an_older_status_is_refused(service, triage, link_worker, activity, actors):
    from referrals.errors import AlreadyUpdated

    referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=S.SENT_TO_PROVIDER)
    services.referral_provider_accept(referral=referral, actor=actors["provider"])  # a colleague, first
    with pytest.raises(AlreadyUpdated, match="now “accepted by provider”"):
        with services.as_seen(referral, seen_status=S.SENT_TO_PROVIDER, action="provider_decline") as current:
            services.referral_provider_decline(referral=current, actor=actors["provider"], reason="full")
    referral.refresh_from_db()
    assert referral.status == S.ACCEPTED and not referral.events.filter(action="provider_decline").exists()
    # Asking again for what is already recorded is no conflict: accepting twice records it once.
    with services.as_seen(referral, seen_status=S.SENT_TO_PROVIDER, action="provider_accept") as current:
        services.referral_provider_accept(referral=current, actor=actors["provider"])
    assert referral.events.filter(action="provider_accept").count() == 1
