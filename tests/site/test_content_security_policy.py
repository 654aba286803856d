"""The Content-Security-Policy header: strict on every kind of Signpost page and on the admin's
sign-in page; inside the Wagtail admin only scripts and styles are relaxed (pages.security).

The browser tests (tests/browser) fail on any violation the browser reports on Signpost's pages.
"""

import re

import pytest
from django.contrib.auth import get_user_model

from tests.accounts import sign_in_verified
from tests.referrals.conftest import *  # noqa: F401,F403 - services, staff and activities

STRICT = {
    "default-src": "'self'",
    "style-src": "'self'",
    "object-src": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "base-uri": "'self'",
}


def policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


def assert_strict(response):
    directives = policy(response)
    for name, value in STRICT.items():
        assert directives[name] == value, (name, directives[name])
    # This site's scripts, and inline ones only with this response's nonce (where the page has any).
    scripts = directives["script-src"].split()
    assert scripts[0] == "'self'" and all(re.fullmatch(r"'nonce-[A-Za-z0-9+/=]+'", extra) for extra in scripts[1:])
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "https://tile.openstreetmap.org" in directives["img-src"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["/", "/find/?postcode=BH15+1AB", "/refer-yourself/", "/accessibility/", "/admin/login/", "/api/v1/activities/"],
)
def test_public_pages_and_the_sign_in_page_have_the_strict_policy(client, home, postcodes, path):
    response = client.get(path, follow=True)  # the self-referral starts by going to its first step
    assert response.status_code == 200
    assert_strict(response)


def test_an_activity_page_and_a_staff_page_have_the_strict_policy(client, activity, link_worker, sign_in):
    assert_strict(client.get(activity.url))
    staff = sign_in(link_worker)
    response = staff.get("/referrals/")
    assert response.status_code == 200
    assert_strict(response)


def test_the_inline_scripts_carry_the_nonce_of_their_response(client, home):
    response = client.get("/")
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    scripts = re.findall(r"<script([^>]*)>", response.content.decode())
    inline = [attributes for attributes in scripts if "src=" not in attributes]
    assert inline and all(f'nonce="{nonce}"' in attributes for attributes in inline)
    assert nonce not in client.get("/")["Content-Security-Policy"]  # a new nonce every response


@pytest.mark.django_db
def test_inside_the_wagtail_admin_only_scripts_and_styles_are_relaxed(client, home):
    admin = get_user_model().objects.create_superuser("csp-admin", "csp@example.org", "x")
    sign_in_verified(client, admin)
    response = client.get("/admin/")
    assert response.status_code == 200
    directives = policy(response)
    assert directives["script-src"] == "'self' 'unsafe-inline'"
    assert directives["style-src"] == "'self' 'unsafe-inline'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert "gravatar" not in response.content.decode()
