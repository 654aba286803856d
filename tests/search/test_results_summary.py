"""The resident's results say what was searched (issue 15): a summary sentence, the filters one
tap away, each result's price, an activity's page that knows the search it came from (distance,
and a back link rebuilt from the search's own validated parameters), and postcodes from areas
Signpost does not cover told so, with where to look instead."""

from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup

from directory.models.pages import price_text
from factories.directory import make_activity, make_organisation, make_venue
from search.forms import SearchForm

pytestmark = pytest.mark.django_db


def _page(response):
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def _summary(client, params) -> str:
    return _page(client.get("/find/", params)).select_one("#results-heading").get_text(" ", strip=True)


@pytest.mark.parametrize(
    ("params", "sentence"),
    [
        ({"postcode": "bh15 1ab", "radius_miles": 25, "needs": "walking"}, "2 activities found for Walking within 25 miles of BH15 1AB"),
        ({"postcode": "BH15 1AB", "radius_miles": 10, "needs": "loneliness-and-isolation"},
         "1 activity found for Loneliness and isolation within 10 miles of BH15 1AB"),
        ({"postcode": "BH15 1AB", "radius_miles": 1, "needs": "loneliness-and-isolation"},
         "No activities found for Loneliness and isolation within 1 mile of BH15 1AB"),
        ({"postcode": "BH15 1AB", "radius_miles": 10, "needs": "walking,loneliness-and-isolation"},
         "2 activities found for Loneliness and isolation or Walking within 10 miles of BH15 1AB"),
        ({"need": "walking"}, "2 activities found for Walking"),  # no postcode: the whole directory
        ({"q": "lunch"}, "1 activity found matching “lunch”"),  # no postcode, no need
        ({"latitude": "50.7154", "longitude": "-1.9871", "radius_miles": 3}, "1 activity found within 3 miles of your location"),
    ],
)
def test_the_results_say_what_was_searched_and_what_it_found(client, activities, params, sentence):
    assert _summary(client, params) == sentence


def test_the_filters_are_one_tap_away_above_the_results(client, activities):
    page = _page(client.get("/find/", {"postcode": "BH15 1AB", "radius_miles": 10}))
    link = page.select_one(".signpost-filters-link a")
    html = str(page)
    # Above the results, and (the filters being closed) opening them with the page, no JavaScript needed.
    assert html.index("signpost-filters-link") < html.index('id="signpost-results"')
    assert link.get_text(strip=True) == "Filters"
    assert urlsplit(link["href"]).fragment == "filters"
    opened = _page(client.get("/find/" + link["href"].split("#")[0]))
    assert opened.select_one("details.nhsuk-details").has_attr("open")
    assert not page.select_one("details.nhsuk-details").has_attr("open")

    # With filters applied they are open already: the link jumps there and counts them.
    filtered = _page(client.get("/find/", {"postcode": "BH15 1AB", "radius_miles": 10, "free": "on", "day": "1"}))
    link = filtered.select_one(".signpost-filters-link a")
    assert link["href"] == "#filters"
    assert link.get_text(" ", strip=True) == "Filters (2 applied)"


def test_each_result_shows_its_price_as_the_listing_states_it(client, activities):
    organisation = make_organisation("Poole Leisure")
    pool = make_venue("Poole Pool", postcode="BH15 1SA", latitude=50.7160, longitude=-1.9830)
    make_activity(organisation, "Aquafit", venue=pool, is_free=False, cost_amount=Decimal("3.00"), cost_description="a session")
    make_activity(organisation, "Chair yoga", venue=pool, is_free=False, cost_amount=Decimal("2.50"), cost_description="per class")
    page = _page(client.get("/find/", {"postcode": "BH15 1AB", "radius_miles": 1}))
    prices = {
        card.select_one(".nhsuk-card__heading").get_text(strip=True): card.select_one(".signpost-price").get_text(strip=True)
        for card in page.select(".signpost-card-item")
    }
    assert prices == {"Aquafit": "£3 a session", "Chair yoga": "£2.50 per class", "Quay walk": "Free"}


def test_price_text():
    assert price_text(is_free=True, amount=None) == "Free"
    assert price_text(is_free=False, amount=Decimal("3.00"), description="a session") == "£3 a session"
    assert price_text(is_free=False, amount=Decimal("4.2"), description=" per session ") == "£4.20 per session"
    assert price_text(is_free=False, amount=None) == "There is a cost: ask the organisation"


def _result_link(client, params, title):
    page = _page(client.get("/find/", params))
    return next(a["href"] for a in page.select(".nhsuk-card__link") if a.get_text(strip=True) == title)


def _back_link(page):
    return page.select_one("a.nhsuk-back-link")


def test_an_activity_opened_from_the_results_shows_the_distance_and_goes_back_to_them(client, activities):
    search = {"postcode": "BH15 1AB", "radius_miles": 10, "needs": "walking", "page": 1}
    href = _result_link(client, search, "Quay walk")
    page = _page(client.get(href))
    assert page.select_one(".signpost-distance").get_text(" ", strip=True) == "0.3 miles from BH15 1AB, at Poole Quay"
    assert page.select_one(".signpost-key-facts .signpost-price").get_text(" ", strip=True) == "Cost: Free"
    back = _back_link(page)
    assert back.get_text(strip=True) == "Back to your results"
    assert urlsplit(back["href"]).path == "/find/"
    # The same results, with the same search.
    results = _page(client.get(back["href"]))
    assert [a.get_text(strip=True) for a in results.select(".nhsuk-card__link")] == ["Quay walk"]
    assert results.select_one("#results-heading").get_text(" ", strip=True) == "1 activity found for Walking within 10 miles of BH15 1AB"
    # The way to join comes before the long description.
    html = str(page)
    assert html.index('id="join"') < html.index(">What happens<")


def test_the_back_link_carries_only_the_searchs_own_parameters(client, activities):
    activity = activities["quay walk"]
    hostile = (
        f"{activity.url}?postcode=BH15+1AB&radius_miles=10&needs=walking&next=%2F%2Fevil.example"
        "&q=%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E&javascript:x=1&need=walking"
    )
    page = _page(client.get(hostile))
    back = _back_link(page)["href"]
    assert back.startswith("/find/?")
    params = parse_qs(urlsplit(back).query)
    assert set(params) <= set(SearchForm().fields)
    assert "next" not in params and "need" not in params
    assert params["q"] == ['"><script>alert(1)</script>']  # text the search reads as text, escaped in the page
    assert "<script>" not in str(page.select_one("main") or page)
    assert "evil.example" not in back


@pytest.mark.parametrize(
    "query",
    ["radius_miles=500&postcode=BH15+1AB", "needs=not-a-need", "postcode=M1+1AE", "utm_source=newsletter", ""],
)
def test_a_search_that_does_not_validate_gets_no_back_link_to_results(client, activities, query):
    activity = activities["quay walk"]
    page = _page(client.get(f"{activity.url}?{query}"))
    assert page.select_one(".signpost-distance") is None
    # The usual way back: to the organisation.
    assert _back_link(page)["href"] == activity.get_parent().url


def test_a_postcode_outside_the_areas_covered_says_so_and_where_to_look_instead(client, activities):
    page = _page(client.get("/find/", {"postcode": "M1 1AE"}))
    assert page.select_one(".nhsuk-error-summary") is None
    assert not page.title.get_text().startswith("Error")
    outside = page.select_one(".signpost-outside-area")
    assert outside.select_one("h2").get_text(strip=True) == "Signpost does not cover M1 yet"
    hrefs = {a["href"] for a in outside.select("a")}
    assert "https://www.gov.uk/find-local-council" in hrefs and "https://www.nhs.uk/service-search" in hrefs
    assert "Check it is right" not in page.get_text()


def test_an_unknown_postcode_in_a_covered_area_and_a_malformed_one_are_still_errors(client, activities):
    unknown = _page(client.get("/find/", {"postcode": "BH15 9ZZ"}))
    assert "We cannot find the postcode BH15 9ZZ. Check it is right" in unknown.select_one(".nhsuk-error-summary").get_text()
    assert unknown.select_one(".signpost-outside-area") is None
    malformed = _page(client.get("/find/", {"postcode": "BH15"}))
    assert "is not a UK postcode" in malformed.select_one(".nhsuk-error-summary").get_text()
    assert malformed.select_one(".signpost-outside-area") is None


def test_the_api_refuses_a_postcode_outside_the_areas_covered_with_the_same_words(activities):
    form = SearchForm({"postcode": "M1 1AE"})
    query, errors = form.query_or_errors()
    assert query is None
    assert errors == {"postcode": ["Signpost does not cover M1 yet."]}
