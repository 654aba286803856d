"""The ORUK API's behaviour beyond the schemas: only what the public directory shows, the
profile's filters, bad parameters refused in words (400, never 500), unknown ids (404), CORS
for any origin, conditional GETs, and a number of queries that does not grow with the page."""

from datetime import timedelta
from datetime import timezone as dt_timezone

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from factories.directory import make_activity, make_organisation, make_venue
from search.oruk.params import DEFAULT_PER_PAGE, MAX_PER_PAGE

pytestmark = pytest.mark.django_db


def _names(client, endpoint="/oruk/services", **params) -> set[str]:
    response = client.get(endpoint, {"per_page": 100, **params})
    assert response.status_code == 200, response.content
    contents = response.json()["contents"]
    return {item["service"]["name"] if "service" in item else item["name"] for item in contents}


def _refused(client, url, params) -> dict:
    response = client.get(url, params)
    assert response.status_code == 400, (params, response.content)
    assert response["Access-Control-Allow-Origin"] == "*"
    return response.json()


PUBLIC = {"Wednesday health walk", "Men's shed 0", "Men's shed 1", "Men's shed 2", "Men's shed 3", "Men's shed 4",
          "Carers' café", "Telephone friends"}


def test_only_what_the_public_directory_shows(client, directory):
    assert _names(client) == PUBLIC
    assert _names(client, "/oruk/service_at_locations") == PUBLIC - {"Telephone friends"}
    for hidden in directory["hidden"]:
        response = client.get(f"/oruk/services/{hidden.oruk_id}")
        assert response.status_code == 404
        assert "no service" in response.json()["detail"]


def test_filters(client, directory):
    needs = directory["needs"]
    walk_and_sheds = {"Wednesday health walk"} | {f"Men's shed {n}" for n in range(5)}
    assert _names(client, search="walk") == {"Wednesday health walk"}
    assert _names(client, search="lonely") == {"Wednesday health walk", "Carers' café"}  # a need's synonym
    # A term includes the terms below it: walking is a kind of physical activity.
    assert _names(client, taxonomy_term_id=needs["physical"].oruk_id) == walk_and_sheds
    assert _names(client, taxonomy_term_id=needs["walking"].oruk_id) == {"Wednesday health walk"}
    assert _names(client, taxonomy_term_id="no-such-term") == set()
    taxonomies = {t["name"]: t["id"] for t in client.get("/oruk/taxonomies").json()["contents"]}
    assert _names(client, taxonomy_id=taxonomies["Signpost needs"]) == walk_and_sheds | {"Carers' café"}
    assert _names(client, taxonomy_id=taxonomies["Example council taxonomy"]) == set()
    # Ages as the profile words them: a minimum of at least, a maximum at or below.
    assert _names(client, minimum_age=50) == {f"Men's shed {n}" for n in range(1, 5)}
    assert _names(client, minimum_age=18) == {"Wednesday health walk"} | {f"Men's shed {n}" for n in range(1, 5)}
    assert _names(client, maximum_age=99) == {"Wednesday health walk"}
    assert _names(client, maximum_age=98.5) == set()
    # Day and times: one session must satisfy them together.
    assert _names(client, day="WE") == {"Wednesday health walk"}
    assert _names(client, day="thursday,FR") == {"Wednesday health walk", "Carers' café"}
    assert _names(client, day="TH", start_time="14:00", end_time="15:00") == {"Wednesday health walk"}
    assert _names(client, day="WE", start_time="14:00") == set()
    assert _names(client, start_time="17:30") == {"Carers' café"}
    assert _names(client, end_time="11:30") == walk_and_sheds
    # Incremental harvesting: changed since; an organisation's change counts for its services.
    assert _names(client, modified_after=(timezone.now() + timedelta(minutes=5)).isoformat()) == set()
    # Any offset ISO 8601 allows (PostgreSQL stores none beyond 15:59).
    assert _names(client, modified_after="2020-01-01T10:00:00+16:35") == PUBLIC
    since = timezone.now()
    carers = directory["activities"]["cafe"].get_parent()
    carers.save_revision().publish()
    assert _names(client, modified_after=since.isoformat()) == {"Carers' café", "Telephone friends"}
    cafe = client.get(f"/oruk/services/{directory['activities']['cafe'].oruk_id}").json()
    assert cafe["last_modified"] >= since.astimezone(dt_timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def test_postcode_and_proximity(client, directory):
    # Poole Park Café is ~20 m from BH15 1AB's centre; St Mary's Hall in Dorchester ~30 km.
    near = _names(client, "/oruk/service_at_locations", postcode="bh15 1ab", proximity=1000)
    assert near == {"Wednesday health walk"} | {f"Men's shed {n}" for n in range(5)}
    body = client.get("/oruk/service_at_locations", {"postcode": "BH15 1AB", "proximity": 40000}).json()
    assert [item["location"]["name"] for item in body["contents"]][-2:] == ["St Mary's Hall", "St Mary's Hall"]
    assert _names(client, "/oruk/service_at_locations", postcode="DT1 1XJ", proximity=1000) == {
        "Wednesday health walk", "Carers' café"}


BAD = [
    ("/oruk/services", {"page": "0"}, "page"),
    ("/oruk/services", {"page": "10001"}, "page"),
    ("/oruk/services", {"page": "1" * 30}, "page"),
    ("/oruk/taxonomy_terms", {"per_page": str(MAX_PER_PAGE + 1)}, "per_page"),
    ("/oruk/services", {"per_page": "five"}, "per_page"),
    ("/oruk/services", {"minimum_age": "abc"}, "minimum_age"),
    ("/oruk/services", {"maximum_age": "NaN"}, "maximum_age"),
    ("/oruk/services", {"day": "XX"}, "day"),
    ("/oruk/services", {"start_time": "25:00"}, "start_time"),
    ("/oruk/services", {"modified_after": "yesterday"}, "modified_after"),
    ("/oruk/services", {"modified_after": "9999-12-31T23:59:59-12:00"}, "modified_after"),
    ("/oruk/services", {"search": "walk\x00"}, "search"),
    ("/oruk/services", {"postcode": "BH15 1AB"}, "postcode"),
    ("/oruk/service_at_locations", {"proximity": "1000"}, "proximity"),
    ("/oruk/service_at_locations", {"postcode": "not a postcode"}, "postcode"),
    ("/oruk/service_at_locations", {"postcode": "BH15 1AB", "proximity": "-3"}, "proximity"),
]


def test_bad_parameters_are_a_400_that_says_what_is_wrong(client, home, postcodes):
    for url, params, parameter in BAD:
        body = _refused(client, url, params)
        assert list(body["errors"]) == [parameter], params
        assert body["detail"].startswith(f"{parameter}: ")


def test_unknown_ids_and_paths_are_json_404s(client, directory):
    for url in ("/oruk/services/nope", "/oruk/services/" + "9" * 300, "/oruk/service_at_locations/nope",
                "/oruk/service_at_locations/00000000-0000-0000-0000-000000000000", "/oruk/taxonomies/nope",
                "/oruk/taxonomy_terms/nope", "/oruk/organizations", "/oruk/schema/secrets.json"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response["Content-Type"] == "application/json" and response.json()["detail"]
        assert response["Access-Control-Allow-Origin"] == "*"


def test_a_service_at_a_location_is_found_by_the_id_the_list_gives(client, directory, needs):
    """Its id begins with its service's (found by index); a service whose id a feed gave in
    another shape is found too, and an id that was never given is not."""
    walkers = directory["activities"]["walk"].get_parent().specific
    make_activity(walkers, "Feed's own id", venue=make_venue("Poole Library"), oruk_id="council-feed:42")
    listed = client.get("/oruk/service_at_locations", {"per_page": 100}).json()["contents"]
    assert {item["service"]["name"] for item in listed} >= {"Wednesday health walk", "Feed's own id"}
    for item in listed:
        if item["service"]["id"][8:9] == "-":
            assert item["id"][:13] == item["service"]["id"][:13]
        detail = client.get(f"/oruk/service_at_locations/{item['id']}")
        assert detail.status_code == 200, item
        assert (detail.json()["service"]["name"], detail.json()["location"]["name"]) == (
            item["service"]["name"], item["location"]["name"])
    first = listed[0]["id"]
    assert client.get(f"/oruk/service_at_locations/{first[:13]}{'0' * 4}{first[17:]}").status_code == 404


def test_open_to_any_origin_and_read_only(client, directory):
    response = client.get("/oruk/services", HTTP_ORIGIN="https://council.example.gov.uk")
    assert response["Access-Control-Allow-Origin"] == "*"
    preflight = client.options("/oruk/services", HTTP_ORIGIN="https://council.example.gov.uk",
                               HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
                               HTTP_ACCESS_CONTROL_REQUEST_HEADERS="if-none-match")
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == "*"
    assert "GET" in preflight["Access-Control-Allow-Methods"]
    assert preflight["Access-Control-Allow-Headers"] == "if-none-match"
    refused = client.post("/oruk/services", {"name": "Spam"})
    assert refused.status_code == 405 and refused["Allow"] == "GET, HEAD, OPTIONS"
    assert refused["Access-Control-Allow-Origin"] == "*"


def test_conditional_get(client, directory):
    walk = directory["activities"]["walk"]
    first = client.get(f"/oruk/services/{walk.oruk_id}")
    assert first["ETag"] and "public" in first["Cache-Control"]
    again = client.get(f"/oruk/services/{walk.oruk_id}", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again["Access-Control-Allow-Origin"] == "*"
    walk.title = "Wednesday health walk and talk"
    walk.save_revision().publish()
    changed = client.get(f"/oruk/services/{walk.oruk_id}", HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and changed.json()["name"] == "Wednesday health walk and talk"


def test_the_default_page_size(client, directory):
    assert client.get("/oruk/taxonomy_terms").json()["size"] == DEFAULT_PER_PAGE


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_queries_do_not_grow_with_the_page(client, directory, needs):
    organisation = make_organisation("Hamworthy Men's Shed")
    for number in range(6):
        make_activity(organisation, f"Shed session {number}", venue=make_venue(), needs=[needs["loneliness"]],
                      sessions=[{"venue": make_venue(), "weekday": day} for day in range(3)])
    _queries(client, "/oruk/services")  # the first request caches the site's root paths (for page URLs)
    figures = {}
    for endpoint in ("/oruk/services?search=shed&day=MO", "/oruk/service_at_locations?postcode=BH15+1AB&proximity=5000",
                     "/oruk/services", "/oruk/service_at_locations", "/oruk/taxonomy_terms"):
        joiner = "&" if "?" in endpoint else "?"
        small, large = (_queries(client, f"{endpoint}{joiner}per_page={size}") for size in (1, 12))
        assert small == large, endpoint
        figures[endpoint] = large
    assert max(figures.values()) <= 7, figures
    shed = make_activity(organisation, "Big shed", sessions=[{"venue": make_venue(), "weekday": d % 7} for d in range(9)],
                         needs=list(needs.values()))
    walk = directory["activities"]["walk"]
    assert _queries(client, f"/oruk/services/{shed.oruk_id}") == _queries(client, f"/oruk/services/{walk.oruk_id}") <= 7
