"""A resident on a phone (360 px), keyboard only, misspells what they look for on the embedded
default (SQLite, the demo directory) and still finds it (issue 15), in 2 actions:

1. Tab to "Search for" and type "walkng";
2. press Enter: the walking groups are listed, and the page says "Showing results for walking".

Then "dementa" finds the memory cafés the same way. Every page goes through axe at 360 and
1280 px, with screenshots.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import tab_to

pytestmark = pytest.mark.browser


def _search(page, words: str) -> None:
    field = page.get_by_label("Search for")
    tab_to(page, field)
    page.keyboard.press("Control+a")
    page.keyboard.type(words)
    page.keyboard.press("Enter")


def test_a_resident_finds_walking_groups_though_they_typed_walkng_in_2_actions(demo, page, check_page):
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(demo + "/find/")

    _search(page, "walkng")
    expect(page.locator(".signpost-corrected")).to_have_text("Showing results for walking")
    results = page.locator(".signpost-results")
    expect(results.get_by_role("link", name=re.compile(r"Walking for Health")).first).to_be_visible()
    check_page(page, "journeys-spelling-after-walkng")

    _search(page, "dementa")
    expect(page.locator(".signpost-corrected")).to_have_text("Showing results for dementia")
    expect(page.locator(".signpost-results").get_by_role("link", name=re.compile(r"Memory Café")).first).to_be_visible()

    # A word spelt right is searched as typed: nothing says it was corrected.
    _search(page, "walking")
    expect(page.locator(".signpost-results").get_by_role("link", name=re.compile(r"Walking for Health")).first).to_be_visible()
    expect(page.locator(".signpost-corrected")).to_have_count(0)
    check_page(page, "journeys-spelling-after-walking")
