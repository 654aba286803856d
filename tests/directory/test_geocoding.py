"""Placing postcodes and venues on the map, from the offline Code-Point table."""

from decimal import Decimal

import pytest
from django.test import override_settings
from django.urls import reverse

from directory import geocoding
from factories.directory import make_venue
from directory.geocoding import CodePointGeocoder, Coordinates, GeocodingError, locate_postcode
from directory.models import Venue

pytestmark = pytest.mark.django_db

POOLE = Coordinates(Decimal("50.715400"), Decimal("-1.987100"))  # BH15 1AB in the `postcodes` fixture
LEEDS = Coordinates(Decimal("53.796600"), Decimal("-1.543600"))  # LS1 1UR

VENUE_ADD_URL = "/admin/snippets/directory/venue/add/"


@pytest.fixture
def geocoder_down():
    """The geocoder as an online service that is not answering."""
    # The configured geocoder is built once per process; rebuild it around the override.
    geocoding._configured_geocoder.cache_clear()
    with override_settings(SIGNPOST_GEOCODER={"BACKEND": "directory.geocoding.UnavailableGeocoder"}):
        yield
    geocoding._configured_geocoder.cache_clear()


# The geocoder ---------------------------------------------------------------------------------


def test_a_known_postcode_is_placed_at_its_centroid(postcodes):
    assert locate_postcode("BH15 1AB") == POOLE


@pytest.mark.parametrize("typed", ["bh151ab", " bh15 1ab ", "BH15  1AB", "Bh15\t1aB"])
def test_a_postcode_is_found_however_it_is_typed(postcodes, typed):
    assert locate_postcode(typed) == POOLE


def test_an_unknown_postcode_says_so(postcodes):
    with pytest.raises(GeocodingError) as error:
        locate_postcode("bh15 9zz")
    assert str(error.value) == "We cannot find the postcode BH15 9ZZ. Check it is right and still in use."


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("BH15", "“BH15” is not a UK postcode. Enter a postcode like BH15 1AB."),
        ("12345", "“12345” is not a UK postcode. Enter a postcode like BH15 1AB."),
        ("  ", "Enter a postcode, like BH15 1AB."),
    ],
)
def test_a_malformed_postcode_says_what_a_postcode_looks_like(postcodes, typed, message):
    with pytest.raises(GeocodingError) as error:
        locate_postcode(typed)
    assert str(error.value) == message


def test_the_code_point_geocoder_answers_as_a_geopy_geocoder(postcodes):
    location = CodePointGeocoder().geocode("ls11ur")

    assert location.address == "LS1 1UR"
    assert (location.latitude, location.longitude) == (53.7966, -1.5436)
    assert CodePointGeocoder().geocode("LS1 9ZZ") is None
    assert CodePointGeocoder().geocode("not a postcode") is None


def test_an_unavailable_geocoder_asks_for_coordinates_instead(postcodes, geocoder_down):
    with pytest.raises(GeocodingError, match="We could not look up BH15 1AB just now.*latitude and longitude"):
        locate_postcode("BH15 1AB")


# The venue form -------------------------------------------------------------------------------


def venue_fields(**overrides) -> dict[str, str]:
    """What a person fills in on the venue form: an address, and no coordinates."""
    return {
        "name": "Poole Quay Community Room",
        "organisation": "",
        "address_1": "1 The Quay",
        "address_2": "",
        "town": "Poole",
        "postcode": "bh15 1ab",
        "latitude": "",
        "longitude": "",
        "accessibility_notes": "",
        "bus_stops": "",
        "bus_routes": "",
        "directions": "",
        **overrides,
    }


def venue_form(data: dict[str, str], instance: Venue | None = None):
    # The form the admin edits venues with (the venue snippet's, scoped to no one in particular).
    form_class = Venue.snippet_viewset.get_form_class()
    return form_class(data=data, instance=instance or Venue())


def test_the_form_fills_the_location_from_the_postcode(postcodes):
    form = venue_form(venue_fields())

    assert form.is_valid(), form.errors
    venue = form.save()
    assert venue.postcode == "BH15 1AB"
    assert Coordinates(venue.latitude, venue.longitude) == POOLE


@pytest.mark.parametrize(
    ("postcode", "message"),
    [
        ("BH15 9ZZ", "We cannot find the postcode BH15 9ZZ. Check it is right and still in use."),
        ("Poole", "“Poole” is not a UK postcode. Enter a postcode like BH15 1AB."),
        ("", "This field is required."),
    ],
)
def test_the_form_refuses_a_postcode_it_cannot_place(postcodes, postcode, message):
    form = venue_form(venue_fields(postcode=postcode))

    assert not form.is_valid()
    assert form.errors["postcode"] == [message]


def test_editing_a_venue_to_a_malformed_postcode_gives_one_clear_message(postcodes):
    venue = make_venue("Community Room", postcode="BH15 1AB", latitude=50.7154, longitude=-1.9871)
    form = venue_form(venue_fields(postcode="BH15 1A", latitude="50.7154", longitude="-1.9871"), instance=venue)

    assert not form.is_valid()
    assert form.errors["postcode"] == ["“BH15 1A” is not a UK postcode. Enter a postcode like BH15 1AB."]


def test_typed_coordinates_are_kept_for_a_postcode_too_new_to_be_known(postcodes):
    form = venue_form(venue_fields(postcode="BH15 9ZZ", latitude="50.7161", longitude="-1.9902"))

    assert form.is_valid(), form.errors
    venue = form.save()
    assert (venue.latitude, venue.longitude) == (Decimal("50.7161"), Decimal("-1.9902"))


def test_a_venue_that_moves_is_placed_at_its_new_postcode(postcodes):
    venue = make_venue("Community Room", postcode="BH15 1AB", latitude=50.7154, longitude=-1.9871)
    form = venue_form(
        venue_fields(name=venue.name, postcode="LS1 1UR", latitude="50.7154", longitude="-1.9871"), instance=venue
    )

    assert form.is_valid(), form.errors
    form.save()
    venue.refresh_from_db()
    assert Coordinates(venue.latitude, venue.longitude) == LEEDS


def test_coordinates_someone_corrected_by_hand_are_not_overwritten(postcodes):
    venue = make_venue("Community Room", postcode="BH15 1AB", latitude=50.7154, longitude=-1.9871)
    form = venue_form(venue_fields(postcode="BH15 1AB", latitude="50.7160", longitude="-1.9880"), instance=venue)

    assert form.is_valid(), form.errors
    form.save()
    venue.refresh_from_db()
    assert (venue.latitude, venue.longitude) == (Decimal("50.716000"), Decimal("-1.988000"))


def test_the_form_says_when_the_geocoder_is_down(postcodes, geocoder_down):
    form = venue_form(venue_fields())

    assert not form.is_valid()
    assert "We could not look up BH15 1AB just now" in form.errors["postcode"][0]


# Through the Wagtail admin --------------------------------------------------------------------


def test_the_admin_add_view_is_where_we_expect_it():
    assert reverse("wagtailsnippets_directory_venue:add") == VENUE_ADD_URL


def test_adding_a_venue_with_an_unknown_postcode_shows_the_error_and_saves_nothing(admin_user, sign_in, postcodes):
    response = sign_in(admin_user).post(VENUE_ADD_URL, venue_fields(postcode="BH15 9ZZ"))

    assert response.status_code == 200
    assert response.context["form"].errors["postcode"] == [
        "We cannot find the postcode BH15 9ZZ. Check it is right and still in use."
    ]
    assert "We cannot find the postcode BH15 9ZZ. Check it is right and still in use." in response.content.decode()
    assert not Venue.objects.exists()


def test_adding_a_venue_with_a_known_postcode_saves_it_on_the_map(admin_user, sign_in, postcodes):
    response = sign_in(admin_user).post(VENUE_ADD_URL, venue_fields(postcode="ls11ur"))

    assert response.status_code == 302, response.context["form"].errors if response.context else response
    venue = Venue.objects.get()
    assert venue.postcode == "LS1 1UR"
    assert Coordinates(venue.latitude, venue.longitude) == LEEDS
