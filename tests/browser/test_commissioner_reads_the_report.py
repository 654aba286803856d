"""A commissioner reads the social prescribing report with the keyboard alone: the summary, a
filter, the charts with their tables (a wide table scrolls on a phone and takes focus), and the
spreadsheet download, which opens with the same figures. axe at phone and desktop widths.
"""

import io
import re

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from openpyxl import load_workbook
from playwright.sync_api import expect

from factories.directory import make_activity, make_organisation, make_venue
from factories.referrals import make_link_worker, make_referral, make_service, make_staff, make_triage
from referrals.choices import ConnectionStatus, ReferralStatus
from referrals.models import Referral
from referrals.roles import COMMISSIONERS_GROUP
from tests.accounts import current_code
from tests.browser.conftest import choose_option, is_focused, tab_to

pytestmark = pytest.mark.browser

PASSWORD = "a long test passphrase"  # noqa: S105 (a test user's)


@pytest.fixture
def commissioned_service(browser, live_server, django_db_serialized_rollback):
    """Twelve referrals this month (seven from GPs, five self-referrals, six of them attended a first session),
    committed so the live server sees them."""
    from django.core.cache import cache

    from pages.setup import ensure_site

    cache.clear()  # Wagtail caches site root paths by page id, and ids come round again.
    ensure_site()
    service = make_service("Report Test Social Prescribing", prefixes="BH")
    common = {"service": service, "triage": make_triage(service=service, username="report-triage"),
              "link_worker": make_link_worker(service=service, username="report-lw")}
    activity = make_activity(make_organisation("Report Test Walkers"), "Report test walk",
                             venue=make_venue("Report Test Hall"))
    for number in range(12):
        # Every other person attended the first session of the activity they were connected to.
        status = ConnectionStatus.ATTENDED if number % 2 else ReferralStatus.CONTACTED
        referral = make_referral(status=status, activity=activity, source="self" if number < 5 else "primary_care",
                                 **common)
        # Received today, just after midnight (so every period containing today counts it).
        received = timezone.localtime(timezone.now()).replace(hour=0, minute=5)
        Referral.objects.filter(pk=referral.pk).update(received_at=received, contacted_at=received)
    commissioner = make_staff(COMMISSIONERS_GROUP, service=service, username="report-commissioner")
    commissioner.set_password(PASSWORD)
    commissioner.save()
    TOTPDevice.objects.create(user=commissioner, name="Authenticator app", confirmed=True)
    yield live_server.url
    cache.clear()


def test_a_commissioner_reads_the_report_and_downloads_it_by_keyboard(commissioned_service, page, check_page):
    base = commissioned_service
    page.goto(f"{base}/reports/")
    expect(page).to_have_url(re.compile(r"/admin/login/"))
    tab_to(page, page.get_by_label(re.compile(r"\bUsername\b")))
    page.keyboard.type("report-commissioner")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    # Then the second factor, as everyone gives.
    expect(page).to_have_url(re.compile(r"/account/two-factor/"))
    tab_to(page, page.get_by_label("Security code"))
    page.keyboard.type(current_code(TOTPDevice.objects.get(user__username="report-commissioner")))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/reports/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Social prescribing report")
    summary = page.get_by_role("list", name="Summary")
    expect(summary).to_contain_text("12people referred")
    expect(summary).to_contain_text("5self-referrals")
    expect(summary).to_contain_text("Target met")  # six of twelve attended: 50%
    check_page(page, "commissioner: report")

    # Narrow it to self-referrals, from the filters behind "Change the period or filters".
    tab_to(page, page.locator("summary", has_text="Change the period or filters"))
    page.keyboard.press("Enter")
    source = page.get_by_label("Source", exact=True)
    tab_to(page, source)
    choose_option(page, source, "Self-referral")
    tab_to(page, page.get_by_role("button", name="Show report"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"source=self"))
    expect(page.get_by_role("list", name="Summary")).to_contain_text("5people referred")

    # A table too wide for a phone scrolls inside its own region, which the keyboard can reach.
    page.set_viewport_size({"width": 360, "height": 800})
    months = page.get_by_role("region", name="Table: Referrals by month")
    tab_to(page, months, limit=200)
    assert is_focused(months)
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth"), "the page itself scrolls sideways"
    page.set_viewport_size({"width": 1280, "height": 900})
    check_page(page, "commissioner: self-referrals")

    # The whole report as a spreadsheet: one sheet per section, the same figures as the page.
    link = page.get_by_role("link", name=re.compile(r"The whole report as a spreadsheet"))
    tab_to(page, link, backwards=True, limit=200)
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    book = load_workbook(io.BytesIO(open(download.value.path(), "rb").read()))
    assert "From referral to attending" in book.sheetnames and "First-session attendance" in book.sheetnames
    funnel = list(book["From referral to attending"].values)
    assert ("Referred", 5, 100.0) in funnel
    assert "Source: Self-referral" in book.worksheets[0]["A2"].value  # the filters, on top of every sheet
