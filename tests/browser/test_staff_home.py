"""Signing in takes a member of staff to their work (issue 15, "Staff sign-in dead-ends"), with the keyboard alone.

A link worker who also works the triage queue signs in at the admin's sign-in page (password, then the
code from their authenticator app) and lands on their role home, not the empty Wagtail dashboard; from
the home their caseload is 1 action away (Enter on "My caseload"; Tab presses only move focus). The
Wagtail dashboard, where the admin's own links lead, carries the same work. A link worker with only a
caseload lands straight on it: 0 actions after the code. axe at 360 px and 1280 px on every Signpost page.

Screenshots: ``journeys-staff-home-after-*`` (the "before": ``journeys-staff-home-before-landing-*``,
the empty dashboard a link worker used to land on).
"""

import re

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from factories.referrals import make_link_worker, make_referral, make_service
from referrals.choices import AlertKind, ReferralStatus
from referrals.models import Alert
from referrals.roles import TRIAGE_GROUP
from tests.accounts import current_code
from tests.browser.conftest import is_focused, tab_to

pytestmark = pytest.mark.browser

PASSWORD = "a long test passphrase"


@pytest.fixture
def team(browser, live_server, django_db_serialized_rollback):
    """A service with two link workers (one also on triage), a referral waiting for triage and two on the
    caseload, one of them with an open alert; committed, so the live server sees them."""
    from django.core.cache import cache
    from pages.setup import ensure_site

    cache.clear()  # Wagtail caches site root paths by page id, and ids come round again.
    ensure_site()
    service = make_service("Home Test Social Prescribing", prefixes="BH")
    both = make_link_worker(service=service, username="home-lw", first_name="Lou", last_name="Linkworker")
    both.groups.add(Group.objects.get(name=TRIAGE_GROUP))
    only = make_link_worker(service=service, username="home-only-lw", first_name="Lee", last_name="Worker")
    devices = {}
    for user in (both, only):
        user.set_password(PASSWORD)
        user.save()
        devices[user.username] = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    make_referral(service=service)
    alerted = make_referral(service=service, link_worker=both, status=ReferralStatus.TRIAGED)
    make_referral(service=service, link_worker=both, status=ReferralStatus.TRIAGED)
    Alert.objects.create(referral=alerted, kind=AlertKind.NOT_CONTACTED, raised_at=timezone.now())
    yield {"base": live_server.url, "devices": devices}
    cache.clear()


def sign_in(page, base: str, username: str, device: TOTPDevice, *, check_page=None) -> None:
    """The admin's sign-in page, asked for directly (no page in particular), then the code: keyboard only."""
    page.goto(f"{base}/admin/login/")
    tab_to(page, page.get_by_label(re.compile(r"\bUsername\b")))
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    assert is_focused(page.get_by_label(re.compile(r"\bPassword\b")))
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/account/two-factor/"))
    if check_page is not None:
        check_page(page, "journeys-staff-home-after-two-factor")
    tab_to(page, page.get_by_label("Security code"))
    page.keyboard.type(current_code(device))
    page.keyboard.press("Enter")


def test_a_link_worker_on_triage_signs_in_to_their_home_and_reaches_the_caseload_in_1_action(team, page, check_page):
    base = team["base"]
    sign_in(page, base, "home-lw", team["devices"]["home-lw"], check_page=check_page)

    # The role home, not the Wagtail dashboard: a card per area, with what waits there.
    expect(page).to_have_url(f"{base}/staff/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your work")
    caseload_card = page.locator("section", has=page.get_by_role("heading", name="Your caseload"))
    expect(caseload_card).to_contain_text("1 open alert")
    expect(caseload_card).to_contain_text("2 open referrals on your caseload")
    triage_card = page.locator("section", has=page.get_by_role("heading", name="Triage"))
    expect(triage_card).to_contain_text("1 referral waiting for triage")
    menu = page.get_by_role("navigation", name="Referrals")
    expect(menu.get_by_role("link", name="Your work")).to_have_attribute("aria-current", "page")
    expect(menu.get_by_role("link", name="Referrals inbox")).to_have_count(0)
    check_page(page, "journeys-staff-home-after-home")

    # 1 action: Enter on "My caseload" (the card's main link; Tab only moves focus there).
    presses = tab_to(page, caseload_card.get_by_role("link", name="My caseload"), limit=30)
    assert presses <= 25, f"{presses} Tab presses to the caseload"
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{base}/referrals/")
    expect(page.get_by_role("heading", level=1)).to_have_text("My caseload")
    expect(menu.get_by_role("link", name="My caseload")).to_have_attribute("aria-current", "page")
    check_page(page, "journeys-staff-home-after-caseload")

    # The Wagtail dashboard carries the same work: its panel and, first in its menu, Signpost's pages.
    page.goto(f"{base}/admin/")
    panel = page.locator("#signpost-work-section")
    expect(panel).to_contain_text("1 referral waiting for triage")
    expect(panel.get_by_role("link", name="My caseload")).to_have_attribute("href", "/referrals/")
    # The sidebar is drawn by Wagtail's script from the JSON the server sends: read that, as the server sent it.
    sent = page.request.get(f"{base}/admin/").text()
    assert '"url": "/referrals/triage/"' in sent and '"url": "/referrals/provider/"' not in sent
    check_page(page, "journeys-staff-home-after-wagtail-dashboard", admin=True)


def test_a_link_worker_with_only_a_caseload_lands_on_it_straight_after_the_code(team, page, check_page):
    """0 actions after the code: one area of work, so no home with a single card in between."""
    base = team["base"]
    sign_in(page, base, "home-only-lw", team["devices"]["home-only-lw"])
    expect(page).to_have_url(f"{base}/referrals/")
    expect(page.get_by_role("heading", level=1)).to_have_text("My caseload")
    check_page(page, "journeys-staff-home-after-single-role-caseload")
