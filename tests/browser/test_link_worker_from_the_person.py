"""The link worker works from the person (issue 15): from Ada's referral page to her referral sent to the
provider in 3 actions (at most 4 asked), with the keyboard alone, axe and screenshots at 360 and 1280 px:

1. "Find activities for Ada" (her postcode, need, access need and language already applied, Ada in view);
2. "Connect Ada to this activity" on the result (back on her referral page, connected, no re-picking her);
3. "Send the referral" (the step now shown open, first on the connection).
"""

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from factories.directory import make_activity, make_need, make_organisation, make_postcode, make_venue
from factories.referrals import make_link_worker, make_referral, make_resident, make_service, make_triage
from referrals.choices import ConnectionStatus, ReferralStatus
from tests.browser.conftest import tab_to
from tests.browser.test_link_worker_refers import LONG_PAGE, PASSWORD, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def ada_in_support(browser, live_server, django_db_serialized_rollback):
    """Ada, in support with her link worker after first contact: lonely, uses a wheelchair, speaks English.
    Near her a step-free walk for loneliness, a walk up steps, and a lunch club for another need."""
    from django.core.cache import cache
    from pages.setup import ensure_site

    cache.clear()  # Wagtail caches site root paths by page id, and ids come round again.
    ensure_site()
    make_postcode("BH15 1AB", 50.7155, -1.9872)
    loneliness = make_need("Loneliness and isolation")
    food = make_need("Food and cooking")
    walkers = make_organisation("Poole Walking Friends", email="hello@poole-walking.example.org")
    make_activity(walkers, "Tuesday health walk", needs=[loneliness],
                  venue=make_venue("Poole Park Café", town="Poole", step_free=True))
    make_activity(walkers, "Hilltop ramble", needs=[loneliness], venue=make_venue("Upstairs Hall", town="Poole"))
    make_activity(make_organisation("Harbour Kitchen"), "Friday lunch club", needs=[food],
                  venue=make_venue("Harbour Hall", town="Poole", step_free=True))
    service = make_service("Browser Test Social Prescribing", prefixes="BH")
    worker = make_link_worker(service=service, username="browser-lw", first_name="Lou", last_name="Linkworker")
    worker.set_password(PASSWORD)
    worker.save()
    device = TOTPDevice.objects.create(user=worker, name="Authenticator app", confirmed=True)
    resident = make_resident(service=service, first_name="Ada", last_name="Browne", postcode="BH15 1AB",
                             accessibility_needs="Uses a wheelchair.")
    referral = make_referral(service=service, triage=make_triage(service=service), link_worker=worker,
                             resident=resident, status=ReferralStatus.CONTACTED, needs=[loneliness])
    yield {"base": live_server.url, "device": device, "referral": referral}
    cache.clear()


def test_from_the_referral_page_to_sent_to_provider_in_3_actions(ada_in_support, page, check_page):
    base, referral = ada_in_support["base"], ada_in_support["referral"]
    sign_in(page, f"{base}/referrals/{referral.pk}/", "browser-lw", ada_in_support["device"])
    expect(page.get_by_role("heading", level=1)).to_have_text("Ada Browne")
    expect(page.locator("#person-in-view")).to_contain_text("Loneliness and isolation")
    check_page(page, "journeys-linkworker-after-referral-page")

    # 1. Find activities for Ada: the search starts from her; only the step-free walk for loneliness is near her.
    tab_to(page, page.get_by_role("button", name="Find activities for Ada"), limit=LONG_PAGE)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Find activities for Ada")
    expect(page.locator("#results-heading")).to_have_text(
        "1 activity for Loneliness and isolation within 3 miles of BH15 1AB, run in English")
    expect(page.locator("#person-in-view")).to_contain_text(referral.reference)
    check_page(page, "journeys-linkworker-after-search-for-ada")

    # 2. Connect Ada to this activity: back on her referral page, connected; nobody to pick.
    tab_to(page, page.get_by_role("button", name=re.compile(r"^Connect Ada to this activity")), limit=LONG_PAGE)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/referrals/{referral.pk}/#connection-1$"))
    expect(page.get_by_role("alert").filter(has_text="Ada Browne is connected to Tuesday health walk")).to_be_visible()
    send = page.locator("#connection-1-send_to_provider")
    expect(send).to_have_attribute("open", "")
    check_page(page, "journeys-linkworker-after-activity-chosen")

    # 3. Send the referral: the step shown open.
    tab_to(page, send.get_by_role("button", name="Send the referral"), limit=LONG_PAGE)
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert").filter(has_text="Referral sent.")).to_be_visible()
    connection = referral.connections.get()
    assert connection.status == ConnectionStatus.SENT_TO_PROVIDER
    assert connection.activity.title == "Tuesday health walk"
    check_page(page, "journeys-linkworker-after-sent-to-provider")
