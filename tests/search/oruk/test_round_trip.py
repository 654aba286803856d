"""A round trip through HTTP (issue 14, item 5): a second Signpost, a separate process over its own
database, pulls the first one's ``/oruk/`` from its URL and ends with the same directory.

The first Signpost is this test's database behind pytest-django's live server. The second is
deployed as anyone would deploy one (``migrate``, ``setup_site``), in subprocesses whose
``DATABASE_URL`` names a second database (an SQLite file, or a second PostgreSQL database when
the suite runs on PostgreSQL), and runs ``manage.py import_directory <the first one's URL>/oruk/``.
Both directories are then described by one function (``tests.search.oruk.snapshot``) and compared
whole. What ORUK cannot carry, and so is left out of the comparison, is listed there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, time, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from directory.choices import ActivityStatus, Frequency, HowToJoin
from directory.models import Venue
from factories.directory import make_activity, make_need, make_organisation, make_venue
from tests.search.oruk.snapshot import directory_snapshot

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ROOT = Path(settings.BASE_DIR)


class SecondSite:
    """Another Signpost: ``manage.py`` in its own process, over its own database."""

    def __init__(self, database_url: str):
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": database_url,
            # The ORUK API and the importer need no search engine; never the shared node.
            "SEARCH_BACKEND": "search.backends.database",
        }
        # Deploying it takes the longest: start now, while the first directory is built.
        self._deploying = self._start(
            ["sh", "-c", '"$0" manage.py migrate --noinput -v 0 && "$0" manage.py setup_site -v 0', sys.executable]
        )

    def _start(self, command: list[str]) -> subprocess.Popen:
        return subprocess.Popen(command, cwd=ROOT, env=self.env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def manage(self, *args, timeout: float = 120) -> str:
        if self._deploying is not None:
            self._finish(self._deploying, "migrate and setup_site", timeout)
            self._deploying = None
        return self._finish(self._start([sys.executable, "manage.py", *args]), " ".join(args), timeout)

    @staticmethod
    def _finish(process: subprocess.Popen, what: str, timeout: float) -> str:
        out, err = process.communicate(timeout=timeout)
        assert process.returncode == 0, f"manage.py {what} failed:\n{out}\n{err}"
        return out

    def snapshot(self) -> dict:
        return json.loads(self.manage("shell", "--no-imports", "-c", "from tests.search.oruk.snapshot import print_snapshot; print_snapshot()"))

    def close(self) -> None:
        if self._deploying is not None:
            self._deploying.kill()
            self._deploying.communicate()


@pytest.fixture
def second_site(tmp_path):
    if connection.vendor == "postgresql":
        own = connection.settings_dict
        name = f"{own['NAME']}_second"[:63]
        server = {"host": own["HOST"] or "localhost", "port": own["PORT"] or 5432, "user": own["USER"],
                  "password": own["PASSWORD"] or None}
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
        password = f":{own['PASSWORD']}" if own["PASSWORD"] else ""
        site = SecondSite(f"postgres://{own['USER']}{password}@{server['host']}:{server['port']}/{name}")
        yield site
        site.close()
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        site = SecondSite(f"sqlite:///{tmp_path / 'second.sqlite3'}")
        yield site
        site.close()


def _venue_without_checks(**fields) -> Venue:
    """A venue as an import leaves it (our venue form would ask for what it lacks)."""
    return Venue.objects.create(**fields)


@pytest.fixture
def first_directory(needs, postcodes):
    """Organisations, activities with sessions at venues, one-off sessions, needs with parents and
    synonyms in two taxonomies, an online-only activity, one covering areas with no venue, a
    meeting point with no address, costs, ages and accessibility; and what the public does not see."""
    debt = make_need("Debt advice", vocabulary="Example council taxonomy", description="Help with what you owe.",
                     synonyms="debt, arrears")
    benefits = make_need("Benefits checks", parent=debt, vocabulary="Example council taxonomy",
                         synonyms="universal credit, benefits")
    walkers = make_organisation(
        "Poole Walkers", website="https://poolewalkers.example.org", email="hello@poolewalkers.example.org",
        charity_number="1234567", company_number="07654321", phone="01202 000000",
    )
    carers = make_organisation("Dorset Carers", email="hello@dorsetcarers.example.org")
    visitors = make_organisation("Home Visitors Dorset", description="Volunteers who visit people at home.")
    park = make_venue("Poole Park Café", address_2="Park Road", step_free=True, hearing_loop=True,
                      accessibility_notes="Ramp at the side door.", directions="Behind the boating lake.")
    hall = make_venue("St Mary's Hall", postcode="DT1 1XJ", latitude=50.7147, longitude=-2.4368, town="Dorchester",
                      parking=True, accessible_toilet=True)
    bandstand = _venue_without_checks(name="Poole Park bandstand", address_1="", town="", postcode="",
                                      latitude=Decimal("50.720400"), longitude=Decimal("-1.974500"),
                                      directions="By the lake, under the trees.")
    quay = _venue_without_checks(name="Quay steps", address_1="The Quay", town="", postcode="BH15 1HJ",
                                 latitude=Decimal("50.711800"), longitude=Decimal("-1.986000"))
    make_activity(
        walkers, "Wednesday health walk", needs=[needs["walking"], needs["physical"], needs["loneliness"]],
        sessions=[
            {"venue": park, "weekday": 2},
            {"venue": hall, "frequency": Frequency.FORTNIGHTLY, "weekday": 3, "valid_from": date(2026, 1, 8),
             "valid_to": date(2026, 12, 31), "notes": "Meet at the gate."},
            {"venue": park, "frequency": Frequency.MONTHLY, "weekday": 5, "week_of_month": -1,
             "start_time": time(14, 0), "end_time": time(16, 15)},
            {"venue": None, "frequency": Frequency.ONCE, "weekday": None, "valid_from": date(2026, 5, 16)},
        ],
        summary="A gentle walk round the park, then tea.",
        description="<p>We walk for about 40 minutes.</p><p>Tea <b>after</b> &amp; a chat.</p>",
        is_free=False, cost_amount=Decimal("2.50"), cost_description="per walk", concessions="Carers walk free",
        how_to_join=HowToJoin.DROP_IN, in_person=True, online=True, min_age=18, max_age=99,
        eligibility_notes="Able to walk for 30 minutes.", languages="English, Polish", contact_name="Sam Walker",
        contact_email="sam@poolewalkers.example.org", contact_phone="01202 123456",
        carers_welcome=True, capacity_per_session=12,
    )
    make_activity(
        walkers, "Tai chi at the bandstand", needs=[needs["physical"]],
        sessions=[{"venue": bandstand, "weekday": 0, "start_time": time(9, 0), "end_time": time(10, 0)},
                  {"venue": quay, "weekday": 4, "start_time": time(9, 0), "end_time": time(10, 0)}],
        min_age=50,
    )
    make_activity(
        carers, "Carers' money clinic", needs=[debt, benefits, needs["loneliness"]], how_to_join=HowToJoin.REFERRAL_ONLY,
        sessions=[{"venue": hall, "frequency": Frequency.ONCE, "weekday": None, "valid_from": date(2026, 6, 3),
                   "start_time": time(13, 0), "end_time": time(15, 30), "notes": "Bring your latest letters."}],
    )
    make_activity(
        carers, "Online chair yoga", in_person=False, online=True, languages="English, Welsh", min_age=60,
        sessions=[{"venue": None, "weekday": 3, "start_time": time(11, 0), "end_time": time(11, 45)}],
        needs=[needs["physical"]],
    )
    make_activity(
        visitors, "Befriending at home", sessions=[], how_to_join=HowToJoin.REFERRAL_ONLY,
        service_areas="Poole\nBournemouth\nChristchurch", needs=[needs["loneliness"]],
    )
    # Not in the public directory, so not in the feed: closed, draft and stale listings, and an
    # organisation whose only activity is closed.
    closed_club = make_organisation("Closed Club")
    make_activity(closed_club, "Closed group", venue=hall, status=ActivityStatus.CLOSED)
    make_activity(carers, "Draft group", venue=hall, live=False)
    make_activity(carers, "Stale group", venue=make_venue("Old hall"), last_reviewed=date.today() - timedelta(days=3650))


def test_a_second_signpost_pulls_the_directory_from_the_first_ones_url(first_directory, second_site, live_server):
    first = json.loads(json.dumps(directory_snapshot(), sort_keys=True))
    assert {kind: len(first[kind]) for kind in ("organisations", "activities", "sessions", "venues", "needs")} == {
        "organisations": 3, "activities": 5, "sessions": 8, "venues": 4, "needs": 5,
    }

    output = second_site.manage("import_directory", f"{live_server.url}/oruk/", "--rate", "100")
    assert "Imported 5 services" in output, output

    second = second_site.snapshot()
    stored = second.pop("stored")
    first.pop("stored")
    assert second == first
    # Nothing else came across: no hidden listing, no organisation or venue only they use.
    assert stored == {"organisations": 3, "activities": 5, "venues": 4}

    # Pulling again is a harvest with nothing new: every record is found unchanged.
    again = second_site.manage("import_directory", f"{live_server.url}/oruk/", "--rate", "100")
    assert "activities     0 created, 0 updated, 5 unchanged" in again, again
