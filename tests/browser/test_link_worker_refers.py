"""A link worker signs in (password, then a code from their authenticator app), finds an activity
with the person, refers them to it, and sees the referral on their caseload; and a triage officer
triages a new referral to them. With the keyboard alone (Tab, Space, arrows, Enter and typing;
no clicks), and axe on every page on the way.
"""

import re

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from referrals.choices import ReferralStatus
from factories.referrals import make_link_worker, make_referral, make_resident, make_service, make_triage
from referrals.forms.caseload import live_activities
from referrals.models import Referral
from tests.browser.conftest import choose_option, is_focused, tab_to

pytestmark = pytest.mark.browser

PASSWORD = "a long test passphrase"  # noqa: S105 (a test user's)


@pytest.fixture
def link_worker_case(browser, live_server, django_db_serialized_rollback):
    """A walking group in the directory; a link worker with an authenticator app set up, and a
    person on their caseload ready to choose an activity. Built here rather than by the demo
    command, so the journey depends only on the pages it walks through."""
    from django.core.cache import cache

    from factories.directory import make_activity, make_organisation, make_venue
    from pages.setup import ensure_site

    cache.clear()  # Wagtail caches site root paths by page id, and ids come round again.
    ensure_site()
    organisation = make_organisation("Poole Walking Friends", email="hello@poole-walking.example.org")
    make_activity(organisation, "Tuesday health walk", venue=make_venue("Poole Park Café"))
    service = make_service("Browser Test Social Prescribing", prefixes="BH")
    worker = make_link_worker(service=service, username="browser-lw", first_name="Lou", last_name="Linkworker")
    worker.set_password(PASSWORD)
    worker.save()
    device = TOTPDevice.objects.create(user=worker, name="Authenticator app", confirmed=True)
    triage = make_triage(service=service, username="browser-triage", first_name="Tam", last_name="Triage")
    triage.set_password(PASSWORD)
    triage.save()
    TOTPDevice.objects.create(user=triage, name="Authenticator app", confirmed=True)
    resident = make_resident(service=service, first_name="Ada", last_name="Browne")
    referral = make_referral(service=service, triage=triage, link_worker=worker, resident=resident,
                             status=ReferralStatus.CONTACTED)
    yield {"base": live_server.url, "device": device, "referral": referral, "service": service, "triage": triage,
           "link_worker": worker}
    cache.clear()


def current_code(device: TOTPDevice) -> str:
    device.refresh_from_db()
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift):06d}"


def type_into(page, field, text: str) -> None:
    tab_to(page, field)
    page.keyboard.type(text)


def sign_in(page, url: str, username: str, device: TOTPDevice, *, check_page=None) -> None:
    """Ask for ``url``: the sign-in page, then the second factor, then ``url`` itself."""
    page.goto(url)
    expect(page).to_have_url(re.compile(r"/admin/login/"))
    type_into(page, page.get_by_label(re.compile(r"\bUsername\b")), username)
    page.keyboard.press("Tab")
    assert is_focused(page.get_by_label(re.compile(r"\bPassword\b")))
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/account/two-factor/"))
    if check_page is not None:
        check_page(page, "staff: two-factor code")
    type_into(page, page.get_by_label("Security code"), current_code(device))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(url) + "$"))


def test_a_link_worker_refers_with_the_keyboard(link_worker_case, page, check_page):
    base, device, referral = link_worker_case["base"], link_worker_case["device"], link_worker_case["referral"]

    sign_in(page, f"{base}/referrals/", "browser-lw", device, check_page=check_page)

    expect(page).to_have_url(re.compile(r"/referrals/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My caseload")
    expect(page.get_by_role("link", name="Ada Browne")).to_be_visible()
    check_page(page, "link worker: caseload")

    # Find an activity with the person.
    tab_to(page, page.get_by_role("link", name="Find activities with a person"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/find/link-workers/"))
    type_into(page, page.get_by_label("Search for"), "walk")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=re.compile(r"activit(y|ies) found"))).to_be_visible()
    check_page(page, "link worker: search results")

    referable = set(live_activities().values_list("pk", flat=True))
    refer_links = page.get_by_role("link", name=re.compile(r"^Refer to this activity"))
    expect(refer_links.first).to_be_visible()
    chosen = None
    for index in range(refer_links.count()):
        link = refer_links.nth(index)
        activity_id = int(re.search(r"activity=(\d+)", link.get_attribute("href")).group(1))
        if activity_id in referable:
            chosen = link, activity_id
            break
    assert chosen is not None, "no result could take a referral"
    link, activity_id = chosen
    tab_to(page, link, limit=300)
    page.keyboard.press("Enter")

    # Whose referral is it for? Choose the person, keep "send now" ticked, and refer.
    expect(page).to_have_url(re.compile(r"/referrals/refer/\?activity="))
    check_page(page, "link worker: refer to this activity")
    person = page.get_by_role("radio", name="Ada Browne")
    tab_to(page, person)
    page.keyboard.press("Space")
    expect(person).to_be_checked()
    expect(page.get_by_role("checkbox", name=re.compile(r"^Send the referral"))).to_be_checked()
    tab_to(page, page.get_by_role("button", name="Refer to this activity"))
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(rf"/referrals/{referral.pk}/$"))
    expect(page.get_by_role("alert").filter(has_text="sent to the provider")).to_be_visible()
    check_page(page, "link worker: referral page")
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.SENT_TO_PROVIDER and referral.activity_id == activity_id

    # Back to the caseload: the person now waits on the provider.
    tab_to(page, page.get_by_role("link", name="Back to my caseload"))
    page.keyboard.press("Enter")
    waiting = page.get_by_role("table").filter(has=page.get_by_role("link", name="Ada Browne"))
    expect(page.get_by_role("heading", name=re.compile(r"^Waiting on the provider"))).to_be_visible()
    expect(waiting).to_contain_text("Sent to provider")
    assert Referral.objects.get(pk=referral.pk).events.filter(action="send_to_provider").count() == 1


def test_triage_allocates_a_new_referral_with_the_keyboard(link_worker_case, page, check_page):
    base, service = link_worker_case["base"], link_worker_case["service"]
    new = make_referral(service=service, triage=link_worker_case["triage"],
                        resident=make_resident(service=service, first_name="Bo", last_name="Newcombe"))
    device = TOTPDevice.objects.get(user=link_worker_case["triage"])

    sign_in(page, f"{base}/referrals/triage/", "browser-triage", device)
    expect(page.get_by_role("heading", level=1)).to_have_text("Triage queue")
    check_page(page, "triage: queue")

    tab_to(page, page.get_by_role("link", name=re.compile(re.escape(new.reference))))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bo Newcombe")
    check_page(page, "triage: a referral")

    # Submitting with nothing chosen: the error summary, then put it right.
    tab_to(page, page.get_by_role("button", name="Triage and allocate"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert").filter(has_text="There is a problem")).to_be_visible()
    expect(page).to_have_title(re.compile(r"^Error: "))
    check_page(page, "triage: errors")

    tier = page.get_by_label("Tier", exact=True)
    tab_to(page, tier)
    choose_option(page, tier, "1:1 support")
    worker = page.get_by_role("radio", name="Lou Linkworker")
    tab_to(page, worker)
    page.keyboard.press("Space")
    expect(worker).to_be_checked()
    tab_to(page, page.get_by_role("button", name="Triage and allocate"))
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/referrals/triage/$"))
    expect(page.get_by_role("alert").filter(has_text=f"{new.reference} is triaged and allocated to Lou Linkworker")).to_be_visible()
    new.refresh_from_db()
    assert new.status == ReferralStatus.TRIAGED and new.link_worker == link_worker_case["link_worker"]
    assert new.tier == "one_to_one"
