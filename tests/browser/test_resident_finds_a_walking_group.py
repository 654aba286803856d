"""A resident finds a walking group within 3 miles of their postcode, once with a mouse and once
with the keyboard alone (Tab, Enter, arrows and typing; no clicks).

They mistype their postcode first: the error summary takes focus and links to the field, and
correcting it brings up the results. Selectors go by label and role, the way a person finds
things, so they hold while the search page's markup changes.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import choose_option, is_focused, tab_to

pytestmark = pytest.mark.browser

POSTCODE = "BH15 1AB"
UNKNOWN_POSTCODE = "BH15 9ZZ"  # well formed, but no such postcode
NEED = "Physical activity"
WALKING_GROUP = re.compile(r"Walking for Health")
MILES_AWAY = re.compile(r"([\d.]+) miles away")


def postcode_field(page):
    return page.get_by_label(re.compile(r"postcode", re.I))


def need_field(page):
    return page.get_by_label("What would help?")


def radius_field(page):
    return page.get_by_label(re.compile(r"how far", re.I))


def error_summary(page):
    return page.get_by_role("alert").filter(has_text="There is a problem")


def walking_groups(page):
    return page.get_by_role("link", name=WALKING_GROUP)


def nearest_walking_group(page) -> tuple[str, float]:
    """The first walking group in the results, and its distance as the card shows it."""
    link = walking_groups(page).first
    expect(link).to_be_visible()
    card = page.get_by_role("listitem").filter(has=link).last
    miles = float(MILES_AWAY.search(card.inner_text()).group(1))
    return link.inner_text().strip(), miles


def assert_activity_page_answers_when_where_and_cost(page, title: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    for heading in ("When", "Where", "Details"):
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    # When: dated sessions; where: a venue with an address; cost: a value in the details.
    expect(page.locator("main time").first).to_be_visible()
    expect(page.locator("main address").first).to_contain_text(re.compile(r"[A-Z]{1,2}\d"))
    cost = page.get_by_role("term").filter(has_text="Cost").locator("xpath=following-sibling::dd[1]")
    expect(cost).to_have_text(re.compile(r"Free|£\d"))


def test_with_a_mouse(demo, page, check_page):
    page.goto(demo + "/")
    check_page(page, "home")

    postcode_field(page).fill(UNKNOWN_POSTCODE)
    need_field(page).select_option(label=NEED)
    page.get_by_role("button", name="Find activities").click()

    expect(error_summary(page)).to_be_visible()
    check_page(page, "find-postcode-error")
    error_summary(page).get_by_role("link").first.click()
    expect(postcode_field(page)).to_be_focused()

    postcode_field(page).fill(POSTCODE)
    radius_field(page).select_option(label="3 miles")
    page.get_by_role("button", name="Search", exact=True).click()

    expect(error_summary(page)).to_have_count(0)
    title, miles = nearest_walking_group(page)
    assert miles <= 3, f"{title} is {miles} miles away"
    check_page(page, "find-results")

    walking_groups(page).first.click()
    assert_activity_page_answers_when_where_and_cost(page, title)
    check_page(page, "activity")


def test_with_the_keyboard_alone(demo, page):
    page.goto(demo + "/")

    tab_to(page, postcode_field(page))
    page.keyboard.type(UNKNOWN_POSTCODE)
    tab_to(page, need_field(page))
    choose_option(page, need_field(page), NEED)
    tab_to(page, page.get_by_role("button", name="Find activities"))
    page.keyboard.press("Enter")

    # The error summary takes focus; the next Tab reaches its link to the field at fault.
    expect(error_summary(page)).to_be_visible()
    page.wait_for_function("() => document.activeElement && document.activeElement.textContent.includes('There is a problem')")
    page.keyboard.press("Tab")
    summary_link = error_summary(page).get_by_role("link").first
    assert is_focused(summary_link), "Tab from the error summary should reach its link to the postcode"
    page.keyboard.press("Enter")
    expect(postcode_field(page)).to_be_focused()

    page.keyboard.press("Control+A")
    page.keyboard.type(POSTCODE)
    tab_to(page, radius_field(page))
    choose_option(page, radius_field(page), "3 miles")
    # Like a keyboard user, go back to the postcode and submit from there with Enter (a select
    # does not submit its form on Enter).
    tab_to(page, postcode_field(page), backwards=True)
    page.keyboard.press("Enter")

    expect(error_summary(page)).to_have_count(0)
    title, miles = nearest_walking_group(page)
    assert miles <= 3, f"{title} is {miles} miles away"
    # The results come straight after the search in the tab order, before the filters (which
    # are open here: the need chosen on the home page is one), so they are a few presses away
    # (one more with JavaScript: the "Use my location" button beside the postcode, and one for the
    # "Filters" link above the results, which takes a phone user to the filters in one tap).
    results = page.get_by_role("list", name=re.compile(r"activit(y|ies) found"))
    presses = tab_to(page, results.get_by_role("link").first, limit=60)
    assert presses <= 12, f"Tab pressed {presses} times from the postcode to the first result"
    tab_to(page, walking_groups(page).first)
    page.keyboard.press("Enter")
    assert_activity_page_answers_when_where_and_cost(page, title)


def test_results_come_before_the_filters_on_a_phone_and_beside_them_on_a_wide_screen(demo, page, check_page):
    # A need chosen (as from the home page) opens the filters.
    page.goto(demo + "/find/?postcode=BH15+1AB&radius=3&need=physical-activity")
    heading = page.get_by_role("heading", name=re.compile(r"activit(y|ies) found"))
    filters = page.locator("#filters").get_by_text("Filters", exact=True)  # the panel, not the link to it
    expect(page.get_by_role("group", name="What would help?")).to_be_visible()
    check_page(page, "find-results-filtered")

    page.set_viewport_size({"width": 360, "height": 800})
    assert heading.bounding_box()["y"] < filters.bounding_box()["y"], "on a phone the results should come first"
    page.set_viewport_size({"width": 1280, "height": 900})
    assert filters.bounding_box()["x"] < heading.bounding_box()["x"], "on a wide screen the filters sit beside the results"

    # A keyboard user who wants the filters skips the results: the link shows when it has focus.
    search = page.get_by_role("button", name="Search", exact=True)
    search.focus()
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to filters")
    assert is_focused(skip)
    assert skip.bounding_box()["width"] > 1, "the skip link should be visible when focused"
    page.keyboard.press("Enter")
    assert is_focused(page.locator("summary#filters"))

    # The filters lie outside the <form> element but belong to it: applying one keeps the search.
    page.get_by_label(re.compile(r"^Free only")).check()
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"postcode=BH15\+1AB.*free=on"))
    expect(page.get_by_label(re.compile(r"^Free only"))).to_be_checked()
