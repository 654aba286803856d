"""A resident finds a walking group within 3 miles of their postcode and refers themselves in short steps,
starting from what the search knew, with the keyboard alone (Tab, Space, arrows, Enter and typing; no
clicks). Every page on the way goes through axe at phone and desktop widths, with screenshots
(``journeys-selfref-after-*``).
"""

import re

import pytest
from playwright.sync_api import expect

from referrals.choices import ReferralStatus, Source
from referrals.intake import service_for_postcode
from referrals.models import Referral
from tests.accounts import sign_in_verified
from tests.browser.conftest import is_focused, press, tab_to

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


def continue_(page) -> None:
    press(page, page.get_by_role("button", name="Continue"))


def test_a_resident_finds_a_walking_group_and_refers_themselves_by_keyboard(demo, page, check_page):
    """From an activity page opened from the results to "Referral sent" in 10 actions that send a page: "Ask
    to join through Signpost" (1), seven short steps each ending in "Continue" (2 to 8: about you, how to
    contact you, the phone number, GP practice, what would help, taking part, consent), a change made from
    "Check your answers" (9: its "Change" link and "Continue" back) and "Send my referral" (10). One mistake on
    the way: "Continue" with no way of contact chosen says "Choose how we should contact you" (not "Enter a
    phone number"), and the error summary takes focus and links to the first radio. The postcode searched
    and the need searched are already filled in; the activity is named.
    """
    assert service_for_postcode(POSTCODE) is not None, "the demo should have a service covering Poole"
    referrals_before = Referral.objects.count()

    page.goto(f"{demo}/find/?postcode={POSTCODE.replace(' ', '+')}&radius=3&need=physical-activity")
    walk = page.get_by_role("link", name=WALKING_GROUP).first
    expect(walk).to_be_visible()
    card = page.get_by_role("listitem").filter(has=walk).last
    assert float(MILES_AWAY.search(card.inner_text()).group(1)) <= 3
    title = walk.inner_text().strip()
    tab_to(page, walk, limit=120)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    check_page(page, "journeys-selfref-after-0-activity")

    # 1. The way to join, near the top of the activity page, carries the search on.
    press(page, page.locator("#join a").first)
    expect(page.get_by_role("heading", level=1)).to_have_text("About you")
    expect(page.get_by_text(f"You are asking about: {title}")).to_be_visible()
    expect(page.get_by_label("Postcode", exact=True)).to_have_value(POSTCODE)
    check_page(page, "journeys-selfref-after-1-about-you")

    # 2. About you.
    type_into(page, page.get_by_label("First name"), "Ada")
    type_into(page, page.get_by_label("Last name"), "Lovelace")
    type_into(page, page.get_by_label("Day"), "10")
    type_into(page, page.get_by_label("Month"), "12")
    type_into(page, page.get_by_label("Year"), "1955")
    continue_(page)

    # 3. How to contact you: sent with nothing chosen first.
    expect(page.get_by_role("heading", level=1)).to_have_text("How should we contact you?")
    continue_(page)
    expect(error_summary(page)).to_be_visible()
    expect(error_summary(page)).to_contain_text("Choose how we should contact you")
    expect(error_summary(page)).not_to_contain_text("phone number")
    expect(page).to_have_title(re.compile(r"^Error: "))
    page.wait_for_function(
        "() => document.activeElement && document.activeElement.textContent.includes('There is a problem')"
    )
    check_page(page, "journeys-selfref-after-2-contact-error")
    page.keyboard.press("Tab")
    summary_link = error_summary(page).get_by_role("link").first
    assert is_focused(summary_link), "Tab from the error summary should reach its link to the radios"
    page.keyboard.press("Enter")
    expect(page.get_by_label("Email", exact=True)).to_be_focused()
    page.keyboard.press("ArrowDown")  # to "Text message", which the arrow checks
    expect(page.get_by_label("Text message", exact=True)).to_be_checked()
    continue_(page)

    # 4. The one detail that way needs.
    expect(page.get_by_role("heading", level=1)).to_have_text("What is your mobile phone number?")
    type_into(page, page.get_by_label("What is your mobile phone number?"), "07700 900456")
    check_page(page, "journeys-selfref-after-3-phone")
    continue_(page)

    # 5. GP practice: optional, the chooser works as before; skipped here.
    expect(page.get_by_role("heading", level=1)).to_have_text("Your GP practice")
    check_page(page, "journeys-selfref-after-4-gp")
    continue_(page)

    # 6. What would help: the need searched is ticked already.
    expect(page.get_by_role("heading", level=1)).to_have_text("What would you like help with?")
    expect(page.get_by_label("Physical activity", exact=True)).to_be_checked()
    type_into(page, page.get_by_label(re.compile(r"what matters to you")), "I would like to walk with other people.")
    check_page(page, "journeys-selfref-after-5-help")
    continue_(page)

    # 7. Taking part: optional.
    expect(page.get_by_role("heading", level=1)).to_have_text("Taking part")
    continue_(page)

    # 8. Consent.
    expect(page.get_by_role("heading", level=1)).to_have_text("Your consent")
    tick(page, page.get_by_label("I agree to being referred to the social prescribing service"))
    check_page(page, "journeys-selfref-after-6-consent")
    continue_(page)

    # 9. Check your answers; change the first name and come back.
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers before sending")
    expect(page.get_by_text("Ada Lovelace")).to_be_visible()
    expect(page.get_by_text("07700 900456")).to_be_visible()
    check_page(page, "journeys-selfref-after-7-check")
    press(page, page.get_by_role("link", name="Change name"))
    expect(page.get_by_label("First name")).to_have_value("Ada")
    tab_to(page, page.get_by_label("First name"))
    page.keyboard.press("Control+A")
    page.keyboard.type("Augusta")
    continue_(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers before sending")
    expect(page.get_by_text("Augusta Lovelace")).to_be_visible()
    assert Referral.objects.count() == referrals_before, "nothing is saved before the last page"

    # 10. Send.
    press(page, page.get_by_role("button", name="Send my referral"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Referral sent")
    reference = page.locator(".nhsuk-panel__body strong").inner_text().strip()
    assert re.fullmatch(r"SP-[A-Z0-9]{7}", reference)
    expect(page.get_by_text("A link worker will contact you by text message")).to_be_visible()
    assert "/refer-yourself/sent/" in page.url and "Augusta" not in page.url
    check_page(page, "journeys-selfref-after-8-sent")

    assert Referral.objects.count() == referrals_before + 1
    referral = Referral.objects.get(reference=reference)
    assert referral.source == Source.SELF
    assert referral.status == ReferralStatus.RECEIVED
    assert referral.service == service_for_postcode(POSTCODE)
    assert not referral.connections.exists()
    assert referral.what_matters.startswith(f"Asked about: {title}")
    assert [need.slug for need in referral.needs.all()] == ["physical-activity"]
    assert (referral.resident.first_name, referral.resident.phone) == ("Augusta", "07700 900456")


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
