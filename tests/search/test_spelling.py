"""Misspellings on the embedded default (issue 15): on SQLite the database backend corrects a
typed word that no listing contains to the closest word one does, says so on the results page
("Showing results for bereavement"), and never corrects a word the listings use.

(On PostgreSQL pg_trgm matches misspellings inside the query: there is nothing to correct, and
the contract suite covers what is found.)"""

import pytest
from bs4 import BeautifulSoup
from django.db import connection

from factories.directory import make_activity, make_organisation, make_venue
from search.backends import get_search_backend
from search.backends.spelling import Vocabulary
from search.types import SearchQuery

pytestmark = pytest.mark.django_db


@pytest.fixture
def sqlite_only():
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL matches misspellings itself (pg_trgm): nothing is corrected")


@pytest.fixture
def listings(settings, home, needs, postcodes, sqlite_only):
    settings.SIGNPOST_SEARCH = {"default": {"BACKEND": "search.backends.database"}}
    organisation = make_organisation("Poole Community Trust")
    quay = make_venue("Poole Quay", postcode="BH15 1HJ", latitude=50.7118, longitude=-1.9860)
    return {
        "cafe": make_activity(organisation, "Bereavement café", summary="Tea and company after a loss.", venue=quay),
        "chat": make_activity(organisation, "Chat and tea", summary="A friendly chat on Tuesdays.", venue=quay),
        "chair": make_activity(organisation, "Chair yoga", summary="Seated exercise to music.", venue=quay),
        "lunch": make_activity(organisation, "Minster lunch club", needs=[needs["loneliness"]], summary="Hot lunch.", venue=quay),
    }


def _page(client, q):
    response = client.get("/find/", {"postcode": "BH15 1AB", "radius_miles": 5, "q": q})
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def _titles(page):
    return [a.get_text(strip=True) for a in page.select(".signpost-results .nhsuk-card__heading a")]


def test_a_misspelt_word_finds_the_listing_and_the_page_says_what_was_searched(client, listings):
    page = _page(client, "bereavment")
    assert _titles(page) == ["Bereavement café"]
    assert page.select_one(".signpost-corrected").get_text(" ", strip=True) == "Showing results for bereavement"


def test_a_correct_query_is_searched_as_typed(client, listings):
    page = _page(client, "bereavement")
    assert _titles(page) == ["Bereavement café"]
    assert page.select_one(".signpost-corrected") is None
    # "chat" is a word of a listing: it is not "corrected" into "chair".
    page = _page(client, "chat")
    assert _titles(page) == ["Chat and tea"]
    assert page.select_one(".signpost-corrected") is None


def test_a_misspelt_need_synonym_finds_the_need(client, listings):
    # "lonley" is close to the need's synonym "lonely": the lunch club is listed under that need.
    page = _page(client, "lonley")
    assert _titles(page) == ["Minster lunch club"]
    assert page.select_one(".signpost-corrected").get_text(" ", strip=True) == "Showing results for lonely"


def test_exact_words_rank_above_corrected_ones(listings):
    # "chat" is exact in one listing; "bereavment" is forgiven in another, at the same place.
    results = get_search_backend().search(SearchQuery(text="chat bereavment"))
    assert [hit.title for hit in results.hits] == ["Chat and tea", "Bereavement café"]
    assert results.corrected_text == "chat bereavement"


def test_nothing_alike_is_not_corrected(client, listings):
    page = _page(client, "xylophone")
    assert _titles(page) == []
    assert page.select_one(".signpost-corrected") is None


def test_a_new_listings_words_are_known_at_once(client, listings, django_capture_on_commit_callbacks):
    assert _titles(_page(client, "gardenning")) == []  # warms the vocabulary without "gardening"
    make_activity(make_organisation("Green Poole"), "Community gardening", summary="Grow vegetables.",
                  venue=listings["cafe"].sessions.first().venue)
    assert _titles(_page(client, "gardenning")) == ["Community gardening"]


def test_candidates_are_bounded_by_first_letter_and_length():
    vocabulary = Vocabulary.of(["walking", "talking", "walkingandtalking", "bereavement"])
    assert vocabulary.closest("walkng") == "walking"
    assert vocabulary.closest("alking") is None  # a different first letter is another word
    assert vocabulary.closest("art") is None  # too short to correct safely
    assert vocabulary.knows("walk") and not vocabulary.knows("walkng")
