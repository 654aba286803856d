import hashlib
import json
import re
from datetime import date, time, timedelta
from decimal import Decimal
from io import StringIO

import jsonschema
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from directory.choices import ActivityStatus, Frequency, HowToJoin
from factories.directory import make_activity, make_organisation, make_venue
from directory.models import ActivityPage, NeedTerm, OrganisationPage, Venue
from directory.oruk.exporter import directory_export
from directory.oruk.writing import rich_text_to_plain
from directory.oruk.schemas import SCHEMA_DIR, load_schema, schema_errors, service_validator

pytestmark = pytest.mark.django_db


@pytest.fixture
def directory(home, needs, postcodes):
    walkers = make_organisation(
        "Poole Walkers",
        website="https://poolewalkers.example.org",
        email="hello@poolewalkers.example.org",
        charity_number="1234567",
        company_number="07654321",
    )
    park = make_venue(
        "Poole Park Café",
        address_2="Park Road",
        step_free=True,
        hearing_loop=True,
        accessibility_notes="Ramp at the side door.",
        directions="Behind the boating lake.",
    )
    hall = make_venue("St Mary's Hall", postcode="DT1 1XJ", latitude=50.7147, longitude=-2.4368, town="Dorchester", parking=True)
    walk = make_activity(
        walkers,
        "Wednesday health walk",
        needs=[needs["walking"], needs["physical"], needs["loneliness"]],
        sessions=[
            {"venue": park, "weekday": 2},
            {
                "venue": hall,
                "frequency": Frequency.FORTNIGHTLY,
                "weekday": 3,
                "valid_from": date(2026, 1, 8),
                "valid_to": date(2026, 12, 31),
                "notes": "Meet at the gate.",
            },
            {
                "venue": park,
                "frequency": Frequency.MONTHLY,
                "weekday": 5,
                "week_of_month": -1,
                "start_time": time(14, 0),
                "end_time": time(16, 15),
            },
            {"venue": None, "frequency": Frequency.ONCE, "weekday": None, "valid_from": date(2026, 5, 16)},
        ],
        summary="A gentle walk round the park, then tea.",
        description="<p>We walk for about 40 minutes.</p><p>Tea <b>after</b> &amp; a chat.</p>",
        is_free=False,
        cost_amount=Decimal("2.50"),
        cost_description="per walk",
        concessions="Carers walk free",
        how_to_join=HowToJoin.DROP_IN,
        in_person=True,
        online=True,
        min_age=18,
        max_age=99,
        eligibility_notes="Able to walk for 30 minutes.",
        languages="English, Polish",
        contact_name="Sam Walker",
        contact_email="sam@poolewalkers.example.org",
        contact_phone="01202 123456",
    )
    carers = make_organisation("Dorset Carers")
    cafe = make_activity(carers, "Carers' café", venue=hall, needs=[needs["loneliness"]], how_to_join=HowToJoin.REFERRAL_ONLY)
    closed = make_activity(carers, "Closed group", venue=hall, status=ActivityStatus.CLOSED)
    draft = make_activity(carers, "Draft group", venue=hall, live=False)
    stale = make_activity(carers, "Stale group", venue=hall, last_reviewed=date.today() - timedelta(days=3650))
    return {"walk": walk, "cafe": cafe, "hidden": [closed, draft, stale], "park": park, "hall": hall}


def _export() -> list[dict]:
    out = StringIO()
    call_command("export_directory", "-", stdout=out, stderr=StringIO())
    return json.loads(out.getvalue())


def test_export_lists_every_public_activity_and_nothing_else(directory):
    services = _export()
    assert [service["name"] for service in services] == ["Wednesday health walk", "Carers' café"]
    assert {service["id"] for service in services} == {directory["walk"].oruk_id, directory["cafe"].oruk_id}


def test_export_validates_against_the_oruk_service_schema(directory):
    services = _export()
    schema = load_schema("service.json")
    for service in services:
        # jsonschema's own checker, and ours (which also checks uuid, email, uri and date-time).
        jsonschema.validate(service, schema, cls=jsonschema.Draft202012Validator, format_checker=jsonschema.FormatChecker())
        assert schema_errors(service_validator(), service) == []


def test_export_says_what_a_person_needs_to_know(directory):
    walk = next(service for service in _export() if service["name"] == "Wednesday health walk")
    assert walk["description"] == "A gentle walk round the park, then tea.\n\nWe walk for about 40 minutes.\n\nTea after & a chat."
    assert walk["organization"]["organization_identifiers"][0]["identifier"] == "1234567"
    assert walk["cost_options"][0]["amount"] == 2.5
    assert [(s.get("freq"), s.get("interval"), s.get("byday")) for s in walk["schedules"]] == [
        ("WEEKLY", 1, "WE"),
        ("WEEKLY", 2, "TH"),
        ("MONTHLY", 1, "-1SA"),
        (None, None, None),
    ]
    assert walk["schedules"][3]["dtstart"] == "2026-05-16"
    assert walk["schedules"][2]["opens_at"] == "14:00"
    assert walk["schedules"][0]["attending_type"] == "In person or online. Drop in: just turn up."
    assert "service_at_location_id" not in walk["schedules"][3]
    assert [sal["location"]["name"] for sal in walk["service_at_locations"]] == ["Poole Park Café", "St Mary's Hall"]
    park = walk["service_at_locations"][0]["location"]
    assert park["addresses"][0]["postal_code"] == "BH15 1AB"
    assert {entry["description"] for entry in park["accessibility"]} == {
        "Step-free access",
        "Hearing loop",
        "Accessibility notes",
    }
    assert [language["code"] for language in walk["languages"]] == ["en", "pl"]
    # Stable ids: a second export names everything the same way.
    assert _export()[0] == walk


def test_export_writes_a_file(directory, tmp_path):
    target = tmp_path / "services.json"
    err = StringIO()
    call_command("export_directory", str(target), stderr=err)
    assert len(json.loads(target.read_text())) == 2
    assert "Exported 2 services" in err.getvalue()


def test_export_queries_do_not_grow_with_the_number_of_activities(directory, needs):
    directory_export()  # the first export caches the site's root paths (for page URLs)
    with CaptureQueriesContext(connection) as few:
        directory_export()
    organisation = make_organisation("Hamworthy Men's Shed")
    for number in range(4):
        make_activity(organisation, f"Shed session {number}", venue=make_venue(), needs=[needs["loneliness"]])
    with CaptureQueriesContext(connection) as many:
        services = directory_export()
    assert len(services) == 6
    # Activities, view restrictions, sessions with venues, needs with parents, organisations.
    assert len(many) == len(few) <= 5, [query["sql"] for query in many.captured_queries]


def _snapshot() -> dict:
    """Everything an export carries about each live activity, keyed by ORUK id."""
    snapshot = {}
    for activity in ActivityPage.objects.live().order_by("path"):
        organisation = activity.get_parent().specific
        sessions = activity.sessions.select_related("venue").order_by("sort_order", "pk")
        venues = {session.venue for session in sessions if session.venue}
        snapshot[activity.oruk_id] = {
            "organisation": {
                name: getattr(organisation, name)
                for name in ("oruk_id", "title", "description", "website", "email", "charity_number", "company_number")
            },
            "activity": {
                name: getattr(activity, name)
                for name in (
                    "title", "summary", "min_age", "max_age", "eligibility_notes", "is_free", "cost_amount",
                    "cost_description", "concessions", "how_to_join", "in_person", "online", "by_phone", "languages",
                    "contact_name", "contact_email", "contact_phone", "status", "last_reviewed",
                )
            },
            # Formatting (bold, links' addresses) does not survive ORUK's plain-text description.
            "description": rich_text_to_plain(activity.description),
            "sessions": [
                (
                    session.oruk_id, session.venue.oruk_id if session.venue else None, session.frequency,
                    session.weekday, session.week_of_month, session.start_time, session.end_time,
                    session.valid_from, session.valid_to, session.notes,
                )
                for session in sessions
            ],
            "venues": sorted(
                (
                    venue.oruk_id, venue.name, venue.address_1, venue.address_2, venue.town, venue.postcode,
                    venue.latitude, venue.longitude, venue.step_free, venue.accessible_toilet, venue.hearing_loop,
                    venue.parking, venue.accessibility_notes, venue.directions,
                )
                for venue in venues
            ),
            "needs": sorted(
                (need.oruk_id, need.name, need.description, need.vocabulary, need.parent.oruk_id if need.parent else None)
                for need in activity.needs.select_related("parent")
            ),
        }
    return snapshot


def _empty_the_directory() -> None:
    for organisation in OrganisationPage.objects.all():
        organisation.delete()
    Venue.objects.all().delete()
    while NeedTerm.objects.exists():
        NeedTerm.objects.filter(children__isnull=True).delete()


def test_export_then_import_into_an_empty_directory_gives_the_same_activities(directory, tmp_path):
    for hidden in directory["hidden"]:
        hidden.delete()  # they are not exported, so they cannot come back
    before = _snapshot()
    path = tmp_path / "services.json"
    call_command("export_directory", str(path), stderr=StringIO())

    _empty_the_directory()
    assert not ActivityPage.objects.exists() and not Venue.objects.exists() and not NeedTerm.objects.exists()
    call_command("import_directory", str(path), stdout=StringIO(), stderr=StringIO())

    after = _snapshot()
    assert after == before
    # And exporting again gives the same file.
    out = StringIO()
    call_command("export_directory", "-", stdout=out)
    exported_again = json.loads(out.getvalue())
    first = json.loads(path.read_text())
    for service in first + exported_again:
        service.pop("last_modified")  # the new pages were published just now
        service.pop("url")
    assert exported_again == first


def test_the_vendored_schema_is_the_published_compiled_service_schema():
    recorded = re.search(r"sha256 `([0-9a-f]{64})`", (SCHEMA_DIR / "README.md").read_text()).group(1)
    assert hashlib.sha256((SCHEMA_DIR / "service.json").read_bytes()).hexdigest() == recorded
    assert (SCHEMA_DIR / "LICENSE").read_text().startswith("The Human Services Data Specification")
