"""A small public directory, and the compiled ORUK schemas to check the API's answers against."""

import json
from datetime import date, time, timedelta

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from directory.choices import ActivityStatus, Frequency
from directory.oruk.schemas import SCHEMA_DIR, format_checker
from factories.directory import make_activity, make_need, make_organisation, make_venue
from search.oruk.openapi import PROFILE_SCHEMAS, SERVED_SCHEMAS

_COMPILED = {"service.json", "service_list.json", "service_at_location.json", "service_at_location_list.json"}


def profile_uri(name: str) -> str:
    """Where the profile publishes schema ``name`` (compiled or not)."""
    return PROFILE_SCHEMAS + ("compiled/" if name in _COMPILED else "") + name


def _registry() -> Registry:
    """The vendored copies under the profile's own addresses, so that relative ``$ref``s
    (taxonomy.json -> taxonomy_term.json) resolve to them and nothing is fetched."""
    resources = []
    for name in SERVED_SCHEMAS:
        contents = json.loads((SCHEMA_DIR / name).read_text())
        resources.append((profile_uri(name), Resource.from_contents(contents, default_specification=DRAFT202012)))
    return Registry().with_resources(resources)


REGISTRY = _registry()


def validator(name: str) -> Draft202012Validator:
    """A validator of the profile's schema ``name``, formats checked (uuid, uri, email, date-time:
    jsonschema's own checker skips ``uri`` without an optional package, so the importer's)."""
    return Draft202012Validator({"$ref": profile_uri(name)}, registry=REGISTRY, format_checker=format_checker())


def schema_errors(name: str, instance) -> list[str]:
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in validator(name).iter_errors(instance)]


@pytest.fixture
def directory(home, needs, postcodes):
    """Two organisations, eight public activities (venues in Poole and Dorchester, one by phone),
    three the public directory does not show (closed, draft, stale), and a term of another taxonomy."""
    walkers = make_organisation("Poole Walkers", website="https://poolewalkers.example.org", charity_number="1234567")
    carers = make_organisation("Dorset Carers", email="hello@dorsetcarers.example.org")
    park = make_venue("Poole Park Café", step_free=True, accessibility_notes="Ramp at the side door.")
    hall = make_venue("St Mary's Hall", postcode="DT1 1XJ", latitude=50.7147, longitude=-2.4368, town="Dorchester")
    walk = make_activity(
        walkers, "Wednesday health walk", needs=[needs["walking"], needs["loneliness"]],
        sessions=[
            {"venue": park, "weekday": 2},
            {"venue": hall, "frequency": Frequency.FORTNIGHTLY, "weekday": 3, "start_time": time(14, 0),
             "end_time": time(15, 0)},
            {"venue": None, "frequency": Frequency.ONCE, "weekday": None, "valid_from": date(2026, 5, 16)},
        ],
        min_age=18, max_age=99, contact_email="sam@poolewalkers.example.org", contact_phone="01202 123456",
        contact_name="Sam Walker", languages="English, Polish",
    )
    activities = {"walk": walk}
    for number in range(5):
        activities[f"shed {number}"] = make_activity(
            walkers, f"Men's shed {number}", venue=park, needs=[needs["physical"]], min_age=50 if number else None,
        )
    activities["cafe"] = make_activity(
        carers, "Carers' café", venue=hall, needs=[needs["loneliness"]],
        sessions=[{"venue": hall, "weekday": 4, "start_time": time(18, 0), "end_time": time(20, 0)}],
    )
    activities["phone"] = make_activity(carers, "Telephone friends", sessions=[], in_person=False, by_phone=True)
    hidden = [
        make_activity(carers, "Closed group", venue=hall, status=ActivityStatus.CLOSED),
        make_activity(carers, "Draft group", venue=hall, live=False),
        make_activity(carers, "Stale group", venue=hall, last_reviewed=date.today() - timedelta(days=3650)),
    ]
    extra_need = make_need("Debt advice", vocabulary="Example council taxonomy")
    return {"activities": activities, "hidden": hidden, "park": park, "hall": hall, "needs": needs, "extra": extra_need}
