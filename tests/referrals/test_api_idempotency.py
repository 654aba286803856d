"""Retrying a change through the API with an Idempotency-Key does it once: one referral, one connection, one step."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from factories import referrals as factories
from factories.referrals import make_connection
from referrals.choices import ConnectionStatus as C
from referrals.choices import NotificationKind
from referrals.choices import ReferralStatus as S
from referrals.models import AuditEntry, IdempotentRequest, Notification, Referral, Resident
from tests.referrals.test_api import (  # noqa: F401 (fixtures)
    CREATE,
    connection_step,
    detail,
    new_referral_body,
    other_service_key,
    provider_key,
    service_key,
)

KEY = "8d6f7c1e-2b4a-4f8e-9a51-3c2d1e0f9b7a"


def post(client, key: str | None, body: dict, *, token: str):
    headers = {"HTTP_AUTHORIZATION": f"Token {token}"}
    if key is not None:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post(CREATE, data=body, content_type="application/json", **headers)


@pytest.mark.django_db
def test_a_retry_with_the_same_key_gets_the_same_referral(client, service_key):
    first = post(client, KEY, new_referral_body(), token=service_key)
    assert first.status_code == 201, first.json()
    assert "Idempotent-Replayed" not in first
    notifications = Notification.objects.count()

    again = post(client, KEY, new_referral_body(), token=service_key)
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["reference"] == first.json()["reference"]
    assert again["Location"] == first["Location"]
    assert Referral.objects.count() == 1 and Resident.objects.count() == 1
    assert Notification.objects.count() == notifications  # nobody is told twice


@pytest.mark.django_db
def test_the_same_key_for_a_different_referral_is_refused(client, service_key):
    assert post(client, KEY, new_referral_body(), token=service_key).status_code == 201
    body = new_referral_body()
    body["resident"]["first_name"] = "Winifred"
    response = post(client, KEY, body, token=service_key)
    assert response.status_code == 422
    assert "different request" in response.json()["detail"]
    assert Referral.objects.count() == 1


@pytest.mark.django_db
def test_without_a_key_each_request_is_a_new_referral(client, service_key):
    assert post(client, None, new_referral_body(), token=service_key).status_code == 201
    assert post(client, None, new_referral_body(), token=service_key).status_code == 201
    assert Referral.objects.count() == 2


@pytest.mark.django_db
def test_keys_belong_to_their_caller(client, service_key, other_service_key):
    mine = post(client, KEY, new_referral_body(), token=service_key)
    theirs = post(client, KEY, new_referral_body(), token=other_service_key)
    assert theirs.status_code == 201 and "Idempotent-Replayed" not in theirs
    assert theirs.json()["reference"] != mine.json()["reference"]
    assert Referral.objects.count() == 2


@pytest.mark.django_db
def test_bad_input_is_not_remembered_so_the_corrected_retry_goes_through(client, service_key):
    body = new_referral_body()
    body["resident"]["nhs_number"] = "943 476 5918"  # fails the check digit
    refused = post(client, KEY, body, token=service_key)
    assert refused.status_code == 400 and "nhs_number" in refused.json()["resident"]
    assert not IdempotentRequest.objects.exists()
    assert post(client, KEY, new_referral_body(), token=service_key).status_code == 201


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "x" * 256, "with space", "naïve"])
def test_a_key_that_cannot_be_one_is_a_400_naming_the_header(client, service_key, key):
    response = post(client, key, new_referral_body(), token=service_key)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()
    assert not Referral.objects.exists()


@pytest.mark.django_db
def test_a_key_is_forgotten_after_its_time(client, service_key, settings):
    first = post(client, KEY, new_referral_body(), token=service_key)
    IdempotentRequest.objects.update(created_at=timezone.now() - timedelta(hours=25))
    later = post(client, KEY, new_referral_body(), token=service_key)
    assert later.status_code == 201 and "Idempotent-Replayed" not in later
    assert later.json()["reference"] != first.json()["reference"]
    assert IdempotentRequest.objects.count() == 1  # the old one is gone


# Making connections and taking steps ------------------------------------------------------------------


@pytest.fixture
def in_support(service, triage, link_worker):
    return factories.make_referral(service=service, triage=triage, link_worker=link_worker, status=S.CONTACTED)


@pytest.mark.django_db
def test_a_retried_connection_with_the_same_key_is_made_once(client, sign_in, link_worker, in_support, activity):
    sign_in(link_worker)
    path = f"{detail(in_support)}connections/"

    def post_as_worker(data, **headers):
        return client.post(path, data=data, content_type="application/json", **headers)

    body = {"kind": "signpost", "service_name": "NHS Talking Therapies"}
    first = post_as_worker(body, HTTP_IDEMPOTENCY_KEY=KEY)
    post_as_worker({"kind": "activity", "activity": activity.pk})  # another connection made meanwhile
    again = post_as_worker(body, HTTP_IDEMPOTENCY_KEY=KEY)
    other = post_as_worker({**body, "service_name": "Citizens Advice"}, HTTP_IDEMPOTENCY_KEY=KEY)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert again.json()["number"] == first.json()["number"] == 1
    assert again["Location"] == first["Location"]
    assert other.status_code == 422 and "different request" in other.json()["detail"]
    assert [c.name for c in in_support.connections.order_by("number")] == ["NHS Talking Therapies", activity.title]


@pytest.mark.django_db
def test_a_retried_step_with_the_same_key_is_done_once(client, in_support, activity, provider_key):
    make_connection(referral=in_support, activity=activity, status=C.ACCEPTED)
    starts = (timezone.now() + timedelta(days=4)).replace(microsecond=0).isoformat()
    path = connection_step(in_support, 1, "book-first-session")

    first = post_with_key(client, path, provider_key, {"starts_at": starts})
    again = post_with_key(client, path, provider_key, {"starts_at": starts})
    bad_key = post_with_key(client, path, provider_key, {"starts_at": starts}, key="with space")

    assert (first.status_code, again.status_code) == (200, 200)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["status"] == "first_session_booked"
    assert in_support.events.filter(action="book_first_session").count() == 1
    # The person is told once.
    assert Notification.objects.filter(referral=in_support, kind=NotificationKind.FIRST_SESSION_FOR_RESIDENT).count() == 1
    assert bad_key.status_code == 400 and "Idempotency-Key" in bad_key.json()
    # Keys are the caller's, for the operation they were sent to: the same key on another step is another request.
    assert post_with_key(client, connection_step(in_support, 1, "cancel-first-session"), provider_key,
                         {"note": "Venue closed."}).status_code == 422
    assert in_support.connections.get().status == C.FIRST_SESSION_BOOKED
    assert IdempotentRequest.objects.filter(referral=in_support).count() == 1


def post_with_key(client, path, token, data, *, key=KEY):
    return client.post(path, data=data, content_type="application/json", HTTP_AUTHORIZATION=f"Token {token}",
                       HTTP_IDEMPOTENCY_KEY=key)


@pytest.mark.django_db
def test_the_schema_documents_the_header(client):
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    operation = schema["paths"][CREATE]["post"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in operation["parameters"])
    assert "422" in operation["responses"]


def _post_at_once(service_key, monkeypatch, bodies: list[dict]) -> list:
    """POST ``bodies`` with one key from two threads, both past the key check before either commits."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's concurrent transactions")  # deselected on SQLite by tests/conftest.py
    from referrals.api import idempotency

    real_remember = idempotency.remember

    def slow_remember(**kwargs):
        time.sleep(0.3)  # both have made a referral and neither has committed: the key decides
        return real_remember(**kwargs)

    monkeypatch.setattr(idempotency, "remember", slow_remember)
    barrier = threading.Barrier(len(bodies))
    answers = [None] * len(bodies)

    def run(index):
        barrier.wait()
        try:
            answers[index] = post(Client(), KEY, bodies[index], token=service_key)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return answers


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_requests_with_one_key_at_the_same_moment_make_one_referral(service_key, monkeypatch):
    answers = _post_at_once(service_key, monkeypatch, [new_referral_body(), new_referral_body()])
    assert [answer.status_code for answer in answers] == [201, 201]
    assert answers[0].json()["reference"] == answers[1].json()["reference"]
    assert sorted(answer.get("Idempotent-Replayed", "") for answer in answers) == ["", "true"]
    assert Referral.objects.count() == 1 and Resident.objects.count() == 1
    assert AuditEntry.objects.exclude(referral_id=None).values("referral_id").distinct().count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_one_key_for_two_different_referrals_at_the_same_moment_makes_one_and_refuses_the_other(
    service_key, monkeypatch
):
    other = new_referral_body()
    other["resident"]["first_name"] = "Winifred"
    answers = _post_at_once(service_key, monkeypatch, [new_referral_body(), other])
    assert sorted(answer.status_code for answer in answers) == [201, 422]
    assert Referral.objects.count() == 1 and Resident.objects.count() == 1
