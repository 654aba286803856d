"""Numbers too large for the database, from a URL, a query or a form, are a clear 4xx, never a 500.

Each input here once gave a server error (issue 16); the bounds are kept once, in ``common.bounds``.
"""

import pytest

from common.bounds import parse_id

HUGE = "4611686018427387904"  # 2**62: fits Python, not SQLite's or PostgreSQL's integers once multiplied
TWENTY_DIGITS = "12345678901234567890"  # more than any 64-bit integer


@pytest.fixture
def client_raising(client):
    client.raise_request_exception = True
    return client


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        f"/activities/{TWENTY_DIGITS}/sessions.ics",
        f"/venues/{TWENTY_DIGITS}/",
        f"/refer-yourself/?activity={TWENTY_DIGITS}",
        f"/find/?postcode=BH15+1AB&page={HUGE}",
        f"/find/?page={HUGE}",
        f"/api/v1/activities/?page={HUGE}",
        f"/api/v1/activities/?postcode=BH15+1AB&page={HUGE}",
        f"/api/v1/activities/?page_size={HUGE}",
    ],
)
def test_a_number_too_large_is_not_a_server_error(client_raising, home, postcodes, path):
    response = client_raising.get(path)
    assert response.status_code < 500


@pytest.mark.django_db
def test_a_page_too_deep_is_a_clear_error_on_the_search_api(client, home):
    response = client.get("/api/v1/activities/", {"page": "4611686018427387904"})
    assert response.status_code == 400
    assert "Pages go up to 10,000." in str(response.json())


@pytest.mark.django_db
def test_a_page_too_deep_is_shown_as_a_mistake_on_the_find_page(client, home, postcodes):
    response = client.get("/find/", {"postcode": "BH15 1AB", "page": "4611686018427387904"})
    assert response.status_code == 200
    assert "Pages go up to 10,000." in response.content.decode()


@pytest.mark.parametrize("value", ["0", "-1", "9223372036854775808", "1" * 5000, "", None, "12a", True])
def test_parse_id_refuses_what_names_no_row(value):
    assert parse_id(value) is None


@pytest.mark.parametrize("value, expected", [("1", 1), (" 42 ", 42), ("9223372036854775807", 2**63 - 1), (7, 7)])
def test_parse_id_reads_ids(value, expected):
    assert parse_id(value) == expected
