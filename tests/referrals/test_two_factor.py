"""Two-factor sign-in: staff who see residents' data prove a code from an authenticator app once a session."""

import re
from base64 import b32encode
from urllib.parse import parse_qs, urlsplit

import pytest
from django.http import HttpResponse
from django.urls import include, path
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from factories import referrals as factories
from referrals.roles import COMMISSIONERS_GROUP
from referrals.views.common import staff_view

SET_UP = "/account/two-factor/set-up/"
VERIFY = "/account/two-factor/"


@staff_view()
def _staff_only(request):
    return HttpResponse(f"Hello {request.actor.label}")


# A page behind staff_view that does not depend on any referral page being built yet.
urlpatterns = [path("staff-only/", _staff_only), path("", include("config.urls"))]
uses_test_page = pytest.mark.urls(__name__)


def code_for(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = totp.time + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def wrong_code(device: TOTPDevice) -> str:
    right = code_for(device)
    nearby = {code_for(device, steps_ahead=n) for n in (-1, 0, 1)}
    return next(c for c in (f"{(int(right) + n) % 1_000_000:06d}" for n in range(1, 10)) if c not in nearby)


def confirmed_device(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)


@pytest.fixture
def commissioner(service):
    return factories.make_staff(COMMISSIONERS_GROUP, service=service, username="cara")


def test_an_unverified_link_worker_asking_for_their_caseload_is_sent_to_set_up(client, link_worker):
    client.force_login(link_worker)
    response = client.get("/referrals/")
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert target.path == SET_UP
    assert parse_qs(target.query)["next"] == ["/referrals/"]


@uses_test_page
def test_set_up_shows_a_qr_code_and_the_key_then_a_right_code_confirms_and_goes_on(client, link_worker):
    client.force_login(link_worker)
    assert client.get("/staff-only/")["Location"] == f"{SET_UP}?next=%2Fstaff-only%2F"

    page = client.get(SET_UP, {"next": "/staff-only/"})
    assert page.status_code == 200
    html = page.content.decode()
    device = TOTPDevice.objects.get(user=link_worker)
    assert not device.confirmed
    assert "<svg" in html and 'role="img"' in html
    secret = b32encode(device.bin_key).decode()
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    assert grouped in html
    # Reloading shows the same key: an app set up a moment ago still works.
    assert grouped in client.get(SET_UP, {"next": "/staff-only/"}).content.decode()
    assert TOTPDevice.objects.filter(user=link_worker).count() == 1

    response = client.post(f"{SET_UP}?next=/staff-only/", {"code": code_for(device)})
    assert response.status_code == 302 and response["Location"] == "/staff-only/"
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/staff-only/").content.decode() == "Hello Lee Worker"


@uses_test_page
def test_a_wrong_code_at_set_up_is_an_error_and_leaves_the_person_unverified(client, link_worker):
    client.force_login(link_worker)
    client.get(SET_UP)
    device = TOTPDevice.objects.get(user=link_worker)

    response = client.post(SET_UP, {"code": wrong_code(device)})
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r"<title>\s*Error: Set up two-factor sign-in", html)
    assert "There is a problem" in html and 'href="#id_code"' in html
    assert "The code is not right" in html
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get("/staff-only/").status_code == 302

    response = client.post(SET_UP, {"code": "12ab"})
    assert "Enter the code as 6 digits" in response.content.decode()


@uses_test_page
def test_a_person_with_an_app_enters_a_code_to_verify_each_session(client, link_worker):
    device = confirmed_device(link_worker)
    client.force_login(link_worker)
    response = client.get("/staff-only/")
    assert response["Location"] == f"{VERIFY}?next=%2Fstaff-only%2F"
    assert client.get(SET_UP)["Location"] == VERIFY, "set-up is not offered to someone with an app"

    page = client.get(VERIFY, {"next": "/staff-only/"})
    assert page.status_code == 200 and "Enter your security code" in page.content.decode()
    # Spaces, as some apps show the code, are fine.
    code = code_for(device)
    response = client.post(f"{VERIFY}?next=/staff-only/", {"code": f"{code[:3]} {code[3:]}"})
    assert response["Location"] == "/staff-only/"
    assert client.get("/staff-only/").status_code == 200
    # Already verified: the page moves straight on.
    assert client.get(VERIFY, {"next": "/staff-only/"})["Location"] == "/staff-only/"


@uses_test_page
def test_wrong_codes_are_refused_then_throttled_with_a_clear_message(client, link_worker):
    device = confirmed_device(link_worker)
    client.force_login(link_worker)

    first = client.post(VERIFY, {"code": wrong_code(device)}).content.decode()
    assert "The code is not right" in first
    second = client.post(VERIFY, {"code": wrong_code(device)}).content.decode()
    assert "You have entered a wrong code too many times. Wait" in second
    # While the wait lasts, even the right code is not tried.
    third = client.post(VERIFY, {"code": code_for(device)}).content.decode()
    assert "too many times" in third
    assert client.get("/staff-only/").status_code == 302


@uses_test_page
def test_a_code_works_once(client, link_worker):
    device = confirmed_device(link_worker)
    code = code_for(device)
    client.force_login(link_worker)
    assert client.post(VERIFY, {"code": code}).status_code == 302
    client.logout()
    client.force_login(link_worker)
    response = client.post(VERIFY, {"code": code})
    assert response.status_code == 200 and "The code is not right" in response.content.decode()


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/referrals/", "javascript:alert(1)"])
def test_a_next_address_on_another_site_is_refused(client, link_worker, next_url):
    device = confirmed_device(link_worker)
    client.force_login(link_worker)
    response = client.post(f"{VERIFY}?{_query(next_url)}", {"code": code_for(device)})
    assert response.status_code == 302
    assert response["Location"] == "/referrals/", "the link worker's own caseload, not the other site"


def _query(next_url: str) -> str:
    from django.utils.http import urlencode

    return urlencode({"next": next_url})


def test_both_pages_need_a_signed_in_person(client, db):
    for url in (SET_UP, VERIFY):
        response = client.get(url, {"next": "/referrals/"})
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/?next=")
        assert not TOTPDevice.objects.exists()


@uses_test_page
def test_a_commissioner_who_sees_no_residents_data_is_not_asked_for_a_second_factor(client, commissioner):
    client.force_login(commissioner)
    response = client.get("/staff-only/")
    assert response.status_code == 200


@uses_test_page
def test_provider_editors_and_triage_are_asked_too(client, provider_editor, triage):
    for user in (provider_editor, triage):
        client.force_login(user)
        assert client.get("/staff-only/")["Location"].startswith(SET_UP)
        client.logout()
