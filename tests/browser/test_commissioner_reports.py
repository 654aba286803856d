"""A commissioner's report leads with the figures the service is held to (issue 15).

Signed in, the commissioner sees first-session attendance against the 50% target and first
contact within 2 working days before anything else: 25 referrals, 3 of them attended, reads
"under 20%", target not met (it used to read "<5", "Too few referrals to say"). The period opens
at the month of the service's first referral, not ten months of zeros. The gaps are on a Leaflet
map on Signpost's tiles (here offline, so the points on a plain background) with "Show as a
table" leading the keyboard to the table that is its equivalent: 2 key presses from the link.
axe at 360 and 1280 px.
"""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from factories.directory import (
    make_activity,
    make_need,
    make_organisation,
    make_postcode,
    make_venue,
)
from factories.referrals import (
    make_link_worker,
    make_referral,
    make_resident,
    make_service,
    make_staff,
    make_triage,
)
from referrals.choices import ConnectionStatus, ReferralStatus
from referrals.models import Referral
from referrals.roles import COMMISSIONERS_GROUP
from tests.accounts import current_code
from tests.browser.conftest import is_focused, tab_to

pytestmark = pytest.mark.browser

PASSWORD = "a long test passphrase"
USERNAME = "headline-commissioner"


def build_service():
    """25 referrals from last month on (3 of them attended a first session), residents in two
    districts, and a commissioner with a second factor; committed so the live server sees them."""
    from django.core.cache import cache
    from pages.setup import ensure_site

    cache.clear()
    ensure_site()
    make_postcode("BH15 1AB", 50.715400, -1.987100)
    make_postcode("BH14 0AA", 50.723000, -1.955000)
    service = make_service("Headline Test Social Prescribing", prefixes="BH")
    common = {"service": service, "triage": make_triage(service=service, username="headline-triage"),
              "link_worker": make_link_worker(service=service, username="headline-lw")}
    activity = make_activity(make_organisation("Headline Walkers"), "Headline walk", venue=make_venue("Headline Hall"))
    loneliness = make_need("Loneliness and isolation")
    today = timezone.localdate()
    first = (today.replace(day=1) - timedelta(days=1)).replace(day=10)
    for number in range(25):
        status = ConnectionStatus.ATTENDED if number < 3 else ReferralStatus.CONTACTED
        resident = make_resident(service=service, postcode="BH15 1AB" if number % 2 else "BH14 0AA")
        referral = make_referral(status=status, activity=activity, resident=resident, needs=[loneliness], **common)
        received = timezone.localtime(timezone.now()).replace(hour=0, minute=5)
        if number == 0:
            received = received.replace(year=first.year, month=first.month, day=first.day)
        Referral.objects.filter(pk=referral.pk).update(received_at=received, contacted_at=received)
    commissioner = make_staff(COMMISSIONERS_GROUP, service=service, username=USERNAME)
    commissioner.set_password(PASSWORD)
    commissioner.save()
    TOTPDevice.objects.create(user=commissioner, name="Authenticator app", confirmed=True)
    return first


def sign_in(page, base):
    page.goto(f"{base}/reports/")
    expect(page).to_have_url(re.compile(r"/admin/login/"))
    tab_to(page, page.get_by_label(re.compile(r"\bUsername\b")))
    page.keyboard.type(USERNAME)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/account/two-factor/"))
    tab_to(page, page.get_by_label("Security code"))
    page.keyboard.type(current_code(TOTPDevice.objects.get(user__username=USERNAME)))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/reports/$"))


@pytest.fixture
def commissioned(browser, live_server, django_db_serialized_rollback):
    from django.core.cache import cache

    first = build_service()
    yield live_server.url, first
    cache.clear()


def test_the_commissioner_sees_the_headline_figures_first_and_keys_to_the_maps_table(commissioned, page, check_page):
    base, first = commissioned
    sign_in(page, base)

    # The two figures the service is held to come first, right under the heading.
    headline = page.get_by_role("region", name="The figures the service is held to")
    expect(headline).to_contain_text("under 20%")
    expect(headline).to_contain_text("Target not met")
    expect(headline).to_contain_text("contacted within 2 working days")
    assert page.evaluate(
        "() => { const headline = document.querySelector('#headline'), summary = document.querySelector('#summary');"
        " return document.querySelector('main h2').id === 'headline-title'"
        " && (headline.compareDocumentPosition(summary) & Node.DOCUMENT_POSITION_FOLLOWING) !== 0; }"
    )
    assert "<5" not in headline.inner_text()
    # The period starts in the month of the first referral.
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"1 {first:%B %Y} to")

    # The gaps: a map drawn with Leaflet (points even without tiles), and the table as its equivalent.
    map_region = page.locator("#section-gaps").locator("xpath=..").locator(".signpost-map.leaflet-container")
    expect(map_region).to_be_visible()
    expect(page.locator("#section-gaps").locator("xpath=..").locator("path.leaflet-interactive")).not_to_have_count(0)
    link = page.get_by_role("link", name="Show as a table")
    presses = tab_to(page, link, limit=300)
    page.keyboard.press("Enter")
    gaps_table = page.get_by_role("region", name="Table: Gaps in provision")
    assert is_focused(gaps_table) or page.url.endswith("#table-gaps-region")
    assert presses > 0
    check_page(page, "journeys-commissioner-after-report")
    shots = Path(__file__).resolve().parents[2] / "var" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    for width in (360, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        page.evaluate("() => window.scrollTo(0, 0)")
        page.screenshot(path=str(shots / f"journeys-commissioner-after-top-{width}.png"))
        page.locator("#section-gaps").scroll_into_view_if_needed()
        page.screenshot(path=str(shots / f"journeys-commissioner-after-gaps-{width}.png"))
