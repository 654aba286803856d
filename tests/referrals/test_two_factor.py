"""Two-factor sign-in: everyone who signs in proves a code from an authenticator app (or a recovery code) once a session."""

import re
from base64 import b32encode
from urllib.parse import parse_qs, urlsplit

import pytest
from django.http import HttpResponse
from django.urls import include, path
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from factories import referrals as factories
from directory.permissions import MODERATORS_GROUP
from referrals import accounts
from referrals.roles import COMMISSIONERS_GROUP
from referrals.views.common import staff_view

SET_UP = "/account/two-factor/set-up/"
VERIFY = "/account/two-factor/"
RECOVERY_CODES = "/account/two-factor/recovery-codes/"


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
    # Next, the recovery codes, shown once, then on to the page asked for.
    assert response.status_code == 302 and response["Location"] == f"{RECOVERY_CODES}?next=%2Fstaff-only%2F"
    device.refresh_from_db()
    assert device.confirmed
    codes_page = client.get(response["Location"]).content.decode()
    codes = sorted(StaticToken.objects.filter(device__user=link_worker).values_list("token", flat=True))
    assert len(codes) == 10 and all(f"<code>{code}</code>" in codes_page for code in codes)
    assert "We will not show these codes again" in codes_page and 'href="/staff-only/"' in codes_page
    again = client.get(RECOVERY_CODES).content.decode()
    assert not any(code in again for code in codes) and "You have 10 recovery codes left." in again
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
def test_everyone_who_signs_in_is_asked_commissioners_editors_and_moderators_too(
    client, commissioner, provider_editor, triage
):
    moderator = factories.make_user("mo", groups=[MODERATORS_GROUP])
    for user in (commissioner, provider_editor, triage, moderator):
        client.force_login(user)
        assert client.get("/staff-only/")["Location"].startswith(SET_UP)
        # The admin too, whatever page: half signed in is not signed in.
        for url in ("/admin/", "/admin/pages/", "/admin/users/", "/reports/"):
            assert client.get(url)["Location"].startswith(f"{SET_UP}?next="), url
        client.logout()


@uses_test_page
def test_a_recovery_code_signs_in_once_and_says_how_many_are_left(client, link_worker):
    device = confirmed_device(link_worker)
    codes = accounts.issue_recovery_codes(link_worker)
    client.force_login(link_worker)
    assert "or one of your recovery codes" in client.get(VERIFY).content.decode()

    response = client.post(f"{VERIFY}?next=/staff-only/", {"code": codes[0].upper()})
    assert response["Location"] == f"{RECOVERY_CODES}?next=%2Fstaff-only%2F"
    page = client.get(response["Location"]).content.decode()
    assert "You have 9 recovery codes left." in page and 'href="/staff-only/"' in page
    assert client.get("/staff-only/").status_code == 200

    client.logout()
    client.force_login(link_worker)
    used = client.post(VERIFY, {"code": codes[0]}).content.decode()
    assert "That recovery code is not right, or it has been used." in used
    # New codes replace the old: the old ones stop working.
    assert client.post(VERIFY, {"code": code_for(device)}).status_code == 302
    client.post(RECOVERY_CODES)
    fresh = client.get(RECOVERY_CODES).content.decode()
    assert codes[1] not in fresh and len(re.findall(r"<code>[a-z2-7]{8}</code>", fresh)) == 10
    client.logout()
    client.force_login(link_worker)
    # The used code's wrong try above started django-otp's back-off: let it pass.
    StaticDevice.objects.update(throttling_failure_count=0, throttling_failure_timestamp=None)
    assert "not right, or it has been used" in client.post(VERIFY, {"code": codes[1]}).content.decode()


def test_a_code_that_is_neither_kind_says_what_to_enter(client, link_worker):
    confirmed_device(link_worker)
    client.force_login(link_worker)
    html = client.post(VERIFY, {"code": "12ab"}).content.decode()
    assert "Enter the 6-digit code from your authenticator app, or a recovery code of 8 letters and numbers." in html
