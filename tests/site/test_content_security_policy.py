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


def assert_no_inline_code(response):
    """Nothing the strict policy would block: no style attributes or blocks, no script without a nonce."""
    html = response.content.decode()
    assert not re.search(r"<[a-z][^>]*\sstyle=", html), "an inline style attribute"
    assert "<style" not in html
    assert not re.search(r"\son[a-z]+=\"", html), "an inline event handler"
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    # JSON data blocks (Wagtail's userbar carries one) are never run, so the policy does not apply to them.
    inline = [attrs for attrs in re.findall(r"<script([^>]*)>", html)
              if "src=" not in attrs and 'type="application/json"' not in attrs]
    assert all(f'nonce="{nonce}"' in attrs for attrs in inline), (response.request["PATH_INFO"], inline)


def test_the_journeys_pages_are_built_to_the_strict_policy(client, home, postcodes, activity, service, triage,
                                                           link_worker, provider_editor, sign_in):
    """Issue 15's new and changed pages: the role home, the link worker's search for a person, the
    self-referral's steps, the provider's inbox and the commissioner's report."""
    from factories.referrals import make_referral, make_staff
    from referrals.choices import ReferralStatus
    from referrals.roles import COMMISSIONERS_GROUP

    referral = make_referral(service=service, triage=triage, link_worker=link_worker,
                             status=ReferralStatus.CONTACTED)
    step = client.get(f"/refer-yourself/?activity={activity.pk}&postcode=BH15+1AB", follow=True)
    pages = [step]
    pages += [sign_in(link_worker).get(path) for path in ("/staff/", f"/referrals/{referral.pk}/find-activities/")]
    pages.append(sign_in(provider_editor).get("/referrals/provider/"))
    commissioner = make_staff(COMMISSIONERS_GROUP, service=service, username="csp-commissioner")
    pages.append(sign_in(commissioner).get("/reports/"))
    for response in pages:
        assert response.status_code == 200, response.request["PATH_INFO"]
        assert_strict(response)
        assert_no_inline_code(response)
