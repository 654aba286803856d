"""Two people acting on one connection at once: the row locks let only one step through, the other is refused
clearly, and nothing is half-saved.

These need real row locks (SELECT ... FOR UPDATE), so they run on PostgreSQL (the
PostgreSQL pass of `make test`); SQLite serialises whole-database writes instead.
"""

import threading
import time

import pytest
from django.db import connection

from datetime import timedelta
from urllib.parse import urlsplit

from django.core import signing
from django.test import Client
from django.utils import timezone

from referrals import links, services
from referrals.choices import ConnectionStatus as S
from referrals.choices import NotificationKind
from referrals.errors import AlreadyUpdated, InvalidTransition
from factories.referrals import first_session_held, make_referral, only_connection, provider_actor
from referrals.models import ActionLink
from referrals.roles import actor_for_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _race(monkeypatch, *calls):
    """Run ``calls`` in threads that start together; each holds the lock a moment to force an overlap."""
    real_clear = services.clear_alerts

    def slow_clear(*args, **kwargs):
        time.sleep(0.3)  # inside the transaction, after the lock: the other thread must wait here
        return real_clear(*args, **kwargs)

    monkeypatch.setattr(services, "clear_alerts", slow_clear)
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        try:
            outcomes[index] = call()
        except Exception as error:  # noqa: BLE001 - the outcome is what the test looks at
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


@pytest.fixture
def connection_at(service, triage, link_worker, activity):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")  # deselected on SQLite by tests/conftest.py

    def _make(status):
        return only_connection(make_referral(service=service, triage=triage, link_worker=link_worker,
                                             activity=activity, status=status))

    return _make


@pytest.fixture
def booked(connection_at):
    # A first session that has been held: whether the person came can now be recorded.
    return first_session_held(connection_at(S.FIRST_SESSION_BOOKED))


def test_two_attendance_confirmations_at_once_record_it_once(monkeypatch, booked, activity):
    provider = provider_actor(activity.organisation)
    outcomes = _race(
        monkeypatch,
        lambda: services.connection_record_attendance(connection=booked, actor=provider),
        lambda: services.connection_record_attendance(connection=booked, actor=provider),
    )
    assert all(not isinstance(outcome, Exception) for outcome in outcomes), outcomes
    booked.refresh_from_db()
    assert booked.status == S.ATTENDED
    assert booked.events.filter(action="record_attendance").count() == 1


def test_attended_and_did_not_attend_at_once_only_one_wins(monkeypatch, booked, activity, link_worker):
    outcomes = _race(
        monkeypatch,
        lambda: services.connection_record_attendance(connection=booked, actor=provider_actor(activity.organisation)),
        lambda: services.connection_record_did_not_attend(connection=booked, actor=actor_for_user(link_worker)),
    )
    refused = [outcome for outcome in outcomes if isinstance(outcome, InvalidTransition)]
    assert len(refused) == 1, outcomes
    booked.refresh_from_db()
    assert booked.status in (S.ATTENDED, S.DID_NOT_ATTEND)
    assert booked.events.filter(action__in=["record_attendance", "record_did_not_attend"]).count() == 1


def _as_seen(connection, seen_status, action, step):
    """A step asked for from a page that showed ``connection`` at ``seen_status`` (as the pages do)."""

    def call():
        with services.connection_as_seen(connection, seen_status=seen_status, action=action) as current:
            return step(current)

    return call


def test_two_provider_staff_booking_the_first_session_at_once_only_one_wins(monkeypatch, connection_at, activity):
    accepted = connection_at(S.ACCEPTED)
    provider = provider_actor(activity.organisation)
    monday, tuesday = timezone.now() + timedelta(days=5), timezone.now() + timedelta(days=6)
    outcomes = _race(
        monkeypatch,
        _as_seen(accepted, S.ACCEPTED, "book_first_session", lambda c: services.connection_book_first_session(
            connection=c, actor=provider, starts_at=monday, note="Monday")),
        _as_seen(accepted, S.ACCEPTED, "book_first_session", lambda c: services.connection_book_first_session(
            connection=c, actor=provider, starts_at=tuesday, note="Tuesday")),
    )
    refused = [outcome for outcome in outcomes if isinstance(outcome, AlreadyUpdated)]
    assert len(refused) == 1, outcomes
    assert "already been updated" in refused[0].message
    winner = next(outcome for outcome in outcomes if not isinstance(outcome, Exception))
    accepted.refresh_from_db()
    # The winner's session, whole: its date and its note, one event, one message to the person.
    assert accepted.status in (S.FIRST_SESSION_BOOKED, S.RESIDENT_NOTIFIED)  # (the email may have gone already)
    assert (accepted.first_session_at, accepted.first_session_note) == (winner.first_session_at,
                                                                         winner.first_session_note)
    assert accepted.events.filter(action="book_first_session").count() == 1
    assert accepted.notifications.filter(kind=NotificationKind.FIRST_SESSION_FOR_RESIDENT).count() == 1


def test_the_providers_emailed_link_and_the_link_worker_withdrawing_at_once_only_one_wins(
    monkeypatch, connection_at, link_worker
):
    sent = connection_at(S.SENT_TO_PROVIDER)
    accept = urlsplit(links.issue_link(sent, "provider_accept")).path
    worker = actor_for_user(link_worker)
    outcomes = _race(
        monkeypatch,
        lambda: Client().post(accept),
        _as_seen(sent, S.SENT_TO_PROVIDER, "withdraw", lambda c: services.connection_withdraw(
            connection=c, actor=worker, note="The person has moved away.")),
    )
    response, withdrawal = outcomes
    assert not isinstance(response, Exception), response
    sent.refresh_from_db()
    link = ActionLink.objects.get(pk=signing.loads(accept.rstrip("/").rsplit("/", 1)[1], salt=links._SALT))
    if sent.status == S.ACCEPTED:
        # The provider was first: the link worker is told it has moved on, and nothing of theirs is saved.
        assert response.status_code == 200 and "You accepted the referral" in response.content.decode()
        assert isinstance(withdrawal, AlreadyUpdated), withdrawal
        assert link.used_at is not None
        assert not sent.events.filter(action="withdraw").exists()
        assert not sent.notifications.filter(kind=NotificationKind.CONNECTION_WITHDRAWN).exists()
        assert sent.notifications.filter(kind=NotificationKind.PROVIDER_ACCEPTED).exists()
    else:
        # The link worker was first: the link refuses, unused, and shows nothing of the person.
        assert sent.status == S.WITHDRAWN and not isinstance(withdrawal, Exception), withdrawal
        assert response.status_code == 410 and "This referral has been withdrawn" in response.content.decode()
        assert link.used_at is None
        assert not sent.events.filter(action="provider_accept").exists()
        assert not sent.notifications.filter(kind=NotificationKind.PROVIDER_ACCEPTED).exists()
        assert not ActionLink.objects.filter(connection=sent, action="book_first_session").exists()
        assert sent.notifications.filter(kind=NotificationKind.CONNECTION_WITHDRAWN).exists()
    assert sent.events.filter(action__in=["provider_accept", "withdraw"]).count() == 1
