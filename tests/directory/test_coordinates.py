"""Coordinates must be in the UK and near their postcode's centre, or the postcode wins (issue 16).

The rule is ``directory.coordinates.check_coordinates``; the venue form and the ORUK importer
(tests/directory/test_oruk_import.py) both follow it.
"""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from geopy.distance import geodesic

from directory.coordinates import MAX_KM_FROM_POSTCODE, check_coordinates, in_uk
from directory.geocoding import Coordinates
from directory.models import Venue
from factories.directory import make_organisation, make_venue
from tests.directory.test_permissions import form_data, make_editor

pytestmark = pytest.mark.django_db

POOLE = Coordinates(Decimal("50.715400"), Decimal("-1.987100"))  # BH15 1AB in the `postcodes` fixture
BELFAST = (54.5973, -5.9301)  # City Hall; BT1 5GS is not in the table (Code-Point Open has no NI)
DUBLIN = (53.3498, -6.2603)


def _north_of_poole(km: float) -> tuple[float, float]:
    point = geodesic(kilometers=km).destination((float(POOLE.latitude), float(POOLE.longitude)), bearing=0)
    return round(point.latitude, 6), round(point.longitude, 6)


# The outline of the UK ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("place", "latitude", "longitude"),
    [
        ("Poole", 50.7154, -1.9871),
        ("St Agnes, Isles of Scilly", 49.89, -6.34),
        ("Dover", 51.12, 1.32),
        ("Lowestoft, the most easterly town", 52.48, 1.76),
        ("Muckle Flugga, Shetland", 60.86, -0.88),
        ("St Kilda", 57.81, -8.58),
        ("Holyhead", 53.31, -4.63),
        ("Douglas, Isle of Man", 54.15, -4.48),
        ("Belfast", *BELFAST),
        ("Crossmaglen, by the border", 54.08, -6.61),
        ("Belleek, by the border", 54.48, -8.09),
        ("Derry", 55.0, -7.32),
        ("Rathlin Island", 55.29, -6.2),
        ("St Helier, Jersey", 49.18, -2.11),
        ("St Peter Port, Guernsey", 49.46, -2.54),
        ("Alderney", 49.71, -2.2),
    ],
)
def test_places_in_the_uk_are_inside_its_outline(place, latitude, longitude):
    assert in_uk(latitude, longitude), place


@pytest.mark.parametrize(
    ("place", "latitude", "longitude"),
    [
        ("Dublin", *DUBLIN),
        ("Dundalk, 8 km from the border", 54.0, -6.4),
        ("Letterkenny", 54.95, -7.73),
        ("Malin Head", 55.38, -7.37),
        ("Wexford", 52.34, -6.46),
        ("Calais", 50.95, 1.86),
        ("Cap Gris-Nez", 50.87, 1.58),
        ("Boulogne", 50.73, 1.61),
        ("Cherbourg", 49.64, -1.62),
        ("Cap de la Hague, beside Alderney", 49.72, -1.94),
        ("Dunkirk", 51.03, 2.38),
        ("Bergen", 60.39, 5.32),
        ("the Faroes", 62.0, -6.8),
        ("the Atlantic", 50.7, -20),
        ("Poole with its latitude and longitude swapped", -1.9871, 50.7154),
        ("Poole with the longitude's sign lost", 50.7154, 1.9871),
        ("Poole with longitude 101", 50.7154, 101),
        ("0, 0", 0, 0),
    ],
)
def test_places_outside_the_uk_are_outside_its_outline(place, latitude, longitude):
    assert not in_uk(latitude, longitude), place


# The rule -------------------------------------------------------------------------------------


def test_a_longitude_of_101_beside_bh15_1ab_gives_way_to_the_postcodes_centre(postcodes):
    check = check_coordinates(50.7154, 101, "BH15 1AB")

    assert check.coordinates == POOLE
    assert not check.kept
    assert check.warning == (
        "The position (latitude 50.7154, longitude 101) is outside the UK, so we used the centre of BH15 1AB instead."
    )


def test_coordinates_5_km_from_the_postcodes_centre_give_way_to_it(postcodes):
    latitude, longitude = _north_of_poole(5)
    check = check_coordinates(latitude, longitude, "bh15 1ab")

    assert check.coordinates == POOLE
    assert check.warning == (
        f"The position (latitude {latitude}, longitude {longitude}) is 5.0 km from the centre of the postcode "
        "BH15 1AB, more than the 2 km we allow, so we used the centre of BH15 1AB instead."
    )


def test_coordinates_1_km_from_the_postcodes_centre_are_kept(postcodes):
    latitude, longitude = _north_of_poole(1)
    check = check_coordinates(Decimal(str(latitude)), Decimal(str(longitude)), "BH15 1AB")

    assert check.kept and check.warning == ""
    assert check.coordinates == Coordinates.of(latitude, longitude)


def test_the_limit_is_2_km(postcodes):
    assert MAX_KM_FROM_POSTCODE == 2
    assert check_coordinates(*_north_of_poole(1.99), "BH15 1AB").kept
    assert not check_coordinates(*_north_of_poole(2.01), "BH15 1AB").kept


def test_coordinates_for_a_postcode_the_table_lacks_are_kept_if_in_the_uk(postcodes):
    # Northern Ireland: Code-Point Open has no BT postcodes, so only the UK's outline applies.
    check = check_coordinates(*BELFAST, "BT1 5GS")

    assert check.kept
    assert check.coordinates == Coordinates.of(*BELFAST)


def test_coordinates_with_no_postcode_are_kept_if_in_the_uk(postcodes):
    # ORUK allows a location with no address, such as a park's meeting point.
    assert check_coordinates(50.7201, -1.9702, None).coordinates == Coordinates.of(50.7201, -1.9702)


def test_coordinates_outside_the_uk_with_no_postcode_are_refused(postcodes):
    check = check_coordinates(*DUBLIN, None)

    assert check.coordinates is None
    assert check.warning == (
        "The position (latitude 53.3498, longitude -6.2603) is outside the UK, so it has no position on the map. "
        "Correct the latitude and longitude, or give the place's postcode."
    )


def test_coordinates_outside_the_uk_with_a_postcode_the_table_lacks_are_refused(postcodes):
    check = check_coordinates(*DUBLIN, "BT1 5GS")

    assert check.coordinates is None
    assert check.warning.endswith(
        "so it has no position on the map. Correct the latitude and longitude: our postcode table does not have "
        "BT1 5GS, so it cannot place it."
    )


@pytest.mark.parametrize(
    ("latitude", "longitude", "problem"),
    [
        (91, -1.9871, "The latitude is not between -90 and 90 (latitude 91, longitude -1.9871)"),
        (50.7154, -181, "The longitude is not between -180 and 180 (latitude 50.7154, longitude -181)"),
        (float("nan"), -1.9871, "The latitude is not a number (latitude 'nan', longitude -1.9871)"),
        (50.7154, float("inf"), "The longitude is not a number (latitude 50.7154, longitude 'inf')"),
        ("north", -1.9871, "The latitude is not a number (latitude 'north', longitude -1.9871)"),
        (Decimal("sNaN"), -1.9871, "The latitude is not a number (latitude 'sNaN', longitude -1.9871)"),
        (10**400, -1.9871, "The latitude is not a number"),
        (1e300, -1.9871, "The latitude is not between -90 and 90 (latitude 1e+300, longitude -1.9871)"),
        (True, -1.9871, "The latitude is not a number"),
        (None, -1.9871, "Only the longitude was given (latitude none, longitude -1.9871)"),
    ],
)
def test_values_that_are_not_a_position_give_way_to_the_postcode_without_an_error(
    postcodes, latitude, longitude, problem
):
    check = check_coordinates(latitude, longitude, "BH15 1AB")

    assert check.coordinates == POOLE
    assert check.problem.startswith(problem)


def test_with_no_coordinates_there_is_nothing_to_check(postcodes):
    # The caller places the venue by its postcode, as it always has (directory.geocoding).
    check = check_coordinates(None, None, "BH15 1AB")
    assert check.coordinates is None and check.kept


# Editing a venue in the Wagtail admin ----------------------------------------------------------


@pytest.fixture
def poole_editor(home):
    organisation = make_organisation("Poole Community Trust")
    return make_editor(organisation, "poole-editor"), organisation


def _edit(client, venue, **changes):
    url = reverse("wagtailsnippets_directory_venue:edit", args=[venue.pk])
    data = form_data(client.get(url), "w-editor-form")
    data.update({name: [value] for name, value in changes.items()})
    return client.post(url, data, follow=True)


def test_an_editor_who_types_a_longitude_of_101_sees_the_postcodes_centre_used_and_why(
    postcodes, poole_editor, sign_in
):
    editor, organisation = poole_editor
    venue = make_venue("Poole Quay Community Room", postcode="BH15 1AB", organisation=organisation)
    client = sign_in(editor)

    response = _edit(client, venue, latitude="50.7154", longitude="101")

    assert response.status_code == 200
    venue.refresh_from_db()
    assert Coordinates(venue.latitude, venue.longitude) == POOLE
    warnings = [str(m) for m in response.context["messages"] if m.level_tag == "warning"]
    assert warnings == [
        "Poole Quay Community Room, BH15 1AB: The position (latitude 50.7154, longitude 101) is outside the UK, "
        "so we used the centre of BH15 1AB instead."
    ]
    assert "so we used the centre of BH15 1AB instead." in response.content.decode()


def test_an_editor_who_moves_the_position_5_km_away_sees_the_postcode_win(postcodes, poole_editor, sign_in):
    editor, organisation = poole_editor
    venue = make_venue("Poole Quay Community Room", postcode="BH15 1AB", organisation=organisation)
    client = sign_in(editor)
    latitude, longitude = _north_of_poole(5)

    response = _edit(client, venue, latitude=str(latitude), longitude=str(longitude))

    venue.refresh_from_db()
    assert Coordinates(venue.latitude, venue.longitude) == POOLE
    assert "5.0 km from the centre of the postcode BH15 1AB" in response.content.decode()


def test_an_editor_who_moves_the_position_1_km_keeps_it_with_no_warning(postcodes, poole_editor, sign_in):
    editor, organisation = poole_editor
    venue = make_venue("Poole Quay Community Room", postcode="BH15 1AB", organisation=organisation)
    client = sign_in(editor)
    latitude, longitude = _north_of_poole(1)

    response = _edit(client, venue, latitude=str(latitude), longitude=str(longitude))

    venue.refresh_from_db()
    assert Coordinates(venue.latitude, venue.longitude) == Coordinates.of(latitude, longitude)
    assert not [m for m in response.context["messages"] if m.level_tag == "warning"]


def test_an_editor_cannot_place_a_northern_irish_venue_in_dublin(postcodes, poole_editor, sign_in):
    # Nothing can replace the coordinates, so the form asks for them again (a venue must be findable).
    editor, organisation = poole_editor
    venue = make_venue("Belfast Hall", postcode="BT1 5GS", latitude=BELFAST[0], longitude=BELFAST[1],
                       organisation=organisation)
    client = sign_in(editor)

    response = _edit(client, venue, latitude=str(DUBLIN[0]), longitude=str(DUBLIN[1]))

    assert response.status_code == 200
    assert response.context["form"].errors["latitude"] == [
        "The position (latitude 53.3498, longitude -6.2603) is outside the UK. Correct the latitude and longitude."
    ]
    venue.refresh_from_db()
    assert (float(venue.latitude), float(venue.longitude)) == BELFAST


def test_an_editor_keeps_belfast_coordinates_for_a_postcode_the_table_lacks(postcodes, poole_editor, sign_in):
    editor, organisation = poole_editor
    venue = make_venue("Belfast Hall", postcode="BT1 5GS", latitude=54.6, longitude=-5.93, organisation=organisation)
    client = sign_in(editor)

    _edit(client, venue, latitude=str(BELFAST[0]), longitude=str(BELFAST[1]))

    venue.refresh_from_db()
    assert (float(venue.latitude), float(venue.longitude)) == BELFAST


@pytest.mark.parametrize("value", ["NaN", "inf", "1e400", "north", "12345678901234567890"])
def test_a_latitude_that_is_not_a_number_is_a_form_error_not_a_server_error(postcodes, poole_editor, sign_in, value):
    editor, organisation = poole_editor
    venue = make_venue("Poole Quay Community Room", postcode="BH15 1AB", organisation=organisation)
    client = sign_in(editor)

    response = _edit(client, venue, latitude=value)

    assert response.status_code == 200
    assert response.context["form"].errors["latitude"]
    venue.refresh_from_db()
    assert (venue.latitude, venue.longitude) == (Decimal("50.715500"), Decimal("-1.987200"))


def test_a_new_venue_with_a_latitude_over_90_is_saved_at_its_postcode_with_a_warning(postcodes, home, sign_in):
    moderator = get_user_model().objects.create_superuser("admin", "admin@example.org", "not-used")
    client = sign_in(moderator)
    url = reverse("wagtailsnippets_directory_venue:add")
    data = form_data(client.get(url), "w-editor-form")
    data.update(name=["Poole Quay Community Room"], address_1=["1 The Quay"], town=["Poole"], postcode=["bh15 1ab"],
                latitude=["95"], longitude=["-1.9871"])

    response = client.post(url, data, follow=True)

    venue = Venue.objects.get()
    assert Coordinates(venue.latitude, venue.longitude) == POOLE
    assert "The latitude is not between -90 and 90" in response.content.decode()
