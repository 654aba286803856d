"""`make bench-import`: importing an Open Referral UK feed of BENCH_IMPORT_N services (5,000 by default).

It generates a directory with ``benchmarks.search.generate_directory`` (venues on real postcodes
across England, sessions, needs; a few services per organisation, as councils' feeds have),
exports it as ORUK 3.0 services through the same exporter the ``/oruk/`` API and round trip use,
and rolls the generated directory back, so the directory is empty again. Then it times the
``import_directory`` command itself (progress shown as it always is) twice on that feed:

- into the empty directory: every organisation, venue, need, activity and session created;
- again, unchanged: everything found unchanged, nothing written.

The goals (issue 17) are at most 60 s and 10 s, on PostgreSQL. Figures are printed against them
(met / not met) and written as JSON to BENCH_OUT (benchmarks/results/import.json).

The directory must have no activities. ``--database-url`` names a scratch PostgreSQL database
(its name must contain "bench") that is dropped, created, migrated and set up first; the
benchmark then runs against it in a child process.
"""

from __future__ import annotations

import io
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from pages.setup import ensure_site

from benchmarks.search import generate_directory
from directory.models import (
    ActivityPage,
    ActivitySession,
    NeedTerm,
    OrganisationPage,
    Venue,
)
from directory.oruk.exporter import directory_export

GOALS_SECONDS = {"first": 60.0, "unchanged": 10.0}
ROOT = Path(settings.BASE_DIR)


class _Rollback(Exception):
    pass


def _counts() -> dict[str, int]:
    return {
        "organisations": OrganisationPage.objects.count(),
        "activities": ActivityPage.objects.count(),
        "live_activities": ActivityPage.objects.live().count(),
        "venues": Venue.objects.count(),
        "sessions": ActivitySession.objects.count(),
        "needs": NeedTerm.objects.count(),
    }


class Command(BaseCommand):
    help = "Benchmark importing an ORUK feed of N services into an empty directory, then again unchanged (see `make bench-import`)."

    def add_arguments(self, parser):
        parser.add_argument("--n", type=int, default=int(os.environ.get("BENCH_IMPORT_N", "5000")), help="Services (default $BENCH_IMPORT_N or 5,000).")
        parser.add_argument("--per-organisation", type=int, default=4, help="Services per organisation (default 4).")
        parser.add_argument("--out", default=os.environ.get("BENCH_OUT", "benchmarks/results/import.json"))
        parser.add_argument("--feed", help="Keep the generated feed in this file (default: a temporary file).")
        parser.add_argument(
            "--database-url",
            help="A scratch PostgreSQL database, dropped and created afresh for the run (its name must contain 'bench').",
        )
        parser.add_argument("--seed", type=int, default=20261123)

    def handle(self, *args, n, per_organisation, out, feed, database_url, seed, **options):
        if database_url:
            return self._in_scratch_database(database_url, options={"n": n, "per_organisation": per_organisation, "out": out, "feed": feed, "seed": seed})
        if n < 1:
            raise CommandError("--n must be at least 1.")
        ensure_site()
        if ActivityPage.objects.exists():
            raise CommandError(
                "The directory already has activities: run this on a scratch database (--database-url, or `make bench-import`)."
            )
        report = {
            "measured_with": "manage.py import_directory, in process, on a file; into an empty directory, then the same file again",
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "database": connection.vendor,
                        # Other work on the machine skews every figure: record how busy it was.
                        "load_average_at_start": os.getloadavg()},
            "debug": settings.DEBUG,
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "services": n,
        }

        with tempfile.TemporaryDirectory() as scratch:
            path = Path(feed) if feed else Path(scratch) / "feed.json"
            started = time.perf_counter()
            services = self._generate_feed(n, per_organisation=per_organisation, seed=seed)
            path.write_text(json.dumps(services))
            report["generate_seconds"] = round(time.perf_counter() - started, 1)
            report["feed_bytes"] = path.stat().st_size
            self.stdout.write(f"Generated a feed of {len(services)} services ({report['feed_bytes'] / 1e6:.1f} MB) in {report['generate_seconds']} s.")

            report["runs"] = {}
            for run, label in (("first", "into an empty directory"), ("unchanged", "again, unchanged")):
                self.stdout.write(f"Importing {label}…")
                summary = io.StringIO()
                started = time.perf_counter()
                call_command("import_directory", str(path), stdout=summary, verbosity=1)
                seconds = time.perf_counter() - started
                report["runs"][run] = {
                    "seconds": round(seconds, 1),
                    "services_per_second": round(n / seconds, 1),
                    "goal_seconds": GOALS_SECONDS[run],
                    "met": seconds <= GOALS_SECONDS[run],
                    "summary": summary.getvalue().strip().splitlines(),
                    "directory": _counts(),
                }

        first = report["runs"]["first"]["directory"]
        if first["live_activities"] != n:
            raise CommandError(f"The import left {first['live_activities']} live activities, not {n}.")
        if not any(line.strip().startswith("activities") and f"{n} unchanged" in line for line in report["runs"]["unchanged"]["summary"]):
            raise CommandError(f"The second import did not find every activity unchanged: {report['runs']['unchanged']['summary']}")
        report["machine"]["load_average_at_end"] = os.getloadavg()
        report["met"] = all(row["met"] for row in report["runs"].values())

        target = Path(out) if Path(out).is_absolute() else ROOT / out
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(report, indent=2) + "\n")
        self._print(report)
        self.stdout.write(f"Written to {out}")

    def _generate_feed(self, n: int, *, per_organisation: int, seed: int) -> list[dict]:
        """ORUK services exported from a generated directory, which is then rolled back.

        The generator makes a few large organisations (each of its organisations is published
        one by one, and its image collection kept in name order, which grows quadratically);
        the services are then shared out among organisations of ``per_organisation`` each.
        """
        try:
            with transaction.atomic():
                generate_directory(n, seed=seed)
                services = directory_export(activities=ActivityPage.objects.live())
                raise _Rollback
        except _Rollback:
            pass
        for number, service in enumerate(services):
            group = number // per_organisation
            organisation = {**service["organization"], "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench-import/{seed}/{group}"))}
            organisation["name"] = f"{organisation['name'].rsplit(' ', 1)[0]} {group + 1}"
            organisation["description"] = f"{organisation['name']} runs community activities."
            service["organization"], service["organization_id"] = organisation, organisation["id"]
        return services

    def _in_scratch_database(self, url: str, *, options: dict) -> None:
        parts = urlsplit(url)
        name = parts.path.lstrip("/")
        if parts.scheme not in ("postgres", "postgresql") or "bench" not in name:
            raise CommandError("--database-url must be a PostgreSQL database whose name contains 'bench' (it is dropped first).")
        server = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
        env = {**os.environ, "DATABASE_URL": url, "DEBUG": os.environ.get("DEBUG", "false")}
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, cwd=ROOT, check=True)
        arguments = [f"--{key.replace('_', '-')}={value}" for key, value in options.items() if value is not None]
        finished = subprocess.run([*manage, "bench_import", *arguments], env=env, cwd=ROOT, check=False)
        if finished.returncode:
            raise CommandError(f"The benchmark failed (exit status {finished.returncode}).")

    def _print(self, report: dict) -> None:
        self.stdout.write(
            f"{report['services']} services, {report['machine']['database']}, DEBUG={report['debug']}, "
            f"{report['machine']['cpus']} cores, load {report['machine']['load_average_at_start'][0]:.2f}"
        )
        header = f"{'import':<28} {'seconds':>8} {'services/s':>11} {'goal s':>7}  verdict"
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for run, label in (("first", "into an empty directory"), ("unchanged", "again, unchanged")):
            row = report["runs"][run]
            self.stdout.write(
                f"{label:<28} {row['seconds']:>8} {row['services_per_second']:>11} {row['goal_seconds']:>7g}  {'met' if row['met'] else 'NOT MET'}"
            )
        self.stdout.write(self.style.SUCCESS("Goals met.") if report["met"] else self.style.WARNING("Goals not met."))
