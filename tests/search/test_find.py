import pytest
from bs4 import BeautifulSoup

from directory.factories import make_activity, make_organisation, make_venue

pytestmark = pytest.mark.django_db


@pytest.fixture
def activities(home, needs, postcodes):
    organisation = make_organisation("Dorset Wellbeing")
    poole = make_venue("Poole Quay", postcode="BH15 1HJ", latitude=50.7118, longitude=-1.9860)  # ~0.3 mi
    wimborne = make_venue("Wimborne Minster", postcode="BH21 1HT", latitude=50.7995, longitude=-1.9856)  # ~5.8 mi
    dorchester = make_venue("Dorchester Corn Exchange", postcode="DT1 1HF", latitude=50.7154, longitude=-2.4370)  # ~19.6 mi
    return {
        "quay walk": make_activity(organisation, "Quay walk", needs=[needs["walking"]], venue=poole),
        "minster lunch": make_activity(organisation, "Minster lunch club", needs=[needs["loneliness"]], venue=wimborne),
        "county walk": make_activity(organisation, "County walk", needs=[needs["walking"]], venue=dorchester),
    }


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
    response = client.get("/find/", {"postcode": "ZZ99 9ZZ"})
    assert response.status_code == 200
    page = BeautifulSoup(response.content, "html.parser")
    summary = page.select_one(".nhsuk-error-summary")
    assert summary is not None
    assert "We cannot find the postcode ZZ99 9ZZ" in summary.get_text()
    assert page.title.get_text().startswith("Error:")
    malformed = client.get("/find/", {"postcode": "not a postcode"})
    assert "is not a UK postcode" in malformed.content.decode()
