"""Maps and "Use my location" in a real browser: enhancements that pass axe at both widths, can
be skipped and used with the keyboard, survive a tile server that cannot be reached (these
machines have no network, and tile requests are refused outright here), and leave nothing
behind without JavaScript.

A small directory of its own (three venues around Poole, two of them a few metres apart, and one
in Dorchester) keeps the numbers of markers and results known.
"""

import re

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from tests.browser.conftest import TIMEOUT_MS, WIDTHS, is_focused, tab_to

pytestmark = pytest.mark.browser

POOLE = {"latitude": 50.7154, "longitude": -1.9871}  # BH15 1AB
# Anything not served by the live server (map tiles): refused, as on a machine without network.
EXTERNAL = re.compile(r"^https?://(?!127\.0\.0\.1|localhost)")


@pytest.fixture
def directory(browser, live_server, django_db_serialized_rollback):
    from directory.choices import HowToJoin
    from factories.directory import make_activity, make_organisation, make_postcode, make_venue
    from pages.setup import ensure_site

    cache.clear()
    ensure_site()
    make_postcode("BH15 1AB", POOLE["latitude"], POOLE["longitude"])
    walkers = make_organisation("Poole Walkers")
    quay = make_venue("Poole Quay", postcode="BH15 1HJ", latitude=50.7118, longitude=-1.9860, step_free=True)
    park = make_venue("Poole Park Café", postcode="BH15 2SF", latitude=50.7212, longitude=-1.9741)
    # A few metres from the quay: at most zooms its marker overlaps the quay's.
    chapel = make_venue("Quay Chapel", postcode="BH15 1HJ", latitude=50.7121, longitude=-1.9857)
    dorchester = make_venue("Dorchester Corn Exchange", postcode="DT1 1HF", latitude=50.7154, longitude=-2.4370)
    activities = {
        "quay": make_activity(walkers, "Quay walk", venue=quay, how_to_join=HowToJoin.DROP_IN),
        "quay lunch": make_activity(walkers, "Quay lunch club", venue=quay, how_to_join=HowToJoin.SELF_REFERRAL),
        "park": make_activity(walkers, "Park walk", venue=park, how_to_join=HowToJoin.REFERRAL_ONLY),
        "chapel": make_activity(walkers, "Chapel coffee morning", venue=chapel),
        "county": make_activity(walkers, "County walk", venue=dorchester),
    }
    yield live_server.url, activities, quay
    cache.clear()


def _offline(context):
    context.route(EXTERNAL, lambda route: route.abort())
    return context


def _map(page):
    return page.get_by_role("region", name=re.compile(r"^Map of"))


def _markers(page):
    return page.locator(".signpost-map .leaflet-marker-icon")


def test_the_find_page_maps_its_results_and_passes_axe(directory, context, page, check_page):
    url, _, _ = directory
    _offline(context)
    page.goto(url + "/find/?postcode=BH15+1AB&radius_miles=3")

    region = _map(page)
    expect(region).to_be_visible()
    expect(region).to_have_accessible_name("Map of the activities found")
    # Four results within 3 miles at three venues: one marker per venue, each named for a screen reader.
    expect(page.get_by_role("list", name=re.compile(r"activities found")).get_by_role("listitem")).to_have_count(4)
    expect(_markers(page)).to_have_count(3)
    expect(page.get_by_role("img", name=re.compile(r"^Poole Quay: Quay (walk|lunch club), Quay (walk|lunch club)$"))).to_be_visible()
    # The tiles never arrived; the map still draws, and the page is whole.
    expect(page.locator(".signpost-map .leaflet-control-attribution")).to_contain_text("OpenStreetMap")
    check_page(page, "find-results-map")


def test_a_marker_opens_a_popup_that_links_to_the_activity(directory, context, page):
    url, activities, _ = directory
    _offline(context)
    page.goto(url + "/find/?postcode=BH15+1AB&radius_miles=3")
    # Named for screen readers, but not a tab stop: the list reaches every activity by keyboard.
    marker = page.get_by_role("img", name="Poole Park Café: Park walk")
    expect(marker).not_to_have_attribute("tabindex", "0")
    marker.click()
    link = page.locator(".leaflet-popup").get_by_role("link", name="Park walk")
    expect(link).to_be_visible()
    expect(link).to_have_attribute("href", activities["park"].url)
    expect(page.locator(".leaflet-popup")).to_contain_text("miles away")


def test_keyboard_users_can_skip_the_map(directory, context, page):
    url, _, _ = directory
    _offline(context)
    page.goto(url + "/find/?postcode=BH15+1AB&radius_miles=3")
    expect(_map(page)).to_be_visible()
    # The results still come straight after the search; the map comes after them.
    page.get_by_label(re.compile("postcode", re.I)).focus()
    results = page.get_by_role("list", name=re.compile(r"activities found"))
    assert tab_to(page, results.get_by_role("link").first, limit=20) <= 10
    skip = page.get_by_role("link", name="Skip the map")
    tab_to(page, skip, limit=20)
    assert skip.bounding_box()["width"] > 1, "the skip link should show when it has focus"
    page.keyboard.press("Enter")
    assert is_focused(page.locator("#signpost-map-end"))
    page.keyboard.press("Tab")
    assert is_focused(page.locator("summary#filters")), "after the map come the filters"


def test_without_javascript_there_is_no_map_and_no_location_button(directory, browser):
    url, _, _ = directory
    context = browser.new_context(java_script_enabled=False, viewport={"width": WIDTHS[0], "height": 800})
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(url + "/find/?postcode=BH15+1AB&radius_miles=3")
        expect(page.get_by_role("list", name=re.compile(r"activities found")).get_by_role("listitem")).to_have_count(4)
        expect(page.locator(".signpost-map")).to_have_count(0)
        assert page.locator(".signpost-map-slot").bounding_box()["height"] == 0, "no empty box where the map would be"
        expect(page.get_by_role("button", name="Use my location")).to_have_count(0)
    finally:
        context.close()


def test_use_my_location_searches_near_the_person(directory, browser, check_page):
    url, _, _ = directory
    context = _offline(browser.new_context(
        viewport={"width": WIDTHS[-1], "height": 900}, locale="en-GB", permissions=["geolocation"], geolocation=POOLE
    ))
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(url + "/find/")
        button = page.get_by_role("button", name="Use my location")
        expect(button).to_be_visible()
        check_page(page, "find-use-my-location")
        button.click()

        expect(page).to_have_url(re.compile(r"latitude=50\.7154\d*&longitude=-1\.9871"))
        expect(page.get_by_text("Searching near your current location")).to_be_visible()
        results = page.get_by_role("list", name=re.compile(r"activities found"))
        expect(results.get_by_role("listitem")).to_have_count(4)  # within 3 miles, not Dorchester
        expect(results.get_by_role("listitem").first).to_contain_text(re.compile(r"0\.[23] miles away"))
        expect(_map(page)).to_be_visible()
        check_page(page, "find-near-my-location")

        # Filters keep the location (hidden fields); a typed postcode would replace it.
        page.locator("#filters").get_by_text("Filters", exact=True).click()  # the panel, not the link to it
        page.get_by_label(re.compile(r"^Free only")).check()
        page.get_by_role("button", name="Apply filters").click()
        expect(page).to_have_url(re.compile(r"latitude=50\.7154.*free=on"))
    finally:
        context.close()


def test_a_refused_location_is_explained_and_the_postcode_takes_focus(directory, context, page):
    url, _, _ = directory
    # No permission granted: the browser refuses, as when a person says no.
    page.goto(url + "/find/")
    page.get_by_role("button", name="Use my location").click()
    expect(page.get_by_role("status")).to_have_text(re.compile(r"Enter your postcode instead"))
    expect(page.get_by_label(re.compile("postcode", re.I))).to_be_focused()
    assert "latitude" not in page.url


def test_activity_and_venue_pages_map_the_venue(directory, context, page, check_page):
    url, activities, quay = directory
    _offline(context)
    page.goto(url + activities["quay"].url)
    expect(_map(page)).to_have_accessible_name("Map of where this activity happens")
    expect(_markers(page)).to_have_count(1)
    expect(page.get_by_role("link", name="View Poole Quay on a map (OpenStreetMap)")).to_be_visible()
    expect(page.get_by_role("button", name="Ask to join through Signpost")).to_be_visible()
    check_page(page, "activity-map")

    page.goto(url + f"/venues/{quay.pk}/")
    expect(_map(page)).to_have_accessible_name("Map of Poole Quay")
    expect(page.get_by_role("link", name="View on a map (OpenStreetMap)")).to_be_visible()
    check_page(page, "venue-map")
