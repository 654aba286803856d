"""Issue 16: the emailed password reset and invitation links, and the form that sends them, are throttled."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

RESET = "/admin/password_reset/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(db):
    return get_user_model().objects.create_user("kim", "kim@example.org", "harbour-lights-42")


def test_asking_for_reset_emails_for_one_address_stops_after_three(client, person, settings):
    settings.PASSWORD_RESET_EMAILS_LIMIT = 3
    for _ in range(3):
        assert client.post(RESET, {"email": "kim@example.org"}).status_code == 302
    assert len(mail.outbox) == 3

    # From another connection too: the limit is per address asked for.
    response = client.post(RESET, {"email": "KIM@example.org"}, REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 429
    html = response.content.decode()
    assert "Too many attempts" in html and re.search(r"try again in \d+ minutes?", html)
    assert int(response["Retry-After"]) > 0
    assert len(mail.outbox) == 3, "no fourth email"


def test_one_connection_trying_many_addresses_is_paused(client, person, settings):
    settings.SIGN_IN_LINK_LIMIT = 5
    for number in range(5):
        assert client.post(RESET, {"email": f"someone{number}@example.org"}).status_code == 302
    assert client.post(RESET, {"email": "kim@example.org"}).status_code == 429
    assert mail.outbox == []
    # Another connection is not affected.
    assert client.post(RESET, {"email": "kim@example.org"}, REMOTE_ADDR="10.0.0.9").status_code == 302
    assert len(mail.outbox) == 1


def test_guessing_emailed_links_is_paused_and_a_real_link_still_works_elsewhere(client, person, settings):
    settings.SIGN_IN_LINK_LIMIT = 5
    for number in range(5):
        assert client.get(f"/admin/password_reset/confirm/MQ/guess-{number}/").status_code == 200
    response = client.get("/admin/password_reset/confirm/MQ/guess-6/")
    assert response.status_code == 429 and "Too many attempts" in response.content.decode()

    client.post(RESET, {"email": "kim@example.org"}, REMOTE_ADDR="10.0.0.9")
    link = re.search(r"http://testserver(/admin/password_reset/confirm/\S+/)", mail.outbox[0].body).group(1)
    other = client.__class__(REMOTE_ADDR="10.0.0.9")
    assert other.get(link, follow=True).status_code == 200
