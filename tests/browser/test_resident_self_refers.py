"""A resident finds a walking group within 3 miles of their postcode and refers themselves, with the
keyboard alone (Tab, Space, Enter and typing; no clicks).

They forget to tick the consent box: the error summary takes focus and links to the box;
ticking it and sending again makes the referral, and the confirmation gives the reference.
Every page on the way goes through axe at phone and desktop widths.
"""

import re

import pytest
from playwright.sync_api import expect

from directory.selectors import public_activities
from referrals.choices import ReferralStatus, Source
from referrals.intake import service_for_postcode
from referrals.models import Referral
from tests.accounts import sign_in_verified
from tests.browser.conftest import is_focused, tab_to

pytestmark = pytest.mark.browser

POSTCODE = "BH15 1AB"
WALKING_GROUP = re.compile(r"Walking for Health")
MILES_AWAY = re.compile(r"([\d.]+) miles away")


def error_summary(page):
    return page.get_by_role("alert").filter(has_text="There is a problem")


def type_into(page, locator, text: str) -> None:
    tab_to(page, locator)
    page.keyboard.type(text)


def tick(page, locator) -> None:
    """Tab to a checkbox and press Space, as a keyboard user does."""
    tab_to(page, locator)
    page.keyboard.press("Space")
    expect(locator).to_be_checked()


def choose_radio(page, first, choice, *, limit: int = 10) -> None:
    """Tab into a radio group (it lands on the first radio), then arrow down to ``choice``."""
    tab_to(page, first)
    for _ in range(limit):
        if is_focused(choice):
            break
        page.keyboard.press("ArrowDown")
    expect(choice).to_be_checked()


def test_a_resident_finds_a_walking_group_and_refers_themselves_by_keyboard(demo, page, check_page):
    assert service_for_postcode(POSTCODE) is not None, "the demo should have a service covering Poole"

    page.goto(f"{demo}/find/?postcode={POSTCODE.replace(' ', '+')}&radius=3&need=physical-activity")
    walk = page.get_by_role("link", name=WALKING_GROUP).first
    expect(walk).to_be_visible()
    card = page.get_by_role("listitem").filter(has=walk).last
    assert float(MILES_AWAY.search(card.inner_text()).group(1)) <= 3
    title = walk.inner_text().strip()
    tab_to(page, walk, limit=120)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(title)

    # The activity page does not link to the form yet (templates/directory/activity_page.html
    # belongs to the directory); the resident follows the link it will carry.
    activity = public_activities().get(title=title)
    page.goto(f"{demo}/refer-yourself/?activity={activity.pk}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Refer yourself for social prescribing")
    expect(page.get_by_text(f"You are asking about: {title}")).to_be_visible()
    check_page(page, "self-referral")

    type_into(page, page.get_by_label("First name"), "Ada")
    type_into(page, page.get_by_label("Last name"), "Lovelace")
    type_into(page, page.get_by_label("Day"), "10")
    type_into(page, page.get_by_label("Month"), "12")
    type_into(page, page.get_by_label("Year"), "1955")
    type_into(page, page.get_by_label("Postcode", exact=True), POSTCODE)
    choose_radio(page, page.get_by_label("Email", exact=True), page.get_by_label("Text message", exact=True))
    type_into(page, page.get_by_label("Phone number"), "07700 900456")
    tick(page, page.get_by_label("Physical activity", exact=True))
    type_into(page, page.get_by_label(re.compile(r"what matters to you")), "I would like to walk with other people.")
    # The consent box is left unticked: a mistake to recover from.
    send = page.get_by_role("button", name="Send my referral")
    tab_to(page, send, limit=60)
    page.keyboard.press("Enter")

    # The error summary takes focus; the next Tab reaches its link to the box at fault.
    expect(error_summary(page)).to_be_visible()
    expect(page).to_have_title(re.compile(r"^Error: "))
    page.wait_for_function(
        "() => document.activeElement && document.activeElement.textContent.includes('There is a problem')"
    )
    check_page(page, "self-referral-error")
    page.keyboard.press("Tab")
    summary_link = error_summary(page).get_by_role("link").first
    assert is_focused(summary_link), "Tab from the error summary should reach its link to the consent box"
    expect(summary_link).to_have_text(re.compile(r"agree to being referred"))
    page.keyboard.press("Enter")
    consent = page.get_by_label("I agree to being referred to the social prescribing service")
    expect(consent).to_be_focused()
    # What they typed is still there.
    expect(page.get_by_label("Last name")).to_have_value("Lovelace")
    expect(page.get_by_label("Text message", exact=True)).to_be_checked()
    page.keyboard.press("Space")
    expect(consent).to_be_checked()
    tab_to(page, send, limit=20)
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Referral sent")
    reference = page.locator(".nhsuk-panel__body strong").inner_text().strip()
    assert re.fullmatch(r"SP-[A-Z0-9]{7}", reference)
    expect(page.get_by_text("A link worker will contact you by text message")).to_be_visible()
    assert "/refer-yourself/sent/" in page.url and "Ada" not in page.url
    check_page(page, "self-referral-sent")

    referral = Referral.objects.get(reference=reference)
    assert referral.source == Source.SELF
    assert referral.status == ReferralStatus.RECEIVED
    assert referral.service == service_for_postcode(POSTCODE)
    assert not referral.connections.exists()
    assert referral.what_matters.startswith(f"Asked about: {title}")


def test_the_staff_form_for_a_referral_by_phone_is_accessible(demo, context, page, check_page):
    """Not the resident's journey, but its other door: triage keys in a GP's referral."""
    from django.conf import settings
    from django.test import Client

    from factories import referrals as factories

    triage = factories.make_triage(service=service_for_postcode(POSTCODE), username="browser-triage")
    session = sign_in_verified(Client(), triage).session
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": demo}])

    page.goto(f"{demo}/referrals/triage/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("New referral")
    check_page(page, "new-referral")

    page.get_by_label("Primary care (a GP practice)").check()
    page.get_by_role("button", name="Save referral").click()
    expect(error_summary(page)).to_be_visible()
    expect(page).to_have_title(re.compile(r"^Error: "))
    check_page(page, "new-referral-error")
