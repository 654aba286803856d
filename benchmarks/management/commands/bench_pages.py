"""`manage.py bench_pages`: the page budgets of issue 5, measured on the demo data.

For the home page, search results (a postcode and radius; the same with a need) and
activity pages, it reports:

- server time, p50 and p95 over ``--requests`` requests after ``--warmup`` unmeasured ones.
  Requests go through Django's test ``Client`` in this process: the whole middleware stack,
  URL routing, views and templates, with no network, web server or browser. Whitenoise's
  static files are not timed;
- SQL queries per request, and whether the count is the same for a second page of the
  same kind with other data (another activity; another postcode and need);
- bytes transferred gzip-compressed (level 6, as a web server would) of the HTML, and of
  every stylesheet and script under ``STATIC_URL`` the HTML links to.

Run it on a scratch database holding the demo (`make bench-pages` makes one in var/), not
on a database people use: it only reads, but 1,000+ requests make a lot of noise in logs.
"""

import gzip
import json
import os
import statistics
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from benchmarks.measuring import percentile
from directory.models import ActivityPage, NeedTerm

P95_BUDGET_MS = 100
ASSET_BUDGET_BYTES = 100 * 1024


class _Assets(HTMLParser):
    """The stylesheets and scripts a page links to."""

    def __init__(self):
        super().__init__()
        self.css: list[str] = []
        self.js: list[str] = []
        self.inline_js: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and "stylesheet" in (attrs.get("rel") or "").split() and attrs.get("href"):
            self.css.append(attrs["href"])
        elif tag == "script":
            if attrs.get("src"):
                self.js.append(attrs["src"])
            else:
                self._in_script = True

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.inline_js.append(data)
            # Modules imported by an inline module script (`import {...} from "/static/..."`).
            for part in data.split('"'):
                if part.startswith(settings.STATIC_URL) and part.endswith(".js"):
                    self.js.append(part)


def _gzip_size(content: bytes) -> int:
    return len(gzip.compress(content, compresslevel=6, mtime=0))


def _static_bytes(url: str) -> bytes:
    path = urlsplit(url).path
    if not path.startswith(settings.STATIC_URL):
        raise CommandError(f"{url} is not served from {settings.STATIC_URL}: this benchmark cannot size it.")
    found = finders.find(path[len(settings.STATIC_URL) :])
    if not found:
        raise CommandError(f"{url} is not a static file; build the frontend first (make frontend).")
    return Path(found).read_bytes()


class Command(BaseCommand):
    help = "Measure server time, SQL queries and compressed bytes of the home, search and activity pages (demo data)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--requests", type=int, default=200, help="Timed requests per page (default 200).")
        parser.add_argument("--warmup", type=int, default=10, help="Untimed requests first, per page (default 10).")
        parser.add_argument(
            "--out",
            default=os.environ.get("BENCH_OUT", "benchmarks/results/pages.json"),
            help="Where to write the figures as JSON (default $BENCH_OUT or benchmarks/results/pages.json).",
        )

    def handle(self, *args, requests: int, warmup: int, out: str, **options) -> None:
        live = ActivityPage.objects.live().public().order_by("path")
        # Two activities of different organisations, with different sessions, venues and needs.
        activities = [live.first(), live.last()]
        if live.count() < 2:
            raise CommandError("No demo data: run `manage.py load_demo` on this database first (or `make bench-pages`).")

        need = NeedTerm.objects.filter(slug="physical-activity").first() or NeedTerm.objects.order_by("pk").first()
        other_need = NeedTerm.objects.exclude(pk=need.pk).order_by("pk").first()

        # Each page, and a second page of the same kind with other data for the query count
        # (the home page has no second page: the same page is asked for again).
        pages = [
            ("home", "/", "/"),
            ("search", "/find/?postcode=BH15+1AB&radius=3", "/find/?postcode=BH15+1AB&radius=3&page=2"),
            (
                "search with a need",
                f"/find/?postcode=BH15+1AB&radius=3&need={need.slug}",
                f"/find/?postcode=DT1+1AA&radius=10&need={other_need.slug}",
            ),
            ("activity", activities[0].url, activities[1].url),
        ]
        client = Client(HTTP_HOST="localhost", HTTP_ACCEPT_ENCODING="gzip")
        rows = []
        for name, url, other_url in pages:
            rows.append(self._measure(client, name, url, other_url, requests=requests, warmup=warmup))

        results = {
            "measured_with": (
                "Django test Client in process (middleware, routing, views, templates; no web server or network); "
                f"{warmup} warm-up requests then {requests} timed, one at a time"
            ),
            "database": connection.vendor,
            "debug": settings.DEBUG,
            "activities": ActivityPage.objects.live().count(),
            "budgets": {"p95_ms": P95_BUDGET_MS, "css_js_gzip_bytes": ASSET_BUDGET_BYTES, "queries": "constant"},
            "pages": rows,
        }
        self._print(results)
        path = Path(out)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(results, indent=2) + "\n")
        self.stdout.write(f"Written to {path}")

    def _measure(self, client: Client, name: str, url: str, other_url: str, *, requests: int, warmup: int) -> dict:
        for _ in range(warmup):
            self._get(client, url)
        times = []
        for _ in range(requests):
            started = time.perf_counter()
            response = self._get(client, url)
            times.append((time.perf_counter() - started) * 1000)

        queries = self._queries(client, url)
        other_queries = self._queries(client, other_url)

        html = response.content
        assets = _Assets()
        assets.feed(html.decode(response.charset or "utf-8"))
        css = sum(_gzip_size(_static_bytes(u)) for u in dict.fromkeys(assets.css))
        js = sum(_gzip_size(_static_bytes(u)) for u in dict.fromkeys(assets.js))
        p95 = percentile(times, 0.95, digits=None)
        return {
            "page": name,
            "url": url,
            "requests": requests,
            "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(p95, 1),
            "queries": queries,
            "queries_other_page": other_queries,
            "other_url": other_url,
            "queries_constant": queries == other_queries,
            "html_gzip_bytes": _gzip_size(html),
            "css_gzip_bytes": css,
            "js_gzip_bytes": js,
            "stylesheets": list(dict.fromkeys(assets.css)),
            "scripts": list(dict.fromkeys(assets.js)),
            "p95_met": p95 <= P95_BUDGET_MS,
            "css_js_met": css + js <= ASSET_BUDGET_BYTES,
        }

    def _get(self, client: Client, url: str):
        response = client.get(url)
        if response.status_code != 200:
            raise CommandError(f"GET {url} answered {response.status_code}, not 200.")
        return response

    def _queries(self, client: Client, url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            self._get(client, url)
        return len(captured.captured_queries)

    def _print(self, results: dict) -> None:
        header = f"{'page':<20} {'p50 ms':>7} {'p95 ms':>7} {'queries':>9} {'HTML gz':>8} {'CSS gz':>8} {'JS gz':>8}  budgets"
        self.stdout.write(results["measured_with"])
        self.stdout.write(f"{results['activities']} live activities, {results['database']}, DEBUG={results['debug']}")
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for row in results["pages"]:
            queries = f"{row['queries']}/{row['queries_other_page']}"
            verdicts = [
                f"p95 {'met' if row['p95_met'] else 'NOT MET'}",
                f"queries {'constant' if row['queries_constant'] else 'NOT CONSTANT'}",
                f"CSS+JS {'met' if row['css_js_met'] else 'NOT MET'}",
            ]
            self.stdout.write(
                f"{row['page']:<20} {row['p50_ms']:>7} {row['p95_ms']:>7} {queries:>9} "
                f"{_kb(row['html_gzip_bytes']):>8} {_kb(row['css_gzip_bytes']):>8} {_kb(row['js_gzip_bytes']):>8}  "
                + ", ".join(verdicts)
            )
        self.stdout.write(
            f"Goals: p95 <= {P95_BUDGET_MS} ms; the same number of queries on two pages of a kind "
            f"(shown as this/other); CSS+JS <= {ASSET_BUDGET_BYTES // 1024} KB gzip."
        )
        met = all(r["p95_met"] and r["queries_constant"] and r["css_js_met"] for r in results["pages"])
        self.stdout.write(self.style.SUCCESS("All budgets met.") if met else self.style.WARNING("Some budgets not met."))


def _kb(size: int) -> str:
    return f"{size / 1024:.1f} KB"
