"""GET /api/v1/activities/: the search as JSON, and its OpenAPI schema."""

import pytest


pytestmark = pytest.mark.django_db


def test_search_by_postcode_need_and_words(client, activities, needs):
    response = client.get(
        "/api/v1/activities/", {"postcode": "BH15 1AB", "radius_miles": 10, "needs": f"{needs['loneliness'].pk},walking", "q": "lunch"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    [hit] = body["results"]
    assert hit["name"] == "Minster lunch club"
    assert hit["organisation"]["name"] == "Dorset Wellbeing"
    assert hit["venue"]["name"] == "Wimborne Minster"
    assert 5.5 < hit["distance_miles"] < 6.2
    assert hit["url"].startswith("http://testserver/")
    assert hit["next_session"]["starts"]
    assert [n["slug"] for n in hit["needs"]] == [needs["loneliness"].slug]
    assert {f["value"]: f["count"] for f in body["facets"]["cost"]} == {"free": 1, "paid": 0}


def test_needs_by_open_referral_id(client, activities, needs):
    response = client.get("/api/v1/activities/", {"postcode": "BH15 1AB", "radius_miles": 25, "needs": needs["walking"].oruk_id})
    assert [hit["name"] for hit in response.json()["results"]] == ["Quay walk", "County walk"]


@pytest.mark.parametrize(
    "params, parameter",
    [
        ({"postcode": "ZZ99 9ZZ"}, "postcode"),
        ({"postcode": "not a postcode"}, "postcode"),
        ({"postcode": "BH15 1AB", "radius_miles": "far"}, "radius_miles"),
        ({"postcode": "BH15 1AB", "radius_miles": "80"}, "radius_miles"),
        ({"needs": "no-such-need"}, "needs"),
        ({"day": "funday"}, "day"),
        ({"sort": "nearest"}, "sort"),
        ({"latitude": "50.7"}, "longitude"),
        ({"page_size": "1000"}, "page_size"),
        # A yes-or-no filter takes true or false (as documented), not any text as yes.
        ({"free": "2"}, "free"),
        ({"capacity": "maybe"}, "capacity"),
    ],
)
def test_bad_parameters_are_a_400_that_names_them(client, activities, params, parameter):
    response = client.get("/api/v1/activities/", params)
    assert response.status_code == 400
    body = response.json()
    assert parameter in body["errors"]
    assert body["detail"].startswith(f"{parameter}:")


def test_the_schema_documents_the_search(client, db):
    response = client.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    operation = schema["paths"]["/api/v1/activities/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"postcode", "radius_miles", "needs", "q", "day", "free"}
    assert "400" in operation["responses"]


def test_yes_or_no_filters_read_true_false_and_a_ticked_checkbox(client, activities):
    for value in ("true", "1", "on", "false", "0", ""):
        assert client.get("/api/v1/activities/", {"free": value}).status_code == 200, value
    assert client.get("/find/", {"free": "on"}).status_code == 200
