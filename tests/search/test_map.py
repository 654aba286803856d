"""Maps and "use my location" as enhancements, with the same information always on the page as
text; and the activity page's next step: ask to join (residents) or refer (link workers)."""

import json

import pytest
from bs4 import BeautifulSoup

from directory.choices import ActivityStatus, HowToJoin
from factories.directory import make_activity, make_organisation, make_venue
from factories.referrals import make_link_worker, make_service
from tests.accounts import sign_in_verified

pytestmark = pytest.mark.django_db

TILES = "https://tiles.example.org/{z}/{x}/{y}.png"


@pytest.fixture(autouse=True)
def map_settings(settings):
    settings.SIGNPOST_MAP = {"TILE_URL": TILES, "ATTRIBUTION": "&copy; Example maps"}


def _page(response) -> BeautifulSoup:
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def _map_data(page: BeautifulSoup) -> dict | None:
    island = page.find("script", id="signpost-map-data")
    return None if island is None else json.loads(island.string)


def _scripts(page: BeautifulSoup) -> list[str]:
    return [script["src"] for script in page.find_all("script", src=True)]


def _stylesheets(page: BeautifulSoup) -> list[str]:
    return [link["href"] for link in page.find_all("link", rel="stylesheet")]


# --- The find page's map ---


def test_the_find_page_maps_each_result_that_has_a_venue_with_coordinates(client, activities, home):
    make_activity(make_organisation("Online Only"), "Online chat", venue=None, in_person=False, online=True)
    page = _page(client.get("/find/", {"postcode": "BH15 1AB", "radius_miles": 25}))

    data = _map_data(page)
    listed = [a.get_text(strip=True) for a in page.select(".signpost-results .nhsuk-card__heading a")]
    assert [place["title"] for place in data["places"]] == listed == ["Quay walk", "Minster lunch club", "County walk"]
    quay = data["places"][0]
    assert quay["url"] == activities["quay walk"].url
    assert (quay["lat"], quay["lng"]) == (50.7118, -1.986)
    assert quay["distance"] == 0.3 and quay["venue"] == "Poole Quay"
    # The searched place, so the person sees the results around it.
    assert data["centre"] == {"lat": 50.7154, "lng": -1.9871, "label": "BH15 1AB"}
    # Tiles from the setting; marker images from our static files, not Leaflet's guess.
    assert data["tiles"] == {"url": TILES, "attribution": "&copy; Example maps"}
    assert data["icons"]["icon"].endswith("leaflet/images/marker-icon.png")
    assert data["label"] == "Map of the activities found"
    # Leaflet is loaded because there is a map to draw, with the empty slot the script fills.
    assert page.select("[data-signpost-map]")
    assert any(src.endswith("leaflet/leaflet.js") for src in _scripts(page))
    assert any(src.endswith("js/map.js") for src in _scripts(page))
    assert any(href.endswith("leaflet/leaflet.css") for href in _stylesheets(page))


def test_the_link_workers_search_has_the_same_map(client, activities):
    sign_in_verified(client, make_link_worker(service=make_service()))
    page = _page(client.get("/find/link-workers/", {"postcode": "BH15 1AB", "radius_miles": 10}))
    assert [place["title"] for place in _map_data(page)["places"]] == ["Quay walk", "Minster lunch club"]


def test_results_without_coordinates_are_listed_but_not_mapped(client, home):
    organisation = make_organisation("Dorset Wellbeing")
    make_activity(organisation, "Quay walk", venue=make_venue("Poole Quay", latitude=50.7118, longitude=-1.9860))
    make_activity(organisation, "Somewhere walk", venue=make_venue("Unmapped Hall", latitude=None, longitude=None))
    page = _page(client.get("/find/", {"q": "walk"}))

    listed = {a.get_text(strip=True) for a in page.select(".signpost-results .nhsuk-card__heading a")}
    assert listed == {"Quay walk", "Somewhere walk"}
    data = _map_data(page)
    assert [place["title"] for place in data["places"]] == ["Quay walk"]
    assert data["centre"] is None  # no postcode: nothing searched near


def test_no_results_means_no_map_and_no_leaflet(client, activities):
    page = _page(client.get("/find/", {"postcode": "BH15 1AB", "radius_miles": 1, "q": "lunch"}))
    assert "No activities match your search." in page.get_text()
    assert _map_data(page) is None
    assert not page.select("[data-signpost-map]")
    assert not any("leaflet" in src for src in _scripts(page))
    assert not any("leaflet" in href for href in _stylesheets(page))


def test_the_find_page_before_a_search_has_no_map(client, activities):
    page = _page(client.get("/find/"))
    assert _map_data(page) is None
    assert not any("leaflet" in src for src in _scripts(page))


def test_titles_in_the_map_data_cannot_break_out_of_the_data_island(client, home):
    make_activity(make_organisation("Tricky"), "Walk </script><script>alert(1)</script>", venue=make_venue("Quay"))
    response = client.get("/find/", {"q": "walk"})
    assert b"</script><script>alert(1)" not in response.content
    assert _map_data(_page(response))["places"][0]["title"] == "Walk </script><script>alert(1)</script>"


# --- "Use my location": latitude and longitude ---


def test_the_find_page_offers_use_my_location_to_its_script(client, activities):
    page = _page(client.get("/find/"))
    form = page.find("form", id="signpost-find")
    assert form["data-locate-button"] == "Use my location"
    assert any(src.endswith("js/locate.js") for src in _scripts(page))
    # Without JavaScript there is no button to press: the postcode is the way to search.
    assert "Use my location" not in form.get_text()
    assert page.find("input", id="id_postcode") is not None


def test_a_search_near_a_location_lists_results_by_distance(client, activities):
    page = _page(client.get("/find/", {"latitude": "50.7154", "longitude": "-1.9871", "radius_miles": 10}))

    titles = [a.get_text(strip=True) for a in page.select(".signpost-results .nhsuk-card__heading a")]
    assert titles == ["Quay walk", "Minster lunch club"]
    assert "0.3 miles away" in page.get_text()
    assert "Searching near your current location" in page.get_text()
    # Kept for filters and sorting, which submit the same form.
    assert page.find("input", attrs={"name": "latitude", "type": "hidden"})["value"] == "50.715400"
    assert page.find("input", attrs={"name": "longitude", "type": "hidden"})["value"] == "-1.987100"
    assert _map_data(page)["centre"] == {"lat": 50.7154, "lng": -1.9871, "label": "Your location"}


def test_the_distance_searched_is_the_one_shown_so_use_my_location_sends_it_again(client, activities):
    for params in ({}, {"latitude": "50.7154", "longitude": "-1.9871"}):
        page = _page(client.get("/find/", params))
        assert page.select_one("#id_radius_miles option[selected]").get_text() == "3 miles"


def test_a_postcode_typed_after_using_a_location_wins(client, activities, postcodes):
    # Near Dorchester by location, but the person has typed a Poole postcode.
    page = _page(client.get("/find/", {"latitude": "50.7147", "longitude": "-2.4368", "postcode": "BH15 1AB", "radius_miles": 3}))
    titles = [a.get_text(strip=True) for a in page.select(".signpost-results .nhsuk-card__heading a")]
    assert titles == ["Quay walk"]
    assert page.find("input", attrs={"name": "latitude"}) is None


@pytest.mark.parametrize(
    "params",
    [
        {"latitude": "48.85", "longitude": "2.35"},  # Paris
        {"latitude": "50.7", "longitude": "-20"},  # the Atlantic
        {"latitude": "north", "longitude": "-1.98"},
        {"latitude": "50.7"},
    ],
)
def test_a_bad_location_is_explained_at_the_postcode_field(client, activities, params):
    page = _page(client.get("/find/", params))
    summary = page.select_one(".nhsuk-error-summary")
    assert summary is not None and "We could not search near your location" in summary.get_text()
    # The summary links to a field a person can use (hidden fields cannot take focus).
    assert [a["href"] for a in summary.select("a")] == ["#id_postcode"]
    assert "We could not search near your location" in page.select_one("#id_postcode-error").get_text()
    assert page.title.get_text().startswith("Error:")
    assert not page.select(".signpost-results")


def test_the_api_names_a_location_outside_the_uk(client, activities):
    response = client.get("/api/v1/activities/", {"latitude": "48.85", "longitude": "2.35"})
    assert response.status_code == 400
    outside = "This location is outside the UK. Signpost lists activities in the UK: search by a UK postcode instead."
    assert response.json()["errors"] == {"latitude": [outside], "longitude": [outside]}
    inside = client.get("/api/v1/activities/", {"latitude": "50.7154", "longitude": "-1.9871", "radius_miles": 10})
    assert inside.status_code == 200 and inside.json()["count"] == 2


# --- Activity and venue pages ---


@pytest.fixture
def organisation(home):
    return make_organisation("Poole Walkers")


@pytest.fixture
def quay(db):
    return make_venue("Poole Quay", latitude=50.7118, longitude=-1.9860)


def test_the_activity_page_maps_its_venue_beside_a_plain_map_link(client, organisation, quay):
    activity = make_activity(organisation, "Quay walk", venue=quay)
    page = _page(client.get(activity.url))

    data = _map_data(page)
    assert data["places"] == [
        {"title": "Poole Quay", "url": f"/venues/{quay.pk}/", "lat": 50.7118, "lng": -1.986, "distance": None, "venue": ""}
    ]
    assert data["label"] == "Map of where this activity happens"
    link = page.find("a", string="View Poole Quay on a map (OpenStreetMap)")
    assert link["href"] == "https://www.openstreetmap.org/?mlat=50.711800&mlon=-1.986000#map=17/50.711800/-1.986000"
    assert any(src.endswith("leaflet/leaflet.js") for src in _scripts(page))


def test_an_activity_without_a_venue_has_no_map(client, organisation):
    activity = make_activity(organisation, "Phone friends", venue=None, in_person=False, by_phone=True)
    page = _page(client.get(activity.url))
    assert _map_data(page) is None
    assert not any("leaflet" in src for src in _scripts(page))
    assert "on a map" not in page.get_text()


def test_the_venue_page_maps_the_venue_beside_a_plain_map_link(client, organisation, quay):
    make_activity(organisation, "Quay walk", venue=quay)
    page = _page(client.get(f"/venues/{quay.pk}/"))
    data = _map_data(page)
    assert [(p["title"], p["url"], p["lat"], p["lng"]) for p in data["places"]] == [("Poole Quay", "", 50.7118, -1.986)]
    assert data["label"] == "Map of Poole Quay"
    assert page.find("a", string="View on a map (OpenStreetMap)")["href"].startswith("https://www.openstreetmap.org/?mlat=50.711800")


def test_a_venue_without_coordinates_has_no_map(client, organisation):
    hall = make_venue("Unmapped Hall", latitude=None, longitude=None)
    make_activity(organisation, "Hall lunch", venue=hall)
    page = _page(client.get(f"/venues/{hall.pk}/"))
    assert _map_data(page) is None
    assert "on a map" not in page.get_text()
    assert not any("leaflet" in src for src in _scripts(page))


# --- The activity page's next step ---


def _join(page: BeautifulSoup):
    return page.select_one("#join")


@pytest.mark.parametrize("how_to_join", [HowToJoin.DROP_IN, HowToJoin.SELF_REFERRAL])
def test_residents_can_ask_to_join_an_activity_that_accepts_self_referral(client, organisation, quay, how_to_join):
    activity = make_activity(organisation, "Quay walk", venue=quay, how_to_join=how_to_join)
    join = _join(_page(client.get(activity.url)))
    link = join.find("a", string="Ask to join through Signpost")
    assert link["href"] == f"/refer-yourself/?activity={activity.pk}"
    assert join.find("a", string="Refer someone to this activity") is None


def test_a_referral_only_activity_sends_residents_to_a_professional_or_a_link_worker(client, organisation, quay):
    activity = make_activity(organisation, "Quay walk", venue=quay, how_to_join=HowToJoin.REFERRAL_ONLY)
    join = _join(_page(client.get(activity.url)))
    assert "Ask your GP or a link worker to refer you" in join.get_text()
    assert join.find("a", string="Ask to join through Signpost") is None
    # The single point of access is still open to them, with this activity named.
    assert join.find("a", string="Ask for a link worker to help you join")["href"] == f"/refer-yourself/?activity={activity.pk}"


def test_link_workers_are_offered_to_refer_someone(client, organisation, quay):
    activity = make_activity(organisation, "Quay walk", venue=quay, how_to_join=HowToJoin.REFERRAL_ONLY)
    sign_in_verified(client, make_link_worker(service=make_service()))
    join = _join(_page(client.get(activity.url)))
    assert join.find("a", string="Refer someone to this activity")["href"] == f"/referrals/refer/?activity={activity.pk}"
    assert join.find("a", string="Ask to join through Signpost") is None
    assert "Ask your GP" not in join.get_text()


def test_a_paused_activity_offers_no_way_to_join(client, organisation, quay):
    activity = make_activity(organisation, "Quay walk", venue=quay, status=ActivityStatus.PAUSED)
    page = _page(client.get(activity.url))
    assert "This activity is paused" in page.get_text()
    assert _join(page) is None
