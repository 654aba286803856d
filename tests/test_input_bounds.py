"""Numbers too large for the database, from a URL, a query or a form, are a clear 4xx, never a 500.

Each input here once gave a server error (issue 16); the bounds are kept once, in ``common.bounds``.
"""

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice
from wagtail.documents import get_document_model
from wagtail.models import Collection, CollectionViewRestriction, PageViewRestriction

from common.bounds import parse_id
from factories.referrals import make_link_worker, make_service
from pages.models import StandardPage
from tests.accounts import current_code

HUGE = "4611686018427387904"  # 2**62: fits Python, not SQLite's or PostgreSQL's integers once multiplied
TWENTY_DIGITS = "12345678901234567890"  # more than any 64-bit integer
TOO_LONG_FOR_INT = "9" * 5000  # Python's int() refuses strings of more than 4,300 digits


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
        # Wagtail's document URLs, found by the fuzz test (tests/test_public_inputs_fuzz.py).
        f"/documents/{TOO_LONG_FOR_INT}/report.pdf",
        f"/documents/{TWENTY_DIGITS}/report.pdf",
        f"/documents/authenticate_with_password/{TOO_LONG_FOR_INT}/",
    ],
)
def test_a_number_too_large_is_not_a_server_error(client_raising, home, postcodes, path):
    response = client_raising.get(path)
    assert response.status_code < 500


@pytest.mark.django_db
def test_a_document_is_still_served_at_its_address_with_the_ids_bounded(client, home, settings):
    # The test storage keeps files in memory, which Wagtail can only serve by redirecting to them.
    settings.WAGTAILDOCS_SERVE_METHOD = "redirect"
    document = get_document_model().objects.create(title="Timetable", file=ContentFile(b"Tuesdays", "timetable.txt"))
    response = client.get(document.url)
    assert (response.status_code, response["Location"]) == (302, document.file.url)
    assert client.get(document.url.replace(str(document.pk), TOO_LONG_FOR_INT, 1)).status_code == 404


@pytest.fixture
def password_forms(home):
    """A page behind a shared password, and the documents too (Wagtail's password forms)."""
    page = StandardPage.objects.get(slug="accessibility")
    restriction = PageViewRestriction.objects.create(page=page, restriction_type="password", password="open sesame")
    documents = CollectionViewRestriction.objects.create(
        collection=Collection.get_first_root_node(), restriction_type="password", password="open sesame"
    )
    return {
        "page": f"/_util/authenticate_with_password/{restriction.pk}/{page.pk}/",
        "documents": f"/documents/authenticate_with_password/{documents.pk}/",
        "private": page.url,
    }


@pytest.mark.django_db
@pytest.mark.parametrize("form", ["page", "documents"])
@pytest.mark.parametrize("return_url", ["0", "directory", "wagtailadmin_home"])
def test_a_password_form_with_a_return_address_that_is_no_address_goes_home(
    client_raising, password_forms, form, return_url
):
    # Wagtail's redirect() took such a word for the name of a URL pattern: a 500 for "0" (fuzz test).
    response = client_raising.post(password_forms[form], {"password": "open sesame", "return_url": return_url})
    assert (response.status_code, response["Location"]) == (302, "/")


@pytest.mark.django_db
def test_a_password_form_still_returns_to_the_page_it_unlocks(client, password_forms):
    private = password_forms["private"]
    assert "Accessibility statement" not in client.get(private).content.decode()
    wrong = client.post(password_forms["page"], {"password": "guess", "return_url": private})
    assert wrong.status_code == 200
    response = client.post(password_forms["page"], {"password": "open sesame", "return_url": private})
    assert (response.status_code, response["Location"]) == (302, private)
    assert "Accessibility statement" in client.get(private).content.decode()


@pytest.fixture
def database_cache(settings, db):
    """The cache as in production: a table whose keys are at most 255 characters, without NUL."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "test_cache"}}
    call_command("createcachetable", verbosity=0)


@pytest.mark.django_db
def test_asking_for_a_password_reset_for_any_address_is_not_a_server_error(client_raising, home, database_cache):
    # The throttle's cache key held the address as typed: with NUL, a 500 on PostgreSQL (fuzz test).
    response = client_raising.post("/admin/password_reset/", {"email": "kim\x00@example.org"})
    assert response.status_code < 500


@pytest.mark.django_db
def test_reset_emails_for_a_long_address_are_counted_too(client, home, database_cache, settings):
    # A key longer than the cache's column was silently not stored: such an address was never throttled.
    settings.PASSWORD_RESET_EMAILS_LIMIT = 2
    address = "k" * 240 + "@example.org"
    statuses = [client.post("/admin/password_reset/", {"email": address}).status_code for _ in range(3)]
    assert statuses == [302, 302, 429]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/admin/login/", "/_util/login/"])
def test_signing_in_with_a_very_long_username_is_a_wrong_password(client_raising, home, path):
    # Sign-in throttling stored the username as typed in a 255-character column: on PostgreSQL a
    # longer one was a 500 (fuzz test). Needs AXES_USERNAME_CALLABLE = "common.requests.client_username".
    response = client_raising.post(path, {"username": "x" * 300, "password": "wrong"})
    assert response.status_code == 200
    assert "username" in response.content.decode().lower()


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


@pytest.mark.django_db
@pytest.mark.parametrize("next_url", ["0", "caseload", "https://evil.example/", "//evil.example/"])
def test_a_next_address_that_is_not_a_path_on_this_site_is_ignored(client, next_url):
    """``next=0`` was read by redirect() as a URL pattern's name: a 500 after the second factor."""
    worker = make_link_worker(service=make_service(), username="nextcheck")
    device = TOTPDevice.objects.create(user=worker, name="Phone", confirmed=True)
    client.force_login(worker)
    response = client.post("/account/two-factor/", {"code": current_code(device), "next": next_url})
    assert response.status_code == 302 and response["Location"] == "/referrals/"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    ["/api/v1/referrals/SP-AAAAAAA/plan/goals/99999999999999999999/",
     "/api/v1/referrals/SP-AAAAAAA/plan/actions/99999999999999999999/",
     "/api/v1/referrals/SP-AAAAAAA/contacts/99999999999999999999/result/"],
)
def test_casework_ids_too_large_for_the_database_are_not_found(client, path):
    assert client.post(path, {}, content_type="application/json").status_code == 404
