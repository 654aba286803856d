"""Referrals made before connections keep their story: each activity chosen becomes a connection,
its steps stay in the log against it, and "closed" becomes "discharged" with a reason."""

from datetime import timedelta

import pytest
from django.db import connection as db
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("referrals", "0008_connections_and_discharge")]


def _migrate(targets):
    executor = MigrationExecutor(db)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state([target for target in targets if target[1]]).apps


def _event(Event, referral, action, from_status, to_status, at, activity=None):
    return Event.objects.create(referral=referral, action=action, from_status=from_status, to_status=to_status,
                                at=at, activity_id=activity, actor_label="Lee Worker")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_each_activity_a_referral_tried_becomes_a_connection_and_closed_becomes_discharged(home):
    from factories.directory import make_activity, make_organisation

    walks = make_organisation("Poole Walking Friends", email="hello@poole-walking.example.org")
    lunches = make_organisation("Harbour Lunch Club", email="hello@harbour-lunch.example.org")
    walk = make_activity(walks, "Tuesday health walk")
    lunch = make_activity(lunches, "Friday lunch club")
    latest = MigrationExecutor(db).loader.graph.leaf_nodes()

    old = _migrate(BEFORE)
    Service = old.get_model("referrals", "SocialPrescribingService")
    Resident = old.get_model("referrals", "Resident")
    Referral = old.get_model("referrals", "Referral")
    Event = old.get_model("referrals", "ReferralEvent")
    Alert = old.get_model("referrals", "Alert")
    service = Service.objects.create(name="Poole Social Prescribing", slug="poole", postcode_prefixes="BH")
    resident = Resident.objects.create(service=service, first_name="Jo", last_name="Bloggs", postcode="BH15 1AB")
    start = timezone.now() - timedelta(days=60)

    # Tried the walk (declined: full), then the lunch club (attended), then closed as engaged.
    closed = Referral.objects.create(
        service=service, resident=resident, source="primary_care", referrer_name="Dr Patel", status="closed",
        activity_id=lunch.pk, provider_id=lunches.pk, outcome="engaged", outcome_note="Goes every week.",
        received_at=start, closed_at=start + timedelta(days=40), attended_at=start + timedelta(days=20),
        first_session_at=start + timedelta(days=19), sent_to_provider_at=start + timedelta(days=10),
    )
    for day, action, from_status, to_status, activity in [
        (0, "create", "", "received", None),
        (1, "choose_activity", "contacted", "activity_chosen", walk.pk),
        (2, "send_to_provider", "activity_chosen", "sent_to_provider", walk.pk),
        (3, "provider_decline", "sent_to_provider", "declined_by_provider", walk.pk),
        (9, "choose_activity", "declined_by_provider", "activity_chosen", lunch.pk),
        (10, "send_to_provider", "activity_chosen", "sent_to_provider", lunch.pk),
        (20, "record_attendance", "resident_notified", "attended", lunch.pk),
        (40, "close", "attended", "closed", lunch.pk),
    ]:
        _event(Event, closed, action, from_status, to_status, start + timedelta(days=day), activity)
    # Waiting on a provider today, with an alert about it.
    waiting = Referral.objects.create(
        service=service, resident=resident, source="primary_care", referrer_name="Dr Patel",
        status="sent_to_provider", activity_id=walk.pk, provider_id=walks.pk, received_at=start,
        sent_to_provider_at=start + timedelta(days=5),
    )
    _event(Event, waiting, "choose_activity", "contacted", "activity_chosen", start + timedelta(days=4), walk.pk)
    _event(Event, waiting, "send_to_provider", "activity_chosen", "sent_to_provider", start + timedelta(days=5), walk.pk)
    Alert.objects.create(referral=waiting, kind="no_provider_response")
    # Closed without an activity: could not be contacted.
    unreached = Referral.objects.create(
        service=service, resident=resident, source="self", status="closed", outcome="not_contactable",
        received_at=start, closed_at=start + timedelta(days=14),
    )

    new = _migrate(latest)
    Referral = new.get_model("referrals", "Referral")
    Connection = new.get_model("referrals", "Connection")
    Event = new.get_model("referrals", "ReferralEvent")

    closed = Referral.objects.get(pk=closed.pk)
    assert (closed.status, closed.discharge_reason) == ("discharged", "goals_met")
    assert closed.discharge_note == "Engaged with the activity. Goes every week."
    assert closed.discharged_at == start + timedelta(days=40)
    tried = list(Connection.objects.filter(referral=closed).order_by("number").values_list(
        "number", "activity_id", "status", "provider_id"))
    assert tried == [(1, walk.pk, "declined_by_provider", walks.pk), (2, lunch.pk, "attended", lunches.pk)]
    second = Connection.objects.get(referral=closed, number=2)
    assert second.attended_at == start + timedelta(days=20) and second.ended_at is not None
    assert list(Event.objects.filter(connection__number=1, referral=closed).values_list("action", flat=True)) == [
        "choose_activity", "send_to_provider", "provider_decline"]
    assert Event.objects.filter(referral=closed, action="discharge", to_status="discharged").count() == 1

    waiting = Referral.objects.get(pk=waiting.pk)
    assert waiting.status == "contacted"
    only = Connection.objects.get(referral=waiting)
    assert (only.status, only.provider_id, only.sent_to_provider_at) == (
        "sent_to_provider", walks.pk, start + timedelta(days=5))
    assert new.get_model("referrals", "Alert").objects.get(referral=waiting).connection_id == only.pk

    unreached = Referral.objects.get(pk=unreached.pk)
    assert (unreached.status, unreached.discharge_reason) == ("discharged", "not_contactable")
    assert not Connection.objects.filter(referral=unreached).exists()
