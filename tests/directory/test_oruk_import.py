import json
from datetime import date, time
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from wagtail.models import Revision

from directory.choices import ActivityStatus, Frequency, HowToJoin
from directory.models import ActivityPage, ActivitySession, DirectoryIndexPage, NeedTerm, OrganisationPage, Venue
from directory.oruk.importer import directory_import, records_from_json
from directory.oruk.reading import service_from_oruk
from directory.oruk.records import Report

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "oruk"
SERVICE_ID = "ac148810-d857-441c-9679-408f346de14b"
ORGANISATION_ID = "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610"
LOCATION_ID = "3a19ff88-4620-4d17-9830-ac1d859eb5d5"
SCHEDULE_ID = "48102e86-bb50-41c4-8f1e-e269368c41d1"
TERM_ID = "3f7b145d-84af-42d7-8fae-eaca714b02b2"


def _example() -> dict:
    return json.loads((FIXTURES / "service_full.json").read_text())[0]


def _write(tmp_path, data, name="services.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def _import(path) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_directory", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _counts() -> dict:
    return {
        model.__name__: model.objects.count()
        for model in (OrganisationPage, ActivityPage, ActivitySession, Venue, NeedTerm, Revision)
    }


def _service(oruk_id: str, **changes) -> dict:
    """A copy of the example with its own ids, so several can sit in one file."""
    service = _example()
    service["id"] = oruk_id
    service["schedules"][0]["id"] = oruk_id[:-4] + "5c4e"
    service.update(changes)
    return service


def test_importing_the_example_creates_its_organisation_activity_venue_sessions_and_need(home, postcodes):
    out, err = _import(FIXTURES / "service_full.json")

    organisation = OrganisationPage.objects.get(oruk_id=ORGANISATION_ID)
    assert organisation.title == "Example Organization Inc."
    assert organisation.company_number == "1234567"
    assert organisation.website == "http://example.com"
    assert organisation.live and organisation.get_parent().specific_class is DirectoryIndexPage
    assert Revision.page_revisions.filter(object_id=str(organisation.pk)).count() == 1

    activity = ActivityPage.objects.get(oruk_id=SERVICE_ID)
    assert activity.get_parent().pk == organisation.pk
    assert activity.live and activity.latest_revision is not None
    assert activity.title == "Community Counselling"
    assert activity.summary == "Counselling Services provided by trained professionals."
    assert activity.description.startswith("<p>Counselling Services provided by trained professionals. Suitable")
    assert (activity.min_age, activity.max_age) == (12, 100)
    assert not activity.is_free
    assert activity.cost_amount == Decimal("35.00")
    assert activity.cost_description == "per 1 hour session (Under 18s and Over 60s)"
    assert activity.status == ActivityStatus.ACTIVE
    assert activity.last_reviewed == date(2005, 1, 1)
    assert (activity.contact_name, activity.contact_email) == ("Ann Persona", "email@example.com")
    # "You can attend this service in-person or remotely via video conferencing"
    assert (activity.in_person, activity.online, activity.by_phone) == (True, True, False)
    assert activity.how_to_join == HowToJoin.SELF_REFERRAL

    venue = Venue.objects.get(oruk_id=LOCATION_ID)
    assert venue.name == "MyCity Civic Center"
    assert (venue.address_1, venue.town, venue.postcode) == ("1-30 Main Street", "Poole", "BH15 1AB")
    # No coordinates in the file: geocoded from the postcode.
    assert (venue.latitude, venue.longitude) == (Decimal("50.715400"), Decimal("-1.987100"))
    assert venue.hearing_loop and venue.step_free and not venue.parking
    assert "induction loops" in venue.accessibility_notes
    assert venue.directions.startswith("MyCity Civic Center is located on Main Street")
    assert venue.organisation_id == organisation.pk

    # byday "TH,FR": one session per weekday, at the service's only location.
    sessions = list(activity.sessions.order_by("sort_order"))
    assert [(s.weekday, s.frequency) for s in sessions] == [(3, Frequency.WEEKLY), (4, Frequency.WEEKLY)]
    assert sessions[0].oruk_id == SCHEDULE_ID
    assert all(s.venue_id == venue.pk for s in sessions)
    assert all((s.start_time, s.end_time) == (time(10), time(18)) for s in sessions)
    assert all((s.valid_from, s.valid_to) == (date(2005, 1, 1), date(2005, 1, 1)) for s in sessions)

    need = NeedTerm.objects.get(oruk_id=TERM_ID)
    assert (need.name, need.vocabulary, need.parent) == ("name", "taxonomy", None)
    assert list(activity.needs.all()) == [need]

    assert "organisations  1 created" in out and "activities     1 created" in out and "sessions       2 created" in out
    assert "0bc248fa-dc27-4650-9ba4-8f1a24ef16a2" in err  # the parent term the file does not define
    assert "bymonthday" in err


def test_importing_into_a_site_without_a_directory_says_to_set_it_up_first(db, postcodes):
    # The importer fills the directory; making the site it lives in is `setup_site`'s job.
    assert not DirectoryIndexPage.objects.exists()
    before = _counts()
    with pytest.raises(CommandError, match="run manage.py setup_site first"):
        _import(FIXTURES / "service_full.json")
    assert _counts() == before


def test_an_import_given_its_index_page_creates_organisations_under_it(home, postcodes):
    index = DirectoryIndexPage.objects.get()
    directory_import(records=records_from_json((FIXTURES / "service_full.json").read_bytes()), index=index)
    organisation = OrganisationPage.objects.get(oruk_id=ORGANISATION_ID)
    assert organisation.get_parent().pk == index.pk
    assert ActivityPage.objects.get(oruk_id=SERVICE_ID).get_parent().pk == organisation.pk


def test_reimporting_a_changed_file_updates_in_place(home, postcodes, tmp_path):
    _import(FIXTURES / "service_full.json")
    activity = ActivityPage.objects.get(oruk_id=SERVICE_ID)
    session_pks = list(activity.sessions.order_by("sort_order").values_list("pk", flat=True))
    before = _counts()

    service = _example()
    service["name"] = "Community Counselling Service"
    service["schedules"][0]["opens_at"] = "09:30"
    service["cost_options"][0]["amount"] = 30
    service["organization"]["description"] = "A charity that counsels."
    out, _ = _import(_write(tmp_path, [service]))

    activity = ActivityPage.objects.get(oruk_id=SERVICE_ID)
    assert activity.title == "Community Counselling Service"
    assert activity.cost_amount == Decimal("30.00")
    assert list(activity.sessions.order_by("sort_order").values_list("pk", flat=True)) == session_pks
    assert {s.start_time for s in activity.sessions.all()} == {time(9, 30)}
    assert OrganisationPage.objects.get(oruk_id=ORGANISATION_ID).description == "A charity that counsels."
    after = _counts()
    # Same pages, sessions, venue and term; one new revision for each changed page.
    assert after == {**before, "Revision": before["Revision"] + 2}
    assert "activities     0 created, 1 updated" in out
    assert activity.revisions.count() == 2

    out, _ = _import(_write(tmp_path, [service]))
    assert _counts() == after  # nothing changed, so no new revisions either
    assert "activities     0 created, 0 updated, 1 unchanged" in out


def test_reimporting_replaces_the_sessions_to_match_the_file(home, postcodes, tmp_path):
    _import(FIXTURES / "service_full.json")
    service = _example()
    service["schedules"][0].update(freq="MONTHLY", byday="-1TU", bymonthday=None, valid_to=None)
    service["schedules"][0].pop("bymonthday")
    service["schedules"][0].pop("valid_to")
    service["schedules"].append(
        {"id": "0c6f7f1e-8b0a-4c1e-9a52-2d5b1f0e7a11", "dtstart": "2026-07-04", "opens_at": "14:00", "closes_at": "16:00"}
    )
    out, _ = _import(_write(tmp_path, [service]))

    sessions = list(ActivityPage.objects.get(oruk_id=SERVICE_ID).sessions.order_by("sort_order"))
    assert [(s.frequency, s.weekday, s.week_of_month) for s in sessions] == [
        (Frequency.MONTHLY, 1, -1),
        (Frequency.ONCE, None, None),
    ]
    assert sessions[1].valid_from == date(2026, 7, 4)
    assert ActivitySession.objects.count() == 2
    assert "sessions       1 created, 1 updated, 0 unchanged, 1 removed" in out


def test_a_service_list_page_is_imported(home, postcodes, tmp_path):
    page = {"total_items": 1, "total_pages": 1, "page_number": 1, "size": 1, "first_page": True,
            "last_page": True, "empty": False, "contents": [_example()]}
    _import(_write(tmp_path, page))
    assert ActivityPage.objects.filter(oruk_id=SERVICE_ID).exists()


def test_a_file_with_bad_records_changes_nothing_and_names_every_problem(home, postcodes, tmp_path):
    _import(FIXTURES / "service_full.json")
    before = _counts()

    good = _example()
    good["name"] = "Renamed, but the file is refused"
    wrong_types = _service("11111111-1111-4111-8111-111111111111", minimum_age="twelve", contacts={"name": "Ann"})
    no_name = _service("22222222-2222-4222-8222-222222222222")
    del no_name["name"]
    unknown_postcode = _service("33333333-3333-4333-8333-333333333333")
    address = unknown_postcode["service_at_locations"][0]["location"]
    address["id"] = "33333333-3333-4333-8333-3333333333aa"
    address["addresses"][0]["postal_code"] = "ZZ9 9ZZ"
    bad_schedule = _service("44444444-4444-4444-8444-444444444444")
    bad_schedule["schedules"][0]["byday"] = "XX"
    bad_schedule["schedules"][0]["closes_at"] = "09:00"
    no_organisation = _service("55555555-5555-4555-8555-555555555555")
    del no_organisation["organization"]
    not_an_object = ["a list, not a service"]

    path = _write(
        tmp_path, [good, wrong_types, no_name, unknown_postcode, bad_schedule, no_organisation, not_an_object]
    )
    with pytest.raises(CommandError) as raised:
        _import(path)

    assert _counts() == before
    assert ActivityPage.objects.get(oruk_id=SERVICE_ID).title == "Community Counselling"
    message = str(raised.value)
    assert "Nothing was imported" in message
    for line in [
        "service 11111111-1111-4111-8111-111111111111: minimum_age: 'twelve' is not of type 'number'",
        "service 11111111-1111-4111-8111-111111111111: contacts: {'name': 'Ann'} is not of type 'array'",
        "service 22222222-2222-4222-8222-222222222222: name: is required",
        "service 33333333-3333-4333-8333-333333333333: "
        "service_at_locations[0].location.addresses[0].postal_code: We cannot find the postcode ZZ9 9ZZ",
        "service 44444444-4444-4444-8444-444444444444: schedules[0].byday: 'XX' is not a weekday",
        "service 44444444-4444-4444-8444-444444444444: schedules[0].closes_at: must be after opens_at",
        "service 55555555-5555-4555-8555-555555555555: organization: is required",
        "service #7 (no id): expected a service object, found list",
    ]:
        assert line in message, f"{line!r} not in:\n{message}"
    assert SERVICE_ID not in message  # the good record is not blamed


def test_a_file_that_is_not_json_is_refused_clearly(home, tmp_path):
    with pytest.raises(CommandError, match=r"not valid JSON: Expecting value at line 1, column 1"):
        _import(_write(tmp_path, "id,name\n1,Lunch club\n", name="services.csv"))
    with pytest.raises(CommandError, match="not valid JSON: NaN is not a JSON number"):
        _import(_write(tmp_path, '[{"id": "x", "minimum_age": NaN}]'))
    with pytest.raises(CommandError, match="a JSON list of ORUK services"):
        _import(_write(tmp_path, "42"))
    with pytest.raises(CommandError, match="Cannot read"):
        _import(tmp_path / "missing.json")
    assert not ActivityPage.objects.exists()


def test_a_service_may_name_its_organisation_by_id_when_another_record_describes_it(home, postcodes, tmp_path):
    second = _service("88888888-8888-4888-8888-888888888888", organization_id=ORGANISATION_ID)
    del second["organization"]
    _import(_write(tmp_path, [second, _example()]))
    assert {page.get_parent().specific.oruk_id for page in ActivityPage.objects.all()} == {ORGANISATION_ID}


def test_a_service_may_name_an_organisation_already_in_the_directory(home, postcodes, tmp_path):
    _import(FIXTURES / "service_full.json")
    service = _service("66666666-6666-4666-8666-666666666666", organization_id=ORGANISATION_ID)
    del service["organization"]
    _import(_write(tmp_path, [service]))
    activity = ActivityPage.objects.get(oruk_id="66666666-6666-4666-8666-666666666666")
    assert activity.get_parent().specific.oruk_id == ORGANISATION_ID
    # The location is shared with the first service: still one venue.
    assert Venue.objects.count() == 1


def test_needs_are_created_with_their_parents_and_keyed_by_id(home, postcodes, tmp_path):
    service = _example()
    parent = {"id": "0bc248fa-dc27-4650-9ba4-8f1a24ef16a2", "name": "Mental health", "description": "", "taxonomy": "Needs"}
    child = {**service["attributes"][0]["taxonomy_term"], "name": "Counselling", "taxonomy": "Needs"}
    service["attributes"] = [
        {"id": "a0000000-0000-4000-8000-000000000001", "taxonomy_term": child},
        {"id": "a0000000-0000-4000-8000-000000000002", "taxonomy_term": parent},
    ]
    terms_before = NeedTerm.objects.count()
    _import(_write(tmp_path, [service]))
    _import(_write(tmp_path, [service]))

    counselling = NeedTerm.objects.get(oruk_id=TERM_ID)
    assert counselling.parent.name == "Mental health"
    assert NeedTerm.objects.count() == terms_before + 2
    assert set(ActivityPage.objects.get().needs.values_list("name", flat=True)) == {"Counselling", "Mental health"}


def _read(service: dict):
    report = Report()
    data = service_from_oruk(service, report)
    return data, report


@pytest.mark.parametrize(
    "schedule, expected",
    [
        (
            {"freq": "WEEKLY", "interval": 2, "byday": "WE", "dtstart": "2026-01-07"},
            {"frequency": Frequency.FORTNIGHTLY, "weekday": 2, "valid_from": date(2026, 1, 7)},
        ),
        (
            # valid_from after dtstart: the first session keeps dtstart's fortnightly rhythm.
            {"freq": "WEEKLY", "interval": 2, "byday": "WE", "dtstart": "2026-01-07", "valid_from": "2026-01-10"},
            {"frequency": Frequency.FORTNIGHTLY, "valid_from": date(2026, 1, 21)},
        ),
        (
            {"freq": "MONTHLY", "byday": "2TU", "valid_from": "2026-01-01", "valid_to": "2026-12-31"},
            {"frequency": Frequency.MONTHLY, "weekday": 1, "week_of_month": 2, "valid_to": date(2026, 12, 31)},
        ),
        (
            {"dtstart": "2026-03-14"},
            {"frequency": Frequency.ONCE, "weekday": None, "valid_from": date(2026, 3, 14)},
        ),
        (
            # 09:00 UTC on a summer date is 10:00 in London.
            {"freq": "WEEKLY", "byday": "MO", "valid_from": "2026-06-01", "opens_at": "09:00Z", "closes_at": "10:30:00+00:00"},
            {"start_time": time(10, 0), "end_time": time(11, 30)},
        ),
    ],
)
def test_schedules_become_sessions(schedule, expected):
    service = _example()
    service["schedules"] = [{"id": SCHEDULE_ID, "opens_at": "10:00", "closes_at": "12:00", **schedule}]
    data, report = _read(service)
    assert report.errors == []
    [session] = data.sessions
    assert {name: session.fields[name] for name in expected} == expected


@pytest.mark.parametrize(
    "schedule, path, message",
    [
        ({"freq": "WEEKLY", "interval": 3, "byday": "MO"}, "schedules[0].interval", "weekly (1) or fortnightly (2)"),
        ({"freq": "WEEKLY", "interval": 2, "byday": "MO"}, "schedules[0].dtstart", "fortnightly schedule needs"),
        ({"freq": "MONTHLY", "byday": "5MO"}, "schedules[0].byday", "needs a week of the month"),
        ({"freq": "MONTHLY", "bymonthday": "15"}, "schedules[0].bymonthday", "days of the month are not supported"),
        ({"freq": "WEEKLY", "byday": "2MO"}, "schedules[0].byday", "cannot name a week of the month"),
        ({"byday": "MO"}, "schedules[0].freq", "is required"),
        ({"freq": "WEEKLY", "byday": "MO", "opens_at": "25:00"}, "schedules[0].opens_at", "is not a time"),
        ({"freq": "WEEKLY", "byday": "MO", "valid_from": "soon"}, "schedules[0].valid_from", "is not a date"),
        (
            {"freq": "WEEKLY", "byday": "MO", "service_at_location_id": "9a0b"},
            "schedules[0].service_at_location_id",
            "no service_at_locations entry",
        ),
    ],
)
def test_schedules_we_cannot_represent_are_reported(schedule, path, message):
    service = _example()
    service["schedules"] = [{"id": SCHEDULE_ID, "opens_at": "10:00", "closes_at": "12:00", **schedule}]
    data, report = _read(service)
    assert any(problem.path == path and message in problem.message for problem in report.errors), report.errors
    assert data.sessions == []


def test_status_cost_and_how_to_join_mapping():
    service = _example()
    service["status"] = "temporarily closed"
    service["cost_options"] = [
        {"id": "c0000000-0000-4000-8000-000000000001", "amount": 0, "amount_description": "Tea and cake included"}
    ]
    service["schedules"][0]["attending_type"] = "Referral from a professional only. Not available online."
    data, report = _read(service)
    assert data.fields["status"] == ActivityStatus.PAUSED
    assert (data.fields["is_free"], data.fields["cost_amount"]) == (True, None)
    assert data.fields["cost_description"] == "Tea and cake included"
    assert data.fields["how_to_join"] == HowToJoin.REFERRAL_ONLY
    assert (data.fields["in_person"], data.fields["online"]) == (True, False)

    service["status"] = "defunct"
    assert _read(service)[0].fields["status"] == ActivityStatus.CLOSED


def test_moving_a_service_to_another_organisation_moves_its_page(home, postcodes, tmp_path):
    _import(FIXTURES / "service_full.json")
    service = _example()
    service["organization"] = {
        "id": "77777777-7777-4777-8777-777777777777",
        "name": "New Provider",
        "description": "Took the service over.",
    }
    _import(_write(tmp_path, [service]))
    activity = ActivityPage.objects.get(oruk_id=SERVICE_ID)
    assert activity.get_parent().title == "New Provider"
    assert ActivityPage.objects.count() == 1
    assert activity.url_path.endswith("/new-provider/community-counselling/")



@pytest.mark.parametrize(
    "attending, expected",
    [
        ("Drop in, no need to book. Online too.", (HowToJoin.DROP_IN, True, True, False)),
        ("In person only, not online. Referral only.", (HowToJoin.REFERRAL_ONLY, True, False, False)),
        ("Call us: we run it by telephone", (HowToJoin.SELF_REFERRAL, True, False, True)),
    ],
)
def test_how_to_join_and_delivery_are_read_from_attending_type(attending, expected):
    service = _example()
    service["schedules"][0]["attending_type"] = attending
    data, _ = _read(service)
    fields = data.fields
    # The example's physical location always makes it in person.
    assert (fields["how_to_join"], fields["in_person"], fields["online"], fields["by_phone"]) == expected


def test_a_loop_of_parent_terms_is_refused(home, postcodes, tmp_path):
    service = _example()
    first, second = "b0000000-0000-4000-8000-000000000001", "b0000000-0000-4000-8000-000000000002"
    service["attributes"] = [
        {"id": "a0000000-0000-4000-8000-000000000001",
         "taxonomy_term": {"id": first, "name": "One", "description": "", "parent_id": second}},
        {"id": "a0000000-0000-4000-8000-000000000002",
         "taxonomy_term": {"id": second, "name": "Two", "description": "", "parent_id": first}},
    ]
    with pytest.raises(CommandError, match=r"attributes\[0\]\.taxonomy_term\.parent_id: makes a loop"):
        _import(_write(tmp_path, [service]))
    assert not ActivityPage.objects.exists()


def test_a_file_saved_with_a_byte_order_mark_is_read(home, postcodes, tmp_path):
    path = tmp_path / "services.json"
    path.write_bytes(b"\xef\xbb\xbf" + (FIXTURES / "service_full.json").read_bytes())
    _import(path)
    assert ActivityPage.objects.filter(oruk_id=SERVICE_ID).exists()


# Coordinates: in the UK and within 2 km of the postcode's centre, or the postcode wins (issue 16)

POOLE_CENTRE = (Decimal("50.715400"), Decimal("-1.987100"))  # BH15 1AB in the `postcodes` fixture
BELFAST = (54.5973, -5.9301)


def _located(latitude, longitude, postcode: str = "BH15 1AB") -> dict:
    service = _example()
    location = service["service_at_locations"][0]["location"]
    location["latitude"], location["longitude"] = latitude, longitude
    location["addresses"][0]["postal_code"] = postcode
    return service


def _position(venue: Venue):
    return (venue.latitude, venue.longitude)


def _coordinate_warnings(err: str) -> list[str]:
    return [line for line in err.splitlines() if LOCATION_ID in line]


def test_an_imported_longitude_of_101_beside_bh15_1ab_gives_way_to_the_postcode_with_a_warning(
    home, postcodes, tmp_path
):
    _, err = _import(_write(tmp_path, [_located(50.7154, 101)]))

    # Nothing is lost: the record imports, placed at its postcode's centre.
    assert ActivityPage.objects.filter(oruk_id=SERVICE_ID).exists()
    assert _position(Venue.objects.get(oruk_id=LOCATION_ID)) == POOLE_CENTRE
    assert _coordinate_warnings(err) == [
        f"Warning: service {SERVICE_ID}: service_at_locations[0].location: location {LOCATION_ID} "
        "“MyCity Civic Center” (the position in the file): The position (latitude 50.7154, longitude 101) is "
        "outside the UK, so we used the centre of BH15 1AB instead."
    ]


def test_the_oruk_examples_own_coordinates_import_at_the_postcode_with_a_warning(home, postcodes, tmp_path):
    # The published example has latitude 100, longitude 101: not on Earth.
    _, err = _import(_write(tmp_path, [_located(100, 101)]))

    assert _position(Venue.objects.get(oruk_id=LOCATION_ID)) == POOLE_CENTRE
    assert "The latitude is not between -90 and 90 (latitude 100, longitude 101)" in err


def test_imported_coordinates_5_km_from_the_postcode_give_way_to_it(home, postcodes, tmp_path):
    _, err = _import(_write(tmp_path, [_located(50.760366, -1.987100)]))  # 5 km north

    assert _position(Venue.objects.get(oruk_id=LOCATION_ID)) == POOLE_CENTRE
    assert "is 5.0 km from the centre of the postcode BH15 1AB, more than the 2 km we allow" in err


def test_imported_coordinates_1_km_from_the_postcode_are_kept(home, postcodes, tmp_path):
    _, err = _import(_write(tmp_path, [_located(50.724393, -1.987100)]))  # 1 km north

    assert _position(Venue.objects.get(oruk_id=LOCATION_ID)) == (Decimal("50.724393"), Decimal("-1.987100"))
    assert _coordinate_warnings(err) == []


def test_imported_coordinates_for_a_northern_irish_postcode_are_kept(home, postcodes, tmp_path):
    # Code-Point Open has no BT postcodes: only the UK's outline applies.
    _, err = _import(_write(tmp_path, [_located(*BELFAST, postcode="BT1 5GS")]))

    assert _position(Venue.objects.get(oruk_id=LOCATION_ID)) == (Decimal("54.597300"), Decimal("-5.930100"))
    assert _coordinate_warnings(err) == []


def test_dublin_coordinates_for_a_postcode_we_cannot_place_import_with_no_position_and_a_warning(
    home, postcodes, tmp_path
):
    _, err = _import(_write(tmp_path, [_located(53.3498, -6.2603, postcode="BT1 5GS")]))

    assert ActivityPage.objects.filter(oruk_id=SERVICE_ID).exists()
    assert _position(Venue.objects.get(oruk_id=LOCATION_ID)) == (None, None)
    [warning] = _coordinate_warnings(err)
    assert warning.endswith(
        "The position (latitude 53.3498, longitude -6.2603) is outside the UK, so it has no position on the map. "
        "Correct the latitude and longitude: our postcode table does not have BT1 5GS, so it cannot place it."
    )


def test_refused_coordinates_leave_a_venue_where_it_was_when_nothing_else_can_place_it(home, postcodes, tmp_path):
    _import(_write(tmp_path, [_located(*BELFAST, postcode="BT1 5GS")]))

    _, err = _import(_write(tmp_path, [_located(53.3498, -6.2603, postcode="BT1 5GS")]))

    assert _position(Venue.objects.get(oruk_id=LOCATION_ID)) == (Decimal("54.597300"), Decimal("-5.930100"))
    [warning] = _coordinate_warnings(err)
    assert warning.endswith("is outside the UK, so it keeps the position it had.")


def test_a_bad_position_stored_before_is_corrected_when_the_file_gives_none(home, postcodes, tmp_path):
    # As the probe found: a longitude of 101 stored beside BH15 1AB by an earlier import.
    _import(FIXTURES / "service_full.json")
    Venue.objects.filter(oruk_id=LOCATION_ID).update(latitude=Decimal("50.7154"), longitude=Decimal("101"))

    _, err = _import(FIXTURES / "service_full.json")

    assert _position(Venue.objects.get(oruk_id=LOCATION_ID)) == POOLE_CENTRE
    [warning] = _coordinate_warnings(err)
    assert "(the position it had): The position (latitude 50.7154, longitude 101) is outside the UK" in warning


@pytest.mark.parametrize("latitude", [1e300, -91])
def test_impossible_imported_latitudes_never_stop_the_import(home, postcodes, tmp_path, latitude):
    _import(_write(tmp_path, [_located(latitude, -1.9871)]))
    assert _position(Venue.objects.get(oruk_id=LOCATION_ID)) == POOLE_CENTRE


def test_an_imported_latitude_alone_gives_way_to_the_postcode(home, postcodes, tmp_path):
    service = _located(50.7154, -1.9871)
    del service["service_at_locations"][0]["location"]["longitude"]
    _, err = _import(_write(tmp_path, [service]))

    assert _position(Venue.objects.get(oruk_id=LOCATION_ID)) == POOLE_CENTRE
    assert "Only the latitude was given (latitude 50.7154, longitude none)" in err


def test_a_latitude_of_1e400_reads_as_infinity_and_gives_way_to_the_postcode(home, postcodes, tmp_path):
    text = json.dumps([_located(50.7154, -1.9871)]).replace("50.7154", "1e400")
    _, err = _import(_write(tmp_path, text))

    assert _position(Venue.objects.get(oruk_id=LOCATION_ID)) == POOLE_CENTRE
    assert "The latitude is not a number (latitude 'inf', longitude -1.9871)" in err
