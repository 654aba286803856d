"""The pathway through the service functions: each step, its event, its notifications.

The referral's own steps (triage, first contact, discharge) and each connection's (an activity's
hand-over to its provider, or a signpost) are two tables (``referrals.workflow``).
"""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from factories.referrals import (
    ALL_CONSENTS,
    discharge,
    first_session_held,
    hold_review,
    make_connection,
    make_referral,
    make_resident,
    make_signpost,
    only_connection,
    provider_actor,
    received_earlier,
)
from referrals import services
from referrals.choices import SNOMED_DECLINED, SNOMED_REFERRED, Channel, NotificationKind
from referrals.choices import ConnectionStatus as C
from referrals.choices import ReferralStatus as S
from referrals.errors import FirstSessionNotStarted, InvalidTransition, NotPermitted, ReferralError


def test_a_referral_walks_the_whole_pathway(service, triage, link_worker, activity, actors):
    referral = make_referral(service=service, triage=triage)
    assert referral.status == S.RECEIVED and referral.snomed_code == SNOMED_REFERRED
    services.referral_triage(referral=referral, actor=actors["triage"], tier="one_to_one", link_worker=link_worker)
    services.referral_record_contact(referral=referral, actor=actors["link_worker"])
    connection = services.connection_choose_activity(referral=referral, actor=actors["link_worker"], activity=activity)
    services.connection_send_to_provider(connection=connection, actor=actors["link_worker"])
    services.connection_provider_accept(connection=connection, actor=actors["provider"])
    services.connection_book_first_session(
        connection=connection, actor=actors["provider"], starts_at=timezone.now() + timedelta(days=2)
    )
    connection = first_session_held(connection)
    connection = services.connection_record_attendance(connection=connection, actor=actors["provider"])
    referral.refresh_from_db()
    hold_review(referral)
    referral = discharge(referral, reason="goals_met")

    assert referral.status == S.DISCHARGED and referral.discharge_reason == "goals_met"
    assert list(referral.events.filter(connection=None).values_list("to_status", flat=True)) == [
        S.RECEIVED, S.TRIAGED, S.CONTACTED, S.DISCHARGED,
    ]
    assert list(connection.events.values_list("to_status", flat=True)) == [
        C.ACTIVITY_CHOSEN, C.SENT_TO_PROVIDER, C.ACCEPTED, C.FIRST_SESSION_BOOKED, C.ATTENDED,
    ]
    connection.refresh_from_db()
    assert connection.provider == activity.organisation and connection.ended_at is not None
    for stamp in ["triaged_at", "contacted_at", "discharged_at"]:
        assert getattr(referral, stamp) is not None, stamp
    for stamp in ["sent_to_provider_at", "provider_responded_at", "first_session_booked_at", "attendance_recorded_at",
                  "attended_at"]:
        assert getattr(connection, stamp) is not None, stamp
    kinds = set(referral.notifications.values_list("kind", "channel"))
    assert (NotificationKind.NEW_REFERRAL_FOR_PROVIDER, Channel.EMAIL) in kinds
    assert (NotificationKind.NEW_REFERRAL_FOR_PROVIDER, Channel.INBOX) in kinds
    assert (NotificationKind.FIRST_SESSION_FOR_RESIDENT, Channel.EMAIL) in kinds
    assert (NotificationKind.FEEDBACK_TO_REFERRER, Channel.EMAIL) in kinds
    # The provider's messages and the person's first-session message are about the connection.
    assert not referral.notifications.filter(
        kind__in=[NotificationKind.NEW_REFERRAL_FOR_PROVIDER, NotificationKind.FIRST_SESSION_FOR_RESIDENT],
        connection=None).exists()
    # What was final is kept.
    summary = referral.discharge_summary
    assert summary.is_final and summary.content["discharge"]["reason_text"] == "Goals met"
    assert summary.content["connections"][0]["name"] == "Tuesday health walk"
    assert summary.content["connections"][0]["attended_first_session"] is True


def test_a_person_can_be_connected_to_several_activities_and_a_signpost_at_once(
    service, triage, link_worker, activity, other_activity, actors
):
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, status=S.CONTACTED)
    walk = make_connection(referral=referral, activity=activity, status=C.ACCEPTED)
    lunch = make_connection(referral=referral, activity=other_activity, status=C.SENT_TO_PROVIDER)
    advice = make_signpost(referral=referral, service_name="Citizens Advice Poole")
    assert [c.number for c in (walk, lunch, advice)] == [1, 2, 3]
    assert walk.provider != lunch.provider
    referral.refresh_from_db()
    assert referral.status == S.CONTACTED
    # Each moves on its own: one provider's decline leaves the others as they were.
    services.connection_provider_decline(connection=lunch, actor=provider_actor(other_activity.organisation), reason="full")
    statuses = dict(referral.connections.values_list("number", "status"))
    assert statuses == {1: C.ACCEPTED, 2: C.DECLINED_BY_PROVIDER, 3: C.SIGNPOSTED}
    services.connection_record_signpost_outcome(connection=advice, actor=actors["link_worker"], outcome=C.TOOK_UP,
                                                note="Debt advice appointment made.")
    advice.refresh_from_db()
    assert advice.status == C.TOOK_UP and advice.ended_at is not None


def test_the_same_activity_is_not_connected_twice_while_open(service, triage, link_worker, activity, actors):
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=C.SENT_TO_PROVIDER)
    with pytest.raises(ReferralError, match="already being connected"):
        services.connection_choose_activity(referral=referral, actor=actors["link_worker"], activity=activity)
    # Once that connection has ended (declined), the same activity can be tried again.
    services.connection_provider_decline(connection=only_connection(referral), actor=actors["provider"],
                                         reason="full")
    again = services.connection_choose_activity(referral=referral, actor=actors["link_worker"], activity=activity)
    assert again.number == 2


def test_a_provider_of_one_connection_cannot_act_on_another(
    service, triage, link_worker, activity, other_activity, actors
):
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=C.SENT_TO_PROVIDER)
    other = make_connection(referral=referral, activity=other_activity, status=C.SENT_TO_PROVIDER)
    with pytest.raises(NotPermitted):
        services.connection_provider_accept(connection=other, actor=actors["provider"])
    other.refresh_from_db()
    assert other.status == C.SENT_TO_PROVIDER


def test_connections_wait_for_the_first_contact(service, triage, link_worker, activity, actors):
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, status=S.TRIAGED)
    with pytest.raises(InvalidTransition, match="after the first contact"):
        services.connection_choose_activity(referral=referral, actor=actors["link_worker"], activity=activity)
    assert not referral.connections.exists()


def test_withdrawing_a_sent_connection_tells_its_provider(service, triage, link_worker, activity, actors):
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=C.ACCEPTED)
    connection = only_connection(referral)
    with pytest.raises(ReferralError, match="Say why"):
        services.connection_withdraw(connection=connection, actor=actors["link_worker"], note=" ")
    connection = services.connection_withdraw(connection=connection, actor=actors["link_worker"],
                                              note="Found a group nearer home.")
    assert connection.status == C.WITHDRAWN
    told = referral.notifications.filter(kind=NotificationKind.CONNECTION_WITHDRAWN)
    assert set(told.values_list("channel", flat=True)) == {Channel.INBOX, Channel.EMAIL}
    with pytest.raises(InvalidTransition):
        services.connection_provider_accept(connection=connection, actor=actors["provider"])


def test_a_first_session_more_than_a_year_ahead_is_refused(service, triage, link_worker, activity, actors):
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=C.ACCEPTED)
    with pytest.raises(ReferralError, match="Check the year"):
        services.connection_book_first_session(connection=only_connection(referral), actor=actors["provider"],
                                               starts_at=timezone.now() + timedelta(days=3 * 365))
    assert only_connection(referral).status == C.ACCEPTED


def test_confirming_attendance_twice_records_it_once(service, triage, link_worker, activity, actors):
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=C.FIRST_SESSION_BOOKED)
    connection = first_session_held(only_connection(referral))
    services.connection_record_attendance(connection=connection, actor=actors["provider"])
    services.connection_record_attendance(connection=connection, actor=actors["provider"])
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


@pytest.mark.parametrize("record", [services.connection_record_attendance, services.connection_record_did_not_attend])
@pytest.mark.parametrize("who", ["provider", "link_worker"])
def test_attendance_cannot_be_recorded_before_the_first_session_starts(
    service, triage, link_worker, activity, actors, record, who, clock
):
    clock.at(2026, 12, 6, 9, 0)
    starts = timezone.make_aware(datetime(2026, 12, 9, 10, 30))
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=C.FIRST_SESSION_BOOKED, first_session_at=starts)
    connection = only_connection(referral)
    clock.at(2026, 12, 9, 10, 29)
    with pytest.raises(FirstSessionNotStarted) as refused:
        record(connection=connection, actor=actors[who])
    assert refused.value.message == (
        "The first session is on Wednesday 9 December 2026 at 10:30. "
        "Record whether the person attended once it has started."
    )
    connection.refresh_from_db()
    assert connection.status == C.FIRST_SESSION_BOOKED
    assert connection.attendance_recorded_at is None and connection.attended_at is None
    assert not referral.events.filter(action__in=["record_attendance", "record_did_not_attend"]).exists()
    assert not referral.alerts.exists()
    # From the moment it starts, it can be.
    clock.at(2026, 12, 9, 10, 30)
    assert record(connection=connection, actor=actors[who]).status in (C.ATTENDED, C.DID_NOT_ATTEND)


def test_a_step_out_of_order_is_refused_and_nothing_is_written(service, triage, link_worker, activity, actors):
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=C.SENT_TO_PROVIDER)
    connection = services.connection_provider_decline(connection=only_connection(referral), actor=actors["provider"],
                                                      reason="full")
    events = referral.events.count()
    with pytest.raises(InvalidTransition):
        services.connection_provider_accept(connection=connection, actor=actors["provider"])
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
                             status=C.SENT_TO_PROVIDER)
    with pytest.raises(NotPermitted):
        services.connection_provider_accept(connection=only_connection(referral), actor=provider_actor(other_organisation))


def test_sending_to_a_provider_needs_consent_to_share(service, triage, link_worker, activity, actors):
    consents = {**ALL_CONSENTS, "share_with_provider": False}
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=C.ACTIVITY_CHOSEN, consents=consents)
    with pytest.raises(ReferralError) as error:
        services.connection_send_to_provider(connection=only_connection(referral), actor=actors["link_worker"])
    assert error.value.field == "consent_share_with_provider"
    assert only_connection(referral).status == C.ACTIVITY_CHOSEN and not referral.notifications.exists()


def test_after_a_providers_decline_another_activity_is_a_new_connection_and_declining_codes_the_referral(
    service, triage, link_worker, activity, other_activity, actors
):
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=C.DECLINED_BY_PROVIDER)
    second = services.connection_choose_activity(referral=referral, actor=actors["link_worker"],
                                                 activity=other_activity)
    assert second.number == 2 and second.status == C.ACTIVITY_CHOSEN and second.provider is None
    assert referral.connections.get(number=1).status == C.DECLINED_BY_PROVIDER
    referral = services.referral_person_declines(referral=referral, actor=actors["link_worker"])
    assert referral.snomed_code == SNOMED_DECLINED
    with pytest.raises(InvalidTransition):
        services.connection_send_to_provider(connection=second, actor=actors["link_worker"])


def test_a_resident_needs_a_way_to_be_contacted(service):
    with pytest.raises(Exception) as error:
        make_resident(service=service, preferred_contact="email", email="")
    assert "email" in str(error.value)


def test_a_step_from_a_page_that_showed_an_older_status_is_refused(service, triage, link_worker, activity, actors):
    from referrals.errors import AlreadyUpdated

    referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=C.SENT_TO_PROVIDER)
    connection = only_connection(referral)
    services.connection_provider_accept(connection=connection, actor=actors["provider"])  # a colleague, first
    with pytest.raises(AlreadyUpdated, match="now “accepted by provider”"):
        with services.connection_as_seen(connection, seen_status=C.SENT_TO_PROVIDER, action="provider_decline") as current:
            services.connection_provider_decline(connection=current, actor=actors["provider"], reason="full")
    connection.refresh_from_db()
    assert connection.status == C.ACCEPTED and not referral.events.filter(action="provider_decline").exists()
    # Asking again for what is already recorded is no conflict: accepting twice records it once.
    with services.connection_as_seen(connection, seen_status=C.SENT_TO_PROVIDER, action="provider_accept") as current:
        services.connection_provider_accept(connection=current, actor=actors["provider"])
    assert referral.events.filter(action="provider_accept").count() == 1


# Discharge --------------------------------------------------------------------------------


def test_discharge_needs_the_summary_the_link_worker_checked(service, triage, link_worker, activity, actors):
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=C.ATTENDED)
    worker = actors["link_worker"]
    preview = services.referral_discharge_preview(referral=referral, actor=worker, reason="other", note="Moved on.")
    # Something is recorded after the link worker read the summary: it is no longer what they checked.
    make_signpost(referral=referral, service_name="NHS Talking Therapies")
    with pytest.raises(ReferralError, match="changed since you checked it"):
        services.referral_discharge(referral=referral, actor=worker, reason="other", note="Moved on.",
                                    fingerprint=preview["fingerprint"])
    referral.refresh_from_db()
    assert referral.status == S.CONTACTED and not hasattr(referral, "discharge_summary")
    again = services.referral_discharge_preview(referral=referral, actor=worker, reason="other", note="Moved on.")
    assert [c["name"] for c in again["connections"]] == ["Tuesday health walk", "NHS Talking Therapies"]
    referral = services.referral_discharge(referral=referral, actor=worker, reason="other", note="Moved on.",
                                           fingerprint=again["fingerprint"])
    assert referral.status == S.DISCHARGED
    assert referral.discharge_summary.content["fingerprint"] == again["fingerprint"]
    # A signpost with no outcome stays as it was ("outcome not known"); nothing can change after discharge.
    assert referral.connections.get(number=2).status == C.SIGNPOSTED
    with pytest.raises(InvalidTransition):
        services.connection_choose_activity(referral=referral, actor=worker, activity=activity)


def test_discharge_waits_for_a_connection_that_is_with_a_provider(service, triage, link_worker, activity, actors):
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=C.ACCEPTED)
    with pytest.raises(ReferralError, match="A provider is still working on a connection"):
        services.referral_discharge_preview(referral=referral, actor=actors["link_worker"], reason="moved_away")
    services.connection_withdraw(connection=only_connection(referral), actor=actors["link_worker"], note="Moving.")
    referral = discharge(referral, reason="moved_away")
    assert referral.status == S.DISCHARGED


def test_goals_met_needs_a_review_and_an_unsent_activity_is_withdrawn_at_discharge(
    service, triage, link_worker, activity, actors
):
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=C.ACTIVITY_CHOSEN)
    with pytest.raises(ReferralError, match="Hold a review"):
        services.referral_discharge_preview(referral=referral, actor=actors["link_worker"], reason="goals_met")
    hold_review(referral)
    referral = discharge(referral, reason="goals_met")
    connection = only_connection(referral)
    assert connection.status == C.WITHDRAWN
    assert connection.events.last().note == "Withdrawn at discharge"
    assert referral.discharge_summary.content["contacts"]["reviewed"] is True


def test_could_not_be_contacted_needs_the_services_attempts(service, triage, link_worker, actors):
    from referrals import contacts

    referral = received_earlier(make_referral(service=service, triage=triage, link_worker=link_worker,
                                              status=S.TRIAGED))
    with pytest.raises(ReferralError, match="0 of 3 so far"):
        services.referral_discharge_preview(referral=referral, actor=actors["link_worker"], reason="not_contactable")
    for hours in (72, 48, 24):
        contacts.contact_record(referral=referral, actor=actors["link_worker"],
                                at=timezone.now() - timedelta(seconds=hours), method="phone", status="could_not_reach")
    referral = discharge(referral, reason="not_contactable")
    assert referral.status == S.DISCHARGED
    told = referral.notifications.get(kind=NotificationKind.NOT_CONTACTABLE_TO_REFERRER)
    assert told.recipient == "referrals@harbour-surgery.example.nhs.uk"


def test_only_the_link_worker_or_triage_discharge(service, triage, link_worker, activity, actors):
    referral = make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=C.ATTENDED)
    with pytest.raises(NotPermitted):
        services.referral_discharge_preview(referral=referral, actor=actors["provider"], reason="other")
    # Triage can discharge (covering for an absent link worker), with the same check.
    referral = discharge(referral, reason="other", actor=actors["triage"])
    assert referral.status == S.DISCHARGED
