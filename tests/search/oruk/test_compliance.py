"""What the Open Referral UK validator checks, done here: level 1 (``/``, ``/services``,
``/services/{id}``), level 2 (taxonomies, taxonomy terms, services at locations), every answer
validated against the profile's compiled schemas, and pagination at ``per_page=5`` on the first,
a middle and the last page, as the validator pages through a feed."""

import hashlib

import pytest

from directory.oruk.schemas import SCHEMA_DIR
from factories.directory import make_activity, make_organisation, make_venue
from search.oruk.openapi import SERVED_SCHEMAS
from tests.search.oruk.conftest import REGISTRY, profile_uri, schema_errors

pytestmark = pytest.mark.django_db

LISTS = {
    "/oruk/services": ("service_list.json", "/oruk/services/{}", "service.json"),
    "/oruk/service_at_locations": ("service_at_location_list.json", "/oruk/service_at_locations/{}",
                                   "service_at_location.json"),
    "/oruk/taxonomies": ("taxonomy.json", "/oruk/taxonomies/{}", "taxonomy.json"),
    "/oruk/taxonomy_terms": ("taxonomy_term.json", "/oruk/taxonomy_terms/{}", "taxonomy_term.json"),
}
PAGE_HEADER = {"total_items": int, "total_pages": int, "page_number": int, "size": int, "first_page": bool,
               "last_page": bool, "empty": bool, "contents": list}


def _get(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, (url, params, response.content[:300])
    assert response["Content-Type"] == "application/json"
    return response.json()


def _all_pages(client, endpoint, per_page=100) -> list[dict]:
    items, page = [], 1
    while True:
        body = _get(client, endpoint, per_page=per_page, page=page)
        items += body["contents"]
        if body["last_page"]:
            return items
        page += 1


def test_level_1_the_api_says_what_it_is(client, directory):
    details = _get(client, "/oruk/")
    assert details["version"] == "HSDS-UK-3.0"
    assert details["profile"].startswith("https://")
    assert details["openapi_url"] == "http://testserver/oruk/openapi.json"
    document = _get(client, details["openapi_url"])
    assert document["servers"] == [{"url": "http://testserver/oruk"}]
    assert {"/", "/services", "/services/{id}", "/service_at_locations", "/service_at_locations/{id}", "/taxonomies",
            "/taxonomies/{id}", "/taxonomy_terms", "/taxonomy_terms/{id}"} <= set(document["paths"])
    # Its schemas are served here, and are the ones the tests validate against.
    ref = document["paths"]["/services/{id}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert ref == "http://testserver/oruk/schema/service.json"
    assert _get(client, ref) == REGISTRY.contents(profile_uri("service.json"))


def test_every_list_and_every_item_validates_against_the_compiled_schemas(client, directory):
    for endpoint, (item_schema, detail_url, detail_schema) in LISTS.items():
        body = _get(client, endpoint)
        assert {name: type(value) for name, value in body.items()} == PAGE_HEADER
        items = _all_pages(client, endpoint)
        assert items and len(items) == body["total_items"]
        assert len({item["id"] for item in items}) == len(items)
        for item in items:
            assert schema_errors(item_schema, item) == [], (endpoint, item["id"])
            detail = _get(client, detail_url.format(item["id"]))
            assert detail["id"] == item["id"]
            assert schema_errors(detail_schema, detail) == [], (detail_url, item["id"])


def test_level_1_services_are_the_public_directory_fully_nested(client, directory):
    walk = directory["activities"]["walk"]
    service = _get(client, f"/oruk/services/{walk.oruk_id}")
    assert service["name"] == "Wednesday health walk"
    assert service["organization"]["name"] == "Poole Walkers"
    assert [s["location"]["name"] for s in service["service_at_locations"]] == ["Poole Park Café", "St Mary's Hall"]
    assert len(service["schedules"]) == 3
    assert {a["taxonomy_term"]["name"] for a in service["attributes"]} == {"Walking", "Loneliness and isolation"}
    assert service["phones"][0]["number"] == "01202 123456"
    # The services at its locations are those /service_at_locations lists, by the same ids.
    listed = {item["id"]: item for item in _all_pages(client, "/oruk/service_at_locations")}
    for sal in service["service_at_locations"]:
        assert listed[sal["id"]]["service_id"] == service["id"]
        detail = _get(client, f"/oruk/service_at_locations/{sal['id']}")
        assert detail["location"]["addresses"] == sal["location"]["addresses"]
        # Its schedules are those at that location.
        assert {s["service_at_location_id"] for s in detail["service"]["schedules"]} == {sal["id"]}


def _check_page(body, *, page, per_page, total_pages):
    """The validator's checks of one page (PaginationTestingService.ValidatePageDetails)."""
    assert body["first_page"] is (page == 1)
    assert body["last_page"] is (page == total_pages)
    assert body["empty"] is (len(body["contents"]) == 0)
    assert len(body["contents"]) == per_page or (len(body["contents"]) < per_page and body["last_page"])
    assert body["size"] == len(body["contents"])
    assert body["page_number"] == page


def test_pagination_at_5_a_page_as_the_validator_checks_it(client, directory):
    # Enough for several pages of every list but taxonomies (two): 8 + 7 services, each at a venue.
    organisation = make_organisation("Hamworthy Men's Shed")
    for number in range(7):
        make_activity(organisation, f"Shed session {number}", venue=make_venue(f"Shed {number}"))
    for endpoint in LISTS:
        _check_pagination(client, endpoint)


def _check_pagination(client, endpoint):
    first = _get(client, endpoint, per_page=5, page=1)
    total_pages = first["total_pages"]
    assert total_pages >= 3 or endpoint == "/oruk/taxonomies"
    assert total_pages == max(1, -(-first["total_items"] // 5))
    seen = []
    for page in range(1, total_pages + 1):  # first, every middle one, and the last
        body = first if page == 1 else _get(client, endpoint, per_page=5, page=page)
        _check_page(body, page=page, per_page=5, total_pages=total_pages)
        assert body["total_items"] == first["total_items"] and body["total_pages"] == total_pages
        seen += [item["id"] for item in body["contents"]]
    # Every item once, and no other.
    assert len(seen) == len(set(seen)) == first["total_items"]
    # Beyond the last page: an empty page, not an error.
    beyond = _get(client, endpoint, per_page=5, page=total_pages + 1)
    assert beyond["empty"] is True and beyond["size"] == 0 and beyond["first_page"] is False


def test_an_empty_directory_is_one_empty_page(client, home):
    body = _get(client, "/oruk/services")
    assert body == {"total_items": 0, "total_pages": 1, "page_number": 1, "size": 0, "first_page": True,
                    "last_page": True, "empty": True, "contents": []}


def test_the_vendored_schemas_are_the_profiles_unchanged():
    readme = (SCHEMA_DIR / "README.md").read_text()
    for name in ("openapi.json", *SERVED_SCHEMAS):
        assert hashlib.sha256((SCHEMA_DIR / name).read_bytes()).hexdigest() in readme, name
