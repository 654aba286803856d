"""Profile the search API in process: the query mix of `bench_search`, one request at a time.

    DATABASE_URL=postgres://... SEARCH_BACKEND=search.backends.elasticsearch SEARCH_INDEX=<index> \
        .venv/bin/python scripts/profile_search.py [--requests 200] [--profile out.prof]

Prints p50/p95 of the view (Django's test client: every middleware, no HTTP server), the CPU
time this process spent a request (what the app itself costs, whatever else the machine is
doing), the engine's `took` p50 and the SQL queries a request; with --profile, a cProfile of
the timed run.
"""

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "site"), str(ROOT)]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django

django.setup()

from django.test import Client

from benchmarks.search import query_mix
from directory.models import ActivityPage, NeedTerm


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--profile")
    parser.add_argument("--top", type=int, default=40)
    options = parser.parse_args()
    postcodes = list(
        ActivityPage.objects.values_list("sessions__venue__postcode", flat=True).exclude(sessions__venue__isnull=True).distinct()[:2000]
    )
    mix = query_mix(options.requests, seed=options.seed, postcodes=postcodes, need_slugs=list(NeedTerm.objects.values_list("slug", flat=True)))
    client = Client(HTTP_HOST="127.0.0.1")
    for params in (mix * 2)[:100]:
        client.get("/api/v1/activities/", params)
    profiler = cProfile.Profile() if options.profile else None
    samples = []
    for params in mix:
        started, cpu_started = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        response = client.get("/api/v1/activities/", params)
        if profiler:
            profiler.disable()
        ms = (time.perf_counter() - started) * 1000
        cpu_ms = (time.process_time() - cpu_started) * 1000
        assert response.status_code == 200, (response.status_code, response.content[:300])
        took = response.headers.get("X-Search-Took-Ms")
        samples.append((ms, float(took) if took else None, int(response.headers.get("X-SQL-Queries", 0)), response.headers.get("X-Search-Backend"), response.json()["count"], cpu_ms))
    ms = sorted(s[0] for s in samples)
    took = sorted(s[1] for s in samples if s[1] is not None)
    cpu = sorted(s[5] for s in samples)
    pick = lambda values, f: round(values[min(len(values) - 1, round(f * (len(values) - 1)))], 2) if values else None
    print(f"requests {len(samples)}  p50 {pick(ms, .5)} ms  p95 {pick(ms, .95)} ms  took p50 {pick(took, .5)} ms  took p95 {pick(took, .95)}  "
          f"this process's CPU p50 {pick(cpu, .5)} ms p95 {pick(cpu, .95)} ms  SQL/request {statistics.mean(s[2] for s in samples):.1f}  backends {sorted({s[3] for s in samples})}  "
          f"no hits {sum(1 for s in samples if s[4] == 0)}  load {os.getloadavg()}")
    if profiler:
        profiler.dump_stats(options.profile)
        stats = pstats.Stats(profiler).sort_stats("cumulative")
        stats.print_stats(options.top)
        stats.sort_stats("tottime").print_stats(options.top)


if __name__ == "__main__":
    main()
