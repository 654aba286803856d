"""Idle sessions end (issue 16): after IDLE_SESSION_MINUTES (30) without a request, sign in again."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.utils import timezone

from tests.accounts import sign_in_with_password_and_code


@pytest.fixture
def signed_in(client, db):
    user = get_user_model().objects.create_superuser("idle-admin", "idle@example.org", "harbour-lights-42")
    sign_in_with_password_and_code(client, user, "harbour-lights-42")
    return client


def test_each_request_keeps_the_session_alive_for_thirty_minutes(signed_in):
    assert signed_in.get("/admin/").status_code == 200
    expires = Session.objects.get().expire_date
    assert timedelta(minutes=29) < expires - timezone.now() <= timedelta(minutes=30)
    cookie = signed_in.cookies["sessionid"]
    assert cookie["expires"] == "" and cookie["max-age"] == ""  # ends when the browser closes, too


def test_after_thirty_idle_minutes_the_person_signs_in_again(signed_in):
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = signed_in.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
