"""Two people acting on one referral at once: the row lock lets only one step through.

These need real row locks (SELECT ... FOR UPDATE), so they run on PostgreSQL (the
PostgreSQL pass of `make test`); SQLite serialises whole-database writes instead.
"""

import threading
import time

import pytest
from django.db import connection

from referrals import services
from referrals.choices import ReferralStatus as S
from referrals.errors import InvalidTransition
from factories.referrals import first_session_held, make_referral, provider_actor

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
def booked(service, triage, link_worker, activity):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")  # deselected on SQLite by tests/conftest.py
    # A first session that has been held: whether the person came can now be recorded.
    return first_session_held(make_referral(service=service, triage=triage, link_worker=link_worker,
                                            activity=activity, status=S.FIRST_SESSION_BOOKED))


def test_two_attendance_confirmations_at_once_record_it_once(monkeypatch, booked, activity):
    provider = provider_actor(activity.organisation)
    outcomes = _race(
        monkeypatch,
        lambda: services.referral_record_attendance(referral=booked, actor=provider),
        lambda: services.referral_record_attendance(referral=booked, actor=provider),
    )
    assert all(not isinstance(outcome, Exception) for outcome in outcomes), outcomes
    booked.refresh_from_db()
    assert booked.status == S.ATTENDED
    assert booked.events.filter(action="record_attendance").count() == 1


def test_attended_and_did_not_attend_at_once_only_one_wins(monkeypatch, booked, activity, link_worker):
    from referrals.roles import actor_for_user

    outcomes = _race(
        monkeypatch,
        lambda: services.referral_record_attendance(referral=booked, actor=provider_actor(activity.organisation)),
        lambda: services.referral_record_did_not_attend(referral=booked, actor=actor_for_user(link_worker)),
    )
    refused = [outcome for outcome in outcomes if isinstance(outcome, InvalidTransition)]
    assert len(refused) == 1, outcomes
    booked.refresh_from_db()
    assert booked.status in (S.ATTENDED, S.DID_NOT_ATTEND)
    assert booked.events.filter(action__in=["record_attendance", "record_did_not_attend"]).count() == 1
