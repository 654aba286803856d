import pytest
from bs4 import BeautifulSoup

from factories.directory import make_activity, make_organisation, make_venue
from tests.accounts import sign_in_verified

pytestmark = pytest.mark.django_db


def _titles(response):
    return [a.get_text(strip=True) for a in BeautifulSoup(response.content, "html.parser").select(".nhsuk-card__heading a")]


def test_finds_activities_within_the_radius_nearest_first(client, activities):
    response = client.get("/find/", {"postcode": "bh15 1ab", "radius": 10})
    assert response.status_code == 200
    assert _titles(response) == ["Quay walk", "Minster lunch club"]
    assert "0.3 miles away" in response.content.decode()


def test_a_need_includes_its_children(client, activities, needs):
    response = client.get("/find/", {"postcode": "BH15 1AB", "radius": 25, "need": needs["physical"].slug})
    assert _titles(response) == ["Quay walk", "County walk"]


def test_an_unknown_postcode_is_explained_not_an_error_page(client, activities):
    # BH15 is covered (the postcode table holds BH15 1AB), so BH15 9ZZ is a slip to check;
    # a postcode from an area Signpost does not cover is tests/search/test_results_summary.py's.
    response = client.get("/find/", {"postcode": "BH15 9ZZ"})
    assert response.status_code == 200
    page = BeautifulSoup(response.content, "html.parser")
    summary = page.select_one(".nhsuk-error-summary")
    assert summary is not None
    assert "We cannot find the postcode BH15 9ZZ" in summary.get_text()
    assert page.title.get_text().startswith("Error:")
    malformed = client.get("/find/", {"postcode": "not a postcode"})
    assert "is not a UK postcode" in malformed.content.decode()


def _page(response):
    return BeautifulSoup(response.content, "html.parser")


def test_filters_show_how_many_results_each_would_keep(client, activities):
    page = _page(client.get("/find/", {"postcode": "BH15 1AB", "radius_miles": 25}))
    labels = {label.get_text(" ", strip=True) for label in page.select("#id_day .nhsuk-checkboxes__label")}
    assert "Tuesday (3)" in labels  # every factory session is on a Tuesday


def test_a_need_filter_can_be_repeated_or_comma_separated(client, activities, needs):
    both = f"{needs['walking'].slug},{needs['loneliness'].slug}"
    response = client.get("/find/", {"postcode": "BH15 1AB", "radius_miles": 10, "needs": both})
    assert _titles(response) == ["Quay walk", "Minster lunch club"]
    page = _page(response)
    checked = {box["value"] for box in page.select("#id_needs input[checked]")}
    assert needs["walking"].slug in checked or both in checked


def test_no_results_suggests_a_wider_search(client, activities):
    response = client.get("/find/", {"postcode": "BH15 1AB", "radius_miles": 1, "free": "on", "q": "lunch"})
    page = _page(response)
    assert "No activities match your search." in page.select_one(".signpost-no-results").get_text()
    suggestions = {a.get_text(strip=True): a["href"] for a in page.select(".signpost-no-results a")}
    assert any(text.startswith("Search up to 10 miles away") for text in suggestions)
    wider = next(href for text, href in suggestions.items() if text.startswith("Search up to"))
    assert _titles(client.get("/find/" + wider)) == ["Minster lunch club"]


def test_a_bad_radius_is_explained(client, activities):
    page = _page(client.get("/find/", {"postcode": "BH15 1AB", "radius_miles": "500"}))
    assert "less than or equal to 50" in page.select_one(".nhsuk-error-summary").get_text()


def test_without_a_postcode_the_whole_directory_is_searched(client, activities, needs):
    response = client.get("/find/", {"need": needs["walking"].slug})
    assert _titles(response) == ["County walk", "Quay walk"]
    assert "Add your postcode" in response.content.decode()


def test_pagination_keeps_every_filter(client, home, needs, postcodes):
    organisation = make_organisation("Many Walks")
    venue = make_venue("Poole Quay", latitude=50.7118, longitude=-1.9860)
    for n in range(22):
        make_activity(organisation, f"Walk {n:02d}", needs=[needs["walking"]], venue=venue)
    response = client.get("/find/", {"postcode": "BH15 1AB", "needs": [needs["walking"].slug, needs["loneliness"].slug]})
    assert len(_titles(response)) == 20
    next_link = _page(response).select_one("a[rel=next]")["href"]
    assert "page=2" in next_link and next_link.count("needs=") == 2
    assert _titles(client.get("/find/" + next_link)) == ["Walk 20", "Walk 21"]


def test_search_health_reports_each_backend(client, db):
    response = client.get("/healthz/search/")
    assert response.status_code == 200
    assert response.json()["backends"]["database"]["status"] == "ok"


def test_link_workers_see_places_per_session(client, django_user_model, activities):
    from django.contrib.auth.models import Group

    url = "/find/link-workers/"
    assert client.get(url, {"postcode": "BH15 1AB"}).status_code == 302  # signed-out: to the sign-in page
    resident = django_user_model.objects.create_user("resident", password="a long enough password")
    sign_in_verified(client, resident)
    assert client.get(url).status_code == 403
    worker = django_user_model.objects.create_user("priya", password="a long enough password")
    worker.groups.add(Group.objects.get_or_create(name="Link workers")[0])
    sign_in_verified(client, worker)
    activities["quay walk"].capacity_per_session = 12
    activities["quay walk"].save_revision().publish()
    page = _page(client.get(url, {"postcode": "BH15 1AB", "radius_miles": 10}))
    places = [span.get_text(strip=True) for span in page.select(".signpost-capacity")]
    assert places == ["12 places per session", "No limit on places"]
    public = _page(client.get("/find/", {"postcode": "BH15 1AB", "radius_miles": 10}))
    assert not public.select(".signpost-capacity")
