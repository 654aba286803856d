"""Retrying a referral through the API with an Idempotency-Key gives the same referral, never two."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from referrals.models import AuditEntry, IdempotentRequest, Notification, Referral, Resident
from tests.referrals.test_api import CREATE, new_referral_body, other_service_key, service_key  # noqa: F401

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
