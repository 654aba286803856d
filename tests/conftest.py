import os

import pytest
from django.db import connection

from pages.setup import ensure_site
from tests.accounts import sign_in_verified


def pytest_sessionstart(session):
    # With REQUIRE_POSTGRES (set by scripts/test.sh, and so by CI), the suite must run on
    # PostgreSQL: a run that quietly fell back to SQLite would prove nothing about it.
    if os.environ.get("REQUIRE_POSTGRES", "").lower() == "true":
        from django.conf import settings

        engine = settings.DATABASES["default"]["ENGINE"]
        if "postgresql" not in engine:
            pytest.exit(f"REQUIRE_POSTGRES is set but the database engine is {engine}", returncode=3)


def pytest_collection_modifyitems(config, items):
    # Tests marked `postgres` need what only PostgreSQL has (row locks, say): on another
    # database they are deselected, not skipped, and the PostgreSQL pass runs them.
    from django.conf import settings

    if "postgresql" in settings.DATABASES["default"]["ENGINE"]:
        return
    wanted = [item for item in items if item.get_closest_marker("postgres") is None]
    if len(wanted) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if item.get_closest_marker("postgres")])
        items[:] = wanted


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: rate limits and cached lookups must not leak between tests."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def home(db):
    """The site as `setup_site` leaves it: home page, directory index, moderators and workflow."""
    return ensure_site()


@pytest.fixture
def needs(home):
    from factories.directory import make_need

    loneliness = make_need("Loneliness and isolation", synonyms="lonely, isolated, isolation")
    physical = make_need("Physical activity", synonyms="exercise, fitness, keep fit")
    walking = make_need("Walking", parent=physical, synonyms="walks, rambling")
    return {"loneliness": loneliness, "physical": physical, "walking": walking}


@pytest.fixture
def postcodes(db):
    """A few real Code-Point Open centroids (Poole, Dorchester, Runcorn, Leeds)."""
    from factories.directory import make_postcode

    return {
        "BH15 1AB": make_postcode("BH15 1AB", 50.715400, -1.987100),
        "DT1 1XJ": make_postcode("DT1 1XJ", 50.714700, -2.436800),
        "WA7 1AB": make_postcode("WA7 1AB", 53.338600, -2.731900),
        "LS1 1UR": make_postcode("LS1 1UR", 53.796600, -1.543600),
    }


@pytest.fixture
def on_postgres():
    return connection.vendor == "postgresql"


@pytest.fixture
def sign_in(client):
    """Sign ``user`` in to ``client`` with a verified second factor (a TOTP device), as everyone
    signing in to the admin or the staff pages must; ``verified=False`` stops after the password."""

    def _sign_in(user, *, verified: bool = True):
        if not verified:
            client.force_login(user)
            return client
        return sign_in_verified(client, user)

    return _sign_in
