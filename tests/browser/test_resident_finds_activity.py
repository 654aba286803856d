"""A resident on a phone (360 px), keyboard only (Tab, Space, Enter and typing; no clicks), finds
an activity and comes back to the same results (issue 15):

1. types their postcode and presses Enter: the results say what was searched
   ("3 activities found within 3 miles of BH15 1AB");
2. one press on "Filters" (above the results) opens the filters; they tick a need and apply it:
   the sentence names the need;
3. they open an activity: it says how far it is from their postcode and what it costs, and the
   way to join comes before the long description;
4. one press on "Back to your results" returns to the very same results.

Every page goes through axe at 360 and 1280 px, with screenshots.
"""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import tab_to

pytestmark = pytest.mark.browser

POSTCODE = "BH15 1AB"
NEED = "Loneliness and isolation"
SUMMARY = re.compile(r"^(\d+) activit(y|ies) found within 3 miles of BH15 1AB$")
WITH_NEED = re.compile(rf"^(\d+) activit(y|ies) found for {NEED} within 3 miles of BH15 1AB$")
PRICE = re.compile(r"^(Free|£\d+(\.\d\d)?\b.*)$")


def searched_for(url: str) -> dict:
    return {name: sorted(values) for name, values in parse_qs(urlsplit(url).query).items()}


def summary(page):
    return page.locator("#results-heading")


def test_a_resident_on_a_phone_searches_filters_opens_an_activity_and_goes_back_by_keyboard(demo, page, check_page):
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(demo + "/find/")

    # 1. Postcode, Enter.
    tab_to(page, page.get_by_label(re.compile(r"postcode", re.I)))
    page.keyboard.type(POSTCODE)
    page.keyboard.press("Enter")
    expect(summary(page)).to_have_text(SUMMARY)
    results = page.get_by_role("list", name=SUMMARY)
    prices = results.locator(".signpost-price")
    assert prices.count() >= 1 and all(PRICE.match(text) for text in prices.all_inner_texts())
    check_page(page, "journeys-j3-after-results")

    # 2. "Filters" sits between the summary and the results: one Enter opens them.
    filters_link = page.get_by_role("link", name=re.compile(r"^Filters"))
    assert filters_link.bounding_box()["y"] < results.bounding_box()["y"]
    tab_to(page, filters_link)
    page.keyboard.press("Enter")
    need = page.get_by_role("checkbox", name=re.compile(rf"^{NEED}"))
    expect(need).to_be_visible()
    check_page(page, "journeys-j3-after-filters-open")
    tab_to(page, need)
    page.keyboard.press("Space")
    tab_to(page, page.get_by_role("button", name="Apply filters"))
    page.keyboard.press("Enter")
    expect(summary(page)).to_have_text(WITH_NEED)
    sentence = summary(page).inner_text()
    titles = page.get_by_role("list", name=WITH_NEED).get_by_role("link").all_inner_texts()
    searched = searched_for(page.url)

    # 3. The first result.
    results = page.get_by_role("list", name=WITH_NEED)
    first = results.get_by_role("link").first
    title = first.inner_text().strip()
    tab_to(page, first)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator(".signpost-distance")).to_have_text(re.compile(r"^[\d.]+ miles from BH15 1AB, at .+"))
    expect(page.locator(".signpost-key-facts .signpost-price")).to_have_text(re.compile(r"^Cost: (Free|£\d)"))
    join = page.locator("#join")
    what_happens = page.get_by_role("heading", name="What happens", exact=True)
    assert join.bounding_box()["y"] < what_happens.bounding_box()["y"], "the way to join should come first"
    check_page(page, "journeys-j3-after-activity")

    # 4. Back to the same results.
    tab_to(page, page.get_by_role("link", name="Back to your results"))
    page.keyboard.press("Enter")
    expect(summary(page)).to_have_text(sentence)
    assert page.get_by_role("list", name=WITH_NEED).get_by_role("link").all_inner_texts() == titles
    assert searched_for(page.url) == searched  # the same search (its own parameters; blanks aside)


def test_a_postcode_outside_the_areas_covered_says_where_to_look_instead(demo, page, check_page):
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(demo + "/find/")
    tab_to(page, page.get_by_label(re.compile(r"postcode", re.I)))
    page.keyboard.type("M1 1AE")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Signpost does not cover M1 yet")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.get_by_role("link", name="Find your local council")).to_be_visible()
    check_page(page, "journeys-j3-after-out-of-area")
