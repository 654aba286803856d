"""Sign-in throttling (issue 16): wrong passwords pause signing in, per account and per address."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from common.requests import client_ip_address

LOGIN = "/admin/login/"
PASSWORD = "harbour-lights-42"


@pytest.fixture
def staff(db):
    User = get_user_model()
    return [
        User.objects.create_user(f"staff{n}", password=PASSWORD, is_superuser=True, is_staff=True) for n in range(7)
    ]


def sign_in(username: str, password: str, *, address: str = "203.0.113.7") -> tuple[Client, object]:
    client = Client(REMOTE_ADDR=address)
    return client, client.post(LOGIN, {"username": username, "password": password})


def signed_in(client: Client) -> bool:
    """The password was accepted: the session has a person (their second factor comes next)."""
    return "_auth_user_id" in client.session


def test_five_wrong_passwords_pause_the_account_even_with_the_right_one(staff, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _client, response = sign_in("staff0", "wrong")
        assert response.status_code == 200 and "Your username and password didn" in response.content.decode()
    # The fifth wrong password pauses signing in, and says so.
    assert sign_in("staff0", "wrong")[1].status_code == 429

    client, response = sign_in("staff0", PASSWORD, address="198.51.100.9")  # another address: still the account
    assert response.status_code == 429
    page = response.content.decode()
    assert "Signing in is paused" in page and "You can try again in 15 minutes." in page
    assert not signed_in(client)


def test_after_the_cool_off_the_right_password_signs_in(staff, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in("staff0", "wrong")
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    client, response = sign_in("staff0", PASSWORD)
    assert response.status_code == 302
    assert signed_in(client)


def test_one_address_trying_many_accounts_is_paused_but_others_are_not(staff, settings):
    for user in staff[: settings.AXES_FAILURE_LIMIT]:
        sign_in(user.username, "wrong", address="203.0.113.66")
    _client, from_that_address = sign_in(staff[6].username, PASSWORD, address="203.0.113.66")
    assert from_that_address.status_code == 429
    client, elsewhere = sign_in(staff[6].username, PASSWORD, address="198.51.100.20")
    assert elsewhere.status_code == 302 and signed_in(client)


def test_a_successful_sign_in_clears_the_count(staff, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in("staff0", "wrong")
    assert sign_in("staff0", PASSWORD)[1].status_code == 302
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in("staff0", "wrong")
    client, response = sign_in("staff0", PASSWORD)
    assert response.status_code == 302 and signed_in(client)


def test_the_address_counted_is_the_one_the_trusted_proxy_saw(staff, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.99")
        client.post(LOGIN, {"username": "nobody", "password": "wrong"})
    # Another client behind the same proxy is not paused; the one that tried is.
    other = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert other.post(LOGIN, {"username": "staff1", "password": PASSWORD}).status_code == 302
    same = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.99")
    assert same.post(LOGIN, {"username": "staff2", "password": PASSWORD}).status_code == 429


@pytest.mark.parametrize(
    "meta, expected",
    [({"REMOTE_ADDR": "203.0.113.7"}, "203.0.113.7"), ({"REMOTE_ADDR": "2001:db8::1"}, "2001:db8::1"), ({}, None),
     ({"REMOTE_ADDR": "not-an-address"}, None)],
)
def test_the_address_stored_for_throttling_is_a_real_address_or_none(rf, meta, expected):
    request = rf.get("/")
    request.META = meta
    assert client_ip_address(request) == expected
