"""`make bench-search`: search latency, throughput and cost per backend, through the HTTP API.

Generates a directory of BENCH_N activities across England's real postcodes (once; later
runs reuse it), builds the Elasticsearch index (timing documents per second), then for each
backend starts the app under gunicorn on 127.0.0.1 and drives a fixed query mix at
concurrency 1 and 8. Also times the baseline a team would otherwise build: Wagtail's page
search with distances computed in Python. Prints a table and writes JSON to BENCH_OUT.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from geopy.distance import geodesic
from pages.setup import ensure_site
from tqdm import tqdm
from wagtail.search.backends import get_search_backend as wagtail_search_backend

from benchmarks import served
from benchmarks.measuring import free_port, percentile
from benchmarks.search import generate_directory, query_mix
from directory.geocoding import locate_postcode
from directory.models import ActivityPage, ActivitySession, NeedTerm, Postcode, Venue
from directory.selectors import public_activities
from search.backends.elasticsearch import ElasticsearchSearchBackend

ROOT = Path(settings.BASE_DIR)


def _peak_memory_mb(pid: int) -> float:
    """Peak resident memory of a process and its children (gunicorn's workers), in MiB."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for each in pids:
        status = Path(f"/proc/{each}/status")
        if status.exists():
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1])
    return round(total / 1024, 1)


class Command(BaseCommand):
    help = "Benchmark search through the HTTP API for each backend (see `make bench-search`)."

    def add_arguments(self, parser):
        parser.add_argument("--n", type=int, default=int(os.environ.get("BENCH_N", 50_000)))
        parser.add_argument("--out", default=os.environ.get("BENCH_OUT", "benchmarks/results/search.json"))
        parser.add_argument("--requests", type=int, default=int(os.environ.get("BENCH_REQUESTS", 200)), help="Per backend and concurrency.")
        parser.add_argument("--concurrency", default="1,8")
        parser.add_argument("--backends", default="database,elasticsearch")
        parser.add_argument("--elasticsearch-url", default=os.environ.get("ELASTICSEARCH_URL", "http://127.0.0.1:9200"))
        parser.add_argument("--seed", type=int, default=20261123)
        parser.add_argument("--baseline", default=os.environ.get("BENCH_BASELINE", "auto"),
                            help="Time Wagtail's own search too: yes, no, or auto (only up to 100,000 activities; it indexes every page).")

    def handle(self, *args, **options):
        logging.getLogger("elastic_transport").setLevel(logging.WARNING)


        report = {
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "database": connection.vendor,
                        # Other work on the machine skews every figure: record how busy it was.
                        "load_average_at_start": os.getloadavg()},
            "activities": options["n"],
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "backends": {},
        }
        ensure_site()
        existing = ActivityPage.objects.count()
        if existing < options["n"]:
            self.stdout.write(f"Generating {options['n'] - existing} activities…")
            started = time.perf_counter()
            with tqdm(total=options["n"] - existing, unit="activities") as bar:
                generate_directory(options["n"] - existing, seed=options["seed"] + existing, progress=bar.update)
            report["generate_seconds"] = round(time.perf_counter() - started, 1)
            # Generation streams one organisation at a time: this process's peak stays flat.
            report["generate_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        postcodes = list(
            ActivityPage.objects.values_list("sessions__venue__postcode", flat=True).exclude(sessions__venue__isnull=True).distinct()[:2000]
        )
        self._ensure_postcodes(postcodes)
        mix = query_mix(options["requests"], seed=options["seed"], postcodes=postcodes, need_slugs=list(NeedTerm.objects.values_list("slug", flat=True)))

        backends = [b.strip() for b in options["backends"].split(",") if b.strip()]
        index = os.environ.get("BENCH_INDEX", "bench-signpost")  # a name of its own where others share the node
        if "elasticsearch" in backends:
            report["elasticsearch_rebuild"] = self._rebuild(options["elasticsearch_url"], index)
        for backend in backends:
            report["backends"][backend] = self._drive(backend, mix, options, index)
        if options["baseline"] == "yes" or (options["baseline"] == "auto" and options["n"] <= 100_000):
            report["backends"]["wagtail_baseline"] = self._baseline(mix[: max(20, options["requests"] // 4)])
        report["goals"] = self._goals(report)

        report["machine"]["load_average_at_end"] = os.getloadavg()
        out = ROOT / options["out"]
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, indent=2) + "\n")
        self._print(report)
        self.stdout.write(f"Written to {options['out']}")

    # -- steps ------------------------------------------------------------------------------
    def _ensure_postcodes(self, postcodes):
        """The geocoder reads the postcode table: make sure the venues' postcodes are in it."""
        known = set(Postcode.objects.filter(postcode__in=postcodes).values_list("postcode", flat=True))
        rows = {v.postcode: v for v in Venue.objects.filter(postcode__in=set(postcodes) - known)}
        Postcode.objects.bulk_create(
            [Postcode(postcode=pc, latitude=v.latitude, longitude=v.longitude) for pc, v in rows.items()], ignore_conflicts=True
        )

    def _rebuild(self, url: str, index: str) -> dict:
        backend = ElasticsearchSearchBackend("bench", {"URLS": [url], "INDEX": index, "TIMEOUT": 10})
        self.stdout.write("Building the Elasticsearch index…")
        started = time.perf_counter()
        written = backend.rebuild(progress=True)
        seconds = time.perf_counter() - started
        return {"documents": written, "seconds": round(seconds, 1), "documents_per_second": round(written / seconds, 1)}

    def _drive(self, backend: str, mix: list[dict], options: dict, index: str) -> dict:
        port = free_port()
        # Served as production serves it (its settings over plain HTTP, persistent connections).
        env = {
            **served.production_environment(),
            "SEARCH_BACKEND": f"search.backends.{backend}",
            "SEARCH_INDEX": index,
            "SEARCH_TIMEOUT": "5",
            "ELASTICSEARCH_URL": options["elasticsearch_url"],
            "DATABASE_URL": os.environ.get("DATABASE_URL", ""),
            "LOG_LEVEL": "WARNING",
        }
        if not env["DATABASE_URL"]:
            env.pop("DATABASE_URL")
        # The production cache is a database table (the API's throttling counts in it).
        subprocess.run([sys.executable, "manage.py", "createcachetable"], cwd=ROOT, env=env, check=True)
        server = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), "config.wsgi", "--pythonpath", f"{ROOT},{ROOT / 'site'},{served.FOLDER}",
             "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads", "4", "--log-level", "warning"],
            cwd=ROOT, env=env,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            self._wait(base)
            for params in (mix * 2)[:100]:
                self._get(base, params)  # warm up: caches, connections, the JVM's compiler
            result = {}
            for level in [int(c) for c in options["concurrency"].split(",")]:
                started = time.perf_counter()
                with ThreadPoolExecutor(level) as pool:
                    samples = list(pool.map(lambda p: self._get(base, p), mix))
                elapsed = time.perf_counter() - started
                latencies = [s["ms"] for s in samples]
                took = [s["took"] for s in samples if s["took"] is not None]
                result[f"concurrency_{level}"] = {
                    "requests": len(samples),
                    "errors": sum(1 for s in samples if s["status"] != 200),
                    "degraded": sum(1 for s in samples if s["backend"] != backend),
                    "p50_ms": percentile(latencies, 0.50),
                    "p95_ms": percentile(latencies, 0.95),
                    "p99_ms": percentile(latencies, 0.99),
                    "throughput_rps": round(len(samples) / elapsed, 1),
                    "engine_took_p50_ms": percentile(took, 0.50) if took else None,
                    "engine_took_p95_ms": percentile(took, 0.95) if took else None,
                    "sql_queries_per_request": round(statistics.mean(s["queries"] for s in samples), 1),
                    "mean_hits": round(statistics.mean(s["count"] for s in samples), 1),
                }
            result["peak_memory_mb"] = {"app": _peak_memory_mb(server.pid)}
            if backend == "elasticsearch":
                pidfile = ROOT / f"var/elasticsearch/node-{urllib.parse.urlparse(options['elasticsearch_url']).port}.pid"
                if pidfile.exists():
                    result["peak_memory_mb"]["elasticsearch"] = _peak_memory_mb(int(pidfile.read_text()))
            return result
        finally:
            server.terminate()
            server.wait(timeout=30)

    def _wait(self, base: str):
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"{base}/healthz/", timeout=2):
                    return
            except OSError:
                time.sleep(0.5)
        raise CommandError("The app server did not start")

    def _get(self, base: str, params: dict) -> dict:
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(f"{base}/api/v1/activities/?{urllib.parse.urlencode(params)}", timeout=30) as response:
                body = json.loads(response.read())
                ms = (time.perf_counter() - started) * 1000
                took = response.headers.get("X-Search-Took-Ms")
                return {"ms": ms, "status": response.status, "count": body["count"], "backend": response.headers.get("X-Search-Backend"),
                        "took": float(took) if took else None, "queries": int(response.headers.get("X-SQL-Queries", 0))}
        except urllib.error.HTTPError as error:
            return {"ms": (time.perf_counter() - started) * 1000, "status": error.code, "count": 0, "backend": None, "took": None, "queries": 0}

    def _baseline(self, mix: list[dict]) -> dict:
        """Wagtail's page search, then every candidate's distance in Python: what we avoid."""
        wagtail = wagtail_search_backend()
        self.stdout.write("Indexing for Wagtail's search (baseline)…")
        started = time.perf_counter()
        wagtail.add_bulk(ActivityPage, ActivityPage.objects.all())
        index_seconds = time.perf_counter() - started
        latencies = []
        for params in mix:
            started = time.perf_counter()
            centre = locate_postcode(params["postcode"])
            origin = (float(centre.latitude), float(centre.longitude))
            activities = public_activities()
            if "needs" in params:
                activities = activities.filter(needs__in=NeedTerm.objects.filter(slug=params["needs"]).with_descendants())
            if "q" in params:
                # Wagtail's search filters only on indexed filter fields: the rest is done after.
                found = [page.pk for page in ActivityPage.objects.live().search(params["q"], operator="or")]
                activities = activities.filter(pk__in=found)
            ids = list(activities.values_list("pk", flat=True))
            nearest = {}
            for session in ActivitySession.objects.filter(activity_id__in=ids).select_related("venue"):
                miles = geodesic(origin, (float(session.venue.latitude), float(session.venue.longitude))).miles
                if miles <= float(params["radius_miles"]):
                    nearest[session.activity_id] = min(miles, nearest.get(session.activity_id, miles))
            sorted(nearest.items(), key=lambda item: item[1])[:20]
            latencies.append((time.perf_counter() - started) * 1000)
        return {
            "concurrency_1": {"requests": len(latencies), "p50_ms": percentile(latencies, 0.5), "p95_ms": percentile(latencies, 0.95),
                              "p99_ms": percentile(latencies, 0.99), "note": "in process, no HTTP"},
            "index_seconds": round(index_seconds, 1),
        }

    def _goals(self, report: dict) -> dict:
        """Issue 17's goals, each with its figure and whether it is met: item 1 (the API near the
        engine's own speed, at 50,000 activities) and item 2 (at 500,000)."""
        goals = {}
        backends = report["backends"]
        at_50k = report["activities"] <= 50_000  # item 1 is set at 50,000 activities
        if at_50k and "elasticsearch" in backends and backends["elasticsearch"]["concurrency_1"].get("engine_took_p50_ms") is not None:
            one = backends["elasticsearch"]["concurrency_1"]
            limit = 2 * one["engine_took_p50_ms"]
            goals["api_p50_ms_within_2x_engine_took"] = {"goal": limit, "figure": one["p50_ms"], "met": one["p50_ms"] <= limit, "item": 1}
            goals["api_p95_ms"] = {"goal": 25, "figure": one["p95_ms"], "met": one["p95_ms"] <= 25, "item": 1}
        if "elasticsearch" in backends:
            figure = backends["elasticsearch"]["concurrency_1"]["p95_ms"]
            goals["elasticsearch_p95_ms"] = {"goal": 60, "figure": figure, "met": figure <= 60}
            memory = backends["elasticsearch"]["peak_memory_mb"]["app"]
            goals["app_peak_memory_mb"] = {"goal": 500, "figure": memory, "met": memory <= 500}
        if "database" in backends:
            figure = backends["database"]["concurrency_1"]["p95_ms"]
            goals["postgresql_p95_ms"] = {"goal": 300, "figure": figure, "met": figure <= 300}
            memory = max(goals.get("app_peak_memory_mb", {}).get("figure", 0), backends["database"]["peak_memory_mb"]["app"])
            goals["app_peak_memory_mb"] = {"goal": 500, "figure": memory, "met": memory <= 500}
        if "elasticsearch_rebuild" in report:
            rate = report["elasticsearch_rebuild"]["documents_per_second"]
            goals["rebuild_documents_per_second"] = {"goal": 5000, "figure": rate, "met": rate >= 5000}
        return goals

    def _print(self, report: dict):
        self.stdout.write(f"\n{report['activities']} activities on {report['machine']['cpus']} cores ({report['machine']['database']})")
        if "elasticsearch_rebuild" in report:
            r = report["elasticsearch_rebuild"]
            self.stdout.write(f"Elasticsearch rebuild: {r['documents']} documents in {r['seconds']} s = {r['documents_per_second']} docs/s")
        self.stdout.write(f"{'backend':<18}{'conc':>5}{'p50':>9}{'p95':>9}{'p99':>9}{'req/s':>8}{'took p95':>10}{'SQL/req':>9}{'errors':>8}")
        for name, result in report["backends"].items():
            for key, row in result.items():
                if not key.startswith("concurrency_"):
                    continue
                took = row.get("engine_took_p95_ms")
                self.stdout.write(
                    f"{name:<18}{key.split('_')[1]:>5}{row['p50_ms']:>9}{row['p95_ms']:>9}{row['p99_ms']:>9}"
                    f"{row.get('throughput_rps', ''):>8}{took if took is not None else '':>10}{row.get('sql_queries_per_request', ''):>9}{row.get('errors', ''):>8}"
                )
            if "peak_memory_mb" in result:
                self.stdout.write(f"{'':<18}peak memory MiB: {result['peak_memory_mb']}")
        if "generate_seconds" in report:
            self.stdout.write(f"Generation: {report['generate_seconds']} s, peak memory {report.get('generate_peak_rss_mb')} MiB")
        self.stdout.write(f"Goals, issue 17 (item 1 at 50,000 activities, item 2 at 500,000; this run has {report['activities']}); "
                          f"load average {report['machine']['load_average_at_end']}:")
        for name, goal in report["goals"].items():
            bound = "≥" if name.startswith("rebuild") else "≤"
            self.stdout.write(f"  item {goal.get('item', 2)} {name:<34}{goal['figure']:>10} (goal {bound} {goal['goal']}): {'met' if goal['met'] else 'NOT MET'}")
