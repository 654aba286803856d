"""Importing feeds shaped like councils' real ones (issue 14): deviations read with a warning,
HTML cleaned, --skip-invalid, and an ORUK API read over HTTP from a fake feed server."""

import json
import socket
import threading
import time
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup
from django.core.management import CommandError, call_command
from django.utils import timezone
from wagtail.models import Revision

from directory.models import ActivityPage, ActivitySession, NeedTerm, OrganisationPage, Venue
from directory.oruk.cleaning import phone_number, rich_text
from directory.oruk.fetching import FeedClient, FeedError
from directory.oruk.importer import ImportFileError, import_feed
from search.selectors import search_activities
from search.types import SearchQuery

pytestmark = pytest.mark.django_db

FEED = Path(__file__).resolve().parent.parent / "fixtures" / "oruk" / "feed"
WALKING = "1a2b3c4d-0001-4e5f-8a9b-0c1d2e3f4a01"
NORDIC = "1a2b3c4d-0002-4e5f-8a9b-0c1d2e3f4a02"
HOME_VISITS = "1a2b3c4d-0003-4e5f-8a9b-0c1d2e3f4a03"
INVALID = "1a2b3c4d-0004-4e5f-8a9b-0c1d2e3f4a04"


def _fresh(services: list[dict]) -> list[dict]:
    """The fixtures' services, last modified (without an offset, as the council writes it)
    this morning, so that the listings are not hidden as stale whenever the test runs."""
    today = timezone.localdate()
    for number, service in enumerate(services):
        service["last_modified"] = f"{today.isoformat()}T0{number}:15:00"
    return services


def _council_services() -> list[dict]:
    return _fresh(json.loads((FEED / "council_page.json").read_text())["contents"])


def _page_file(tmp_path, services) -> Path:
    page = {"total_items": len(services), "total_pages": 1, "page_number": 1, "size": len(services),
            "first_page": True, "last_page": True, "empty": False, "contents": services}
    path = tmp_path / "page.json"
    path.write_text(json.dumps(page))
    return path


def _import(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_directory", *map(str, args), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _counts() -> dict:
    return {
        model.__name__: model.objects.count()
        for model in (OrganisationPage, ActivityPage, ActivitySession, Venue, NeedTerm, Revision)
    }


# --- A council's page of services ------------------------------------------------------------


def test_a_councils_feed_imports_with_a_warning_for_each_deviation(home, postcodes, tmp_path):
    out, err = _import(_page_file(tmp_path, _council_services()))

    assert "activities     3 created" in out
    warnings = [line.removeprefix("Warning: ") for line in err.splitlines()]
    # Feed-wide habits: said once for the whole import, with how many services show them.
    assert "Timestamps without a UTC offset were read as UK local time (Europe/London): last_modified (in 3 services)." in warnings
    assert "Ages of -1 were read as no limit: maximum_age (in 1 service), minimum_age (in 1 service)." in warnings
    [unknown] = [line for line in warnings if "schema does not define" in line]
    for path in ("x_ward (in 1 service)", "organization.x_lga_code (in 1 service)",
                 "service_at_locations[].location.x_uprn (in 1 service)",
                 "service_at_locations[].location.x_what3words (in 1 service)"):
        assert path in unknown
    # One record's own: named by service and field.
    assert f"service {WALKING}: phones[0].number: kept the number 01202 123456 and left out the words '(Mon-Fri)'" in warnings
    assert f"service {NORDIC}: phones[0].number: kept the number 0800 123 4567 and left out the words 'Freephone'" in warnings
    assert (f"service {WALKING}: service_at_locations[0].location.addresses[0].city: is blank: "
            "the venue is listed without a town") in warnings
    assert (f"service {NORDIC}: service_at_locations[0].location.addresses: none given: "
            "the venue is placed by its latitude and longitude alone") in warnings

    walking = ActivityPage.objects.get(oruk_id=WALKING)
    assert (walking.min_age, walking.max_age) == (None, None)
    assert walking.contact_phone == "01202 123456"
    assert walking.last_reviewed == timezone.localdate()
    park_cafe = Venue.objects.get(name="Poole Park café")
    assert (park_cafe.town, park_cafe.postcode) == ("", "BH15 1AB")
    assert park_cafe.directions == "Meet outside the café by the boating lake."

    nordic = ActivityPage.objects.get(oruk_id=NORDIC)
    assert nordic.contact_phone == "0800 123 4567"
    flagpole = Venue.objects.get(name="Baiter Park flagpole")
    assert (flagpole.address_1, flagpole.postcode) == ("", "")
    assert (float(flagpole.latitude), float(flagpole.longitude)) == (50.7116, -1.9772)
    assert nordic.sessions.get().venue == flagpole

    visits = ActivityPage.objects.get(oruk_id=HOME_VISITS)
    assert visits.service_area_list == ["Poole", "Broadstone"]
    assert not visits.sessions.exists()
    organisation = OrganisationPage.objects.get()
    assert organisation.description == "Poole Community Connect links residents with local groups and support.\n\nRegistered charity."


def test_imported_pages_show_the_feeds_html_cleaned(home, postcodes, tmp_path, client):
    _import(_page_file(tmp_path, _council_services()))
    walking = ActivityPage.objects.get(oruk_id=WALKING)

    # Kept as rich text: paragraphs, a list and the safe link; headings made bold paragraphs.
    assert walking.summary == "Walking for Health"
    assert "<p><b>What to expect</b></p>" in walking.description
    assert "<ul><li>Comfortable shoes</li><li>A bottle of water</li></ul>" in walking.description
    assert 'href="https://www.walkingforhealth.org.uk/"' in walking.description

    response = client.get(walking.url)
    assert response.status_code == 200
    html = response.content.decode()
    soup = BeautifulSoup(html, "html.parser")
    assert [h1.get_text(strip=True) for h1 in soup.find_all("h1")] == ["Walking for Health: Poole Park"]
    assert "evil.example" not in html and "document.cookie" not in html
    assert not [tag.name for tag in soup.find_all(True) if any(name.startswith("on") for name in tag.attrs)]
    assert not [a for a in soup.find_all("a") if a.get("href", "").strip().lower().startswith("javascript:")]
    assert "<img" not in str(soup.find("main") or soup)
    link = soup.find("a", string="Walking for Health")
    assert link["rel"] == ["nofollow", "noopener", "noreferrer"] and not link.get("target")


def test_a_service_covering_areas_without_a_venue_says_so_and_is_found(home, postcodes, tmp_path, client):
    _import(_page_file(tmp_path, _council_services()))
    visits = ActivityPage.objects.get(oruk_id=HOME_VISITS)

    soup = BeautifulSoup(client.get(visits.url).content, "html.parser")
    assert soup.find(class_="signpost-covers").get_text(strip=True) == "Covers: Poole, Broadstone."
    assert soup.find("address") is None
    # Plain text stays plain: escaped paragraphs from blank lines.
    assert visits.description == "<p>Ask your GP, nurse or link worker to refer you, or ring us yourself.</p>"

    by_text = search_activities(query=SearchQuery(text="befriending"))
    assert [hit.activity_id for hit in by_text.hits] == [visits.pk]
    loneliness = NeedTerm.objects.get(oruk_id="7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e41")
    by_need = search_activities(query=SearchQuery(needs=(loneliness.pk,)))
    assert [hit.activity_id for hit in by_need.hits] == [visits.pk]


# --- All or nothing, or --skip-invalid ---------------------------------------------------------


def _with_invalid(tmp_path) -> Path:
    path = tmp_path / "services.json"
    path.write_text(json.dumps(_fresh(json.loads((FEED / "with_invalid_record.json").read_text()))))
    return path


def test_an_invalid_record_without_skip_invalid_changes_nothing(home, postcodes, tmp_path):
    before = _counts()
    with pytest.raises(CommandError) as raised:
        _import(_with_invalid(tmp_path))

    assert _counts() == before
    message = str(raised.value)
    assert "Nothing was imported: 2 problems in 1 of 3 service records." in message
    assert f"service {INVALID}: schedules[0].byday: 'XX' is not a weekday" in message
    assert f"service {INVALID}: schedules[0].closes_at: must be after opens_at" in message
    assert WALKING not in message and HOME_VISITS not in message


def test_skip_invalid_imports_the_others_and_names_each_skipped_record_with_why(home, postcodes, tmp_path):
    out, _ = _import(_with_invalid(tmp_path), "--skip-invalid")

    assert set(ActivityPage.objects.values_list("oruk_id", flat=True)) == {WALKING, HOME_VISITS}
    assert "Skipped 1 invalid service:" in out
    [line] = [line for line in out.splitlines() if INVALID in line]
    assert "schedules[0].byday: 'XX' is not a weekday" in line and "closes_at: must be after opens_at" in line


def test_a_skipped_record_that_described_an_organisation_skips_those_that_name_it(home, postcodes, tmp_path):
    services = _council_services()
    services[0]["schedules"][0]["byday"] = "XX"  # the walk describes the organisation the others name by id
    report = import_feed(_page_file(tmp_path, services), skip_invalid=True)

    assert report.services == 0 and not ActivityPage.objects.exists()
    reasons = {skipped.oruk_id: skipped.reasons for skipped in report.skipped}
    assert reasons[WALKING] == ("schedules[0].byday: 'XX' is not a weekday (use MO, TU, WE, TH, FR, SA or SU)",)
    assert "organization_id: no organisation" in reasons[NORDIC][0]
    assert set(reasons) == {WALKING, NORDIC, HOME_VISITS}


# --- An ORUK API over HTTP: a fake feed server at the edge -------------------------------------


class FakeFeed:
    """An ORUK 3.0 API serving ``services`` two to a page, lists as summaries; ``failures``
    maps a path to how many times it answers ``status`` before it answers properly."""

    SUMMARY_KEYS = ("id", "organization_id", "name", "description", "url", "email", "status", "fees",
                    "minimum_age", "maximum_age", "assured_date", "last_modified", "organization")

    def __init__(self, services, *, per_page=2):
        self.services = services
        self.per_page = per_page
        self.failures: dict[str, int] = {}
        self.status = 503
        self.requests: list[tuple[str, dict]] = []
        feed = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                feed.answer(self)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/api/v3"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def paths(self) -> list[str]:
        return [path for path, _ in self.requests]

    def answer(self, handler):
        parts = urlsplit(handler.path)
        path, query = parts.path.removeprefix("/api/v3"), {k: v[0] for k, v in parse_qs(parts.query).items()}
        self.requests.append((path, query))
        if self.failures.get(path, 0) > 0:
            self.failures[path] -= 1
            return self._send(handler, self.status, {"error": "busy"})
        if path == "/services":
            number = int(query.get("page", 1))
            chunk = self.services[(number - 1) * self.per_page : number * self.per_page]
            pages = max(-(-len(self.services) // self.per_page), 1)
            return self._send(handler, 200, {
                "total_items": len(self.services), "total_pages": pages, "page_number": number, "size": len(chunk),
                "first_page": number == 1, "last_page": number >= pages, "empty": not chunk,
                "contents": [{k: v for k, v in s.items() if k in self.SUMMARY_KEYS} for s in chunk],
            })
        for service in self.services:
            if path == f"/services/{service['id']}":
                return self._send(handler, 200, service)
        return self._send(handler, 404, {"error": "not found"})

    @staticmethod
    def _send(handler, status, body):
        data = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def feed():
    server = FakeFeed(_council_services())
    yield server
    server.close()


def _client(**options) -> FeedClient:
    return FeedClient(**{"rate": 1000, "timeout": 5, "retries": 2, "backoff": 0.01, **options})


def test_an_api_is_read_page_by_page_and_each_service_fetched_in_full(home, postcodes, feed):
    out, err = _import(feed.url, "--rate", "100")

    assert feed.paths() == ["/services", "/services", f"/services/{WALKING}", f"/services/{NORDIC}",
                            f"/services/{HOME_VISITS}"]
    assert [query.get("page") for _, query in feed.requests[:2]] == ["1", "2"]
    assert "activities     3 created" in out
    # In full: the schedules, the venues and the areas are not in the list's summaries.
    assert ActivityPage.objects.get(oruk_id=WALKING).sessions.count() == 1
    assert ActivityPage.objects.get(oruk_id=HOME_VISITS).service_area_list == ["Poole", "Broadstone"]
    assert "kept the number 01202 123456" in err


def test_a_503_is_tried_again_and_then_succeeds(home, postcodes, feed):
    feed.failures = {"/services": 1, f"/services/{NORDIC}": 2}
    report = import_feed(feed.url, client=_client(retries=2))

    assert report.services == 3
    assert feed.paths().count("/services") == 3  # page 1 twice, page 2 once
    assert feed.paths().count(f"/services/{NORDIC}") == 3


def test_a_feed_that_keeps_failing_is_refused_clearly_and_changes_nothing(home, postcodes, feed):
    before = _counts()
    feed.failures = {f"/services/{HOME_VISITS}": 99}
    with pytest.raises(FeedError) as raised:
        import_feed(feed.url, client=_client(retries=2))

    assert str(raised.value) == (f"{feed.url}/services/{HOME_VISITS} failed 3 times; "
                                 "the last time it answered 503 Service Unavailable.")
    assert _counts() == before

    feed.failures = {"/services": 99}
    with pytest.raises(CommandError, match=r"failed 1 time; the last time it answered 503 Service Unavailable"):
        _import(feed.url, "--retries", "0")
    assert _counts() == before


def test_a_404_is_not_tried_again(home, feed):
    feed.failures, feed.status = {"/services": 99}, 404
    with pytest.raises(FeedError, match="answered 404 Not Found"):
        import_feed(feed.url, client=_client(retries=3))
    assert feed.paths() == ["/services"]


def test_a_server_that_does_not_answer_in_time_is_tried_again_then_refused(home):
    # A server that accepts the connection and never answers.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    try:
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/api"
        with pytest.raises(FeedError, match=r"failed 2 times; the last time it had no answer within 0.2 seconds"):
            import_feed(url, client=_client(timeout=0.2, retries=1))
    finally:
        silent.close()
    assert not ActivityPage.objects.exists()


def test_modified_after_is_passed_on_and_honoured_when_the_feed_ignores_it(home, postcodes, feed):
    import_feed(feed.url, client=_client())  # the first, full harvest
    feed.requests.clear()
    since = datetime.fromisoformat(f"{timezone.localdate().isoformat()}T00:30:00")  # UK time

    # The fake ignores modified_after, as some feeds do: only the later services are fetched.
    report = import_feed(feed.url, modified_after=since, client=_client())

    assert {query.get("modified_after") for path, query in feed.requests if path == "/services"} == {
        since.replace(tzinfo=ZoneInfo("Europe/London")).isoformat()
    }
    assert f"/services/{WALKING}" not in feed.paths()
    assert f"/services/{NORDIC}" in feed.paths()
    assert set(report.activities) == {NORDIC, HOME_VISITS}


def test_modified_after_applies_to_a_file_too(home, postcodes, tmp_path):
    _import(_page_file(tmp_path, _council_services()))
    services = _council_services()
    services[0]["name"] = "Renamed, but not modified since"  # last modified at 00:15
    services[2]["name"] = "Home from Hospital visits"  # last modified at 02:15

    out, _ = _import(_page_file(tmp_path, services), "--modified-after", f"{timezone.localdate().isoformat()}T01:30")

    assert "Left out 2 not modified since the date given." in out
    assert ActivityPage.objects.get(oruk_id=WALKING).title == "Walking for Health: Poole Park"
    assert ActivityPage.objects.get(oruk_id=HOME_VISITS).title == "Home from Hospital visits"


def test_the_report_says_what_each_service_became(home, postcodes, tmp_path):
    path = _page_file(tmp_path, _council_services())
    assert import_feed(path).created == [WALKING, NORDIC, HOME_VISITS]
    services = _council_services()
    services[1]["name"] = "Nordic walking at Baiter Park (new time)"
    report = import_feed(_page_file(tmp_path, services))
    assert (report.updated, report.unchanged) == ([NORDIC], [WALKING, HOME_VISITS])


def test_a_missing_directory_is_reported_before_any_request(db, feed):
    with pytest.raises(ImportFileError, match="run manage.py setup_site first"):
        import_feed(feed.url, client=_client())
    assert feed.requests == []


# --- Cleaning --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tea & cake <3\n\nEvery week.", "<p>Tea &amp; cake &lt;3</p><p>Every week.</p>"),
        ("<h1>Title</h1><h2>Part</h2>", "<p><b>Title</b></p><p><b>Part</b></p>"),
        ('<p><a href="JaVaScRiPt:alert(1)">x</a></p>', '<p><a rel="nofollow noopener noreferrer">x</a></p>'),
        ('<p onclick="x()" style="color:red">Hi <em>there</em></p>', "<p>Hi <em>there</em></p>"),
        ("Loose <b>text</b><ul><li>one</li></ul>", "<p>Loose <b>text</b></p><ul><li>one</li></ul>"),
        ('<a href="mailto:a@b.org">mail</a>', '<p><a href="mailto:a@b.org" rel="nofollow noopener noreferrer">mail</a></p>'),
    ],
)
def test_rich_text_from_a_feed(text, expected):
    assert rich_text(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("01202 123456 (Mon-Fri)", ("01202 123456", "(Mon-Fri)")),
        ("Freephone 0800 123 4567", ("0800 123 4567", "Freephone")),
        ("(01202) 123456", ("(01202) 123456", "")),
        ("+44 1202 123456", ("+44 1202 123456", "")),
        ("Ring reception", ("", "Ring reception")),
    ],
)
def test_the_number_in_a_phone_field(text, expected):
    assert phone_number(text) == expected


def test_requests_keep_to_the_rate(home, postcodes, feed):
    started = time.monotonic()
    import_feed(feed.url, client=_client(rate=10))
    # Five requests at ten a second: four intervals of at least 0.1 s between them.
    assert len(feed.requests) == 5 and time.monotonic() - started >= 0.4
