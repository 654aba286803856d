"""Checking a place's latitude and longitude before we store it.

One rule for every way coordinates arrive (an Open Referral UK import, an editor's venue
form): a place must be in the UK, and where the postcode table knows its postcode, within
``MAX_KM_FROM_POSTCODE`` of the postcode's centre. Otherwise the postcode's centre wins,
with a warning in plain English; if the postcode cannot place it either, the place has no
position and the warning says what to fix.

"In the UK" is a coarse outline, not the coastline: one polygon round Great Britain, the
Isle of Man and Northern Ireland (with its land border drawn a few kilometres into the
Republic of Ireland, so that no Northern Irish place is refused for being near it), and one
round the Channel Islands. A bounding box alone would let in Dublin, Calais and most of the
Irish Sea; the outline shuts out Ireland beyond the border band, France, the Low Countries
and every point whose latitude and longitude were swapped or lost their sign, which are the
mistakes seen in practice. The postcode check catches smaller slips, except in Northern
Ireland, the Isle of Man and the Channel Islands, whose postcodes Code-Point Open does not
cover.
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from geopy.distance import geodesic

from directory.geocoding import Coordinates
from directory.models.postcodes import Postcode
from directory.postcodes import PostcodeError, normalise_postcode

MAX_KM_FROM_POSTCODE = 2

# (latitude, longitude) corners, in order round each outline. Points are at sea except
# along the Irish land border; a comment names what each one lies between.
_GREAT_BRITAIN_AND_NORTHERN_IRELAND = (
    (49.80, -7.00),  # south-west of the Isles of Scilly
    (51.40, -7.00),  # the Celtic Sea, south of Hook Head
    (52.15, -5.70),  # between St Davids Head and Carnsore Point
    (53.50, -5.70),  # between Holyhead and Lambay Island
    (53.98, -6.02),  # the mouth of Carlingford Lough
    (54.06, -6.30),  # the land border, round south Armagh
    (54.02, -6.66),
    (54.22, -6.92),
    (54.46, -7.06),  # north of Emyvale, round Aughnacloy
    (54.22, -7.10),  # round Rosslea
    (54.13, -7.40),  # south of Newtownbutler
    (54.16, -7.68),
    (54.27, -7.95),  # Belcoo
    (54.42, -8.22),  # Garrison
    (54.50, -8.16),  # Belleek
    (54.60, -7.86),  # Pettigo
    (54.72, -7.72),  # Castlederg
    (54.84, -7.52),  # Strabane
    (55.06, -7.40),  # Derry
    (55.22, -7.00),  # the mouth of Lough Foyle
    (55.60, -7.00),  # between Rathlin Island and Inishtrahull
    (56.60, -8.00),  # west of Tiree and Barra
    (57.70, -9.00),  # west of St Kilda
    (58.60, -8.80),  # west of the Flannan Isles
    (59.40, -7.00),  # west of North Rona
    (61.00, -2.50),  # north-west of Shetland
    (61.00, 0.20),  # north-east of Shetland
    (57.50, -1.20),  # east of Peterhead
    (54.20, 0.40),  # east of Flamborough Head
    (53.00, 1.50),  # north of Cromer
    (52.50, 2.00),  # east of Lowestoft
    (51.45, 2.00),  # the southern North Sea, west of Belgium
    (51.10, 1.50),  # the Strait of Dover, between Dover and Calais
    (50.75, 1.10),  # between Dungeness and Boulogne
    (50.30, 0.00),  # the Channel, between Beachy Head and the Seine
    (49.80, -3.00),  # north of the Cotentin and Alderney
)
_CHANNEL_ISLANDS = (
    (48.90, -2.30),  # south of the Minquiers
    (48.95, -2.00),  # between the Minquiers and Chausey
    (49.32, -1.90),  # east of the Écréhous
    (49.60, -2.05),  # west of Cap de la Hague
    (49.80, -2.05),
    (49.80, -2.40),  # north of Alderney
    (49.50, -2.80),  # west of Guernsey
    (49.30, -2.80),
)
UK_OUTLINES = (_GREAT_BRITAIN_AND_NORTHERN_IRELAND, _CHANNEL_ISLANDS)


def in_uk(latitude: float, longitude: float) -> bool:
    """Whether the point lies within the UK's coarse outline (see the module's docstring)."""
    return any(_inside(latitude, longitude, outline) for outline in UK_OUTLINES)


def _inside(latitude: float, longitude: float, outline) -> bool:
    # Ray casting on the plane of latitude and longitude: a fair approximation at this scale.
    inside = False
    for (lat_a, lng_a), (lat_b, lng_b) in zip(outline, outline[1:] + outline[:1], strict=True):
        if (lat_a > latitude) != (lat_b > latitude):
            crossing = lng_a + (latitude - lat_a) / (lat_b - lat_a) * (lng_b - lng_a)
            if longitude < crossing:
                inside = not inside
    return inside


@dataclass(frozen=True)
class CoordinateCheck:
    """What to store for a place, and why it is not what we were given (if it is not)."""

    coordinates: Coordinates | None
    # Why the given coordinates were not kept ("… is outside the UK"); empty when they were.
    problem: str = ""
    # The whole warning in plain English: the problem and what we did about it.
    warning: str = ""

    @property
    def kept(self) -> bool:
        return not self.problem


def postcode_centres(postcodes) -> dict[str, Coordinates]:
    """The centres the postcode table gives for those of ``postcodes`` (normalised) it knows."""
    postcodes = sorted(set(postcodes))
    centres = {}
    for offset in range(0, len(postcodes), 500):  # in slices: SQLite limits a query's parameters
        rows = Postcode.objects.filter(postcode__in=postcodes[offset : offset + 500])
        for postcode, latitude, longitude in rows.values_list("postcode", "latitude", "longitude"):
            centres[postcode] = Coordinates(latitude, longitude)
    return centres


def check_coordinates(
    latitude, longitude, postcode: str | None, *, centres: Mapping[str, Coordinates] | None = None
) -> CoordinateCheck:
    """The coordinates to store for a place given as ``latitude``, ``longitude`` and ``postcode``.

    Values may be numbers, decimals or text; anything that is not a finite number in range is
    treated as a wrong position, never an error. With neither coordinate given there is nothing
    to check (``coordinates`` is None, no warning): the caller places the venue by its postcode
    as it always has. ``centres`` are postcode centres looked up beforehand
    (``postcode_centres``) when checking many places; without it the table is asked.
    """
    if latitude is None and longitude is None:
        return CoordinateCheck(None)
    try:
        postcode = normalise_postcode(postcode) if postcode else None
    except PostcodeError:
        postcode = None
    if postcode is None:
        centre = None
    elif centres is not None:
        centre = centres.get(postcode)
    else:
        centre = postcode_centres([postcode]).get(postcode)

    lat, lng = _degrees(latitude), _degrees(longitude)
    given = f"latitude {_show(latitude, lat)}, longitude {_show(longitude, lng)}"
    if latitude is None or longitude is None:
        problem = f"Only the {'longitude' if latitude is None else 'latitude'} was given ({given})"
    elif lat is None or lng is None:
        problem = f"The {'latitude' if lat is None else 'longitude'} is not a number ({given})"
    elif not -90 <= lat <= 90:
        problem = f"The latitude is not between -90 and 90 ({given})"
    elif not -180 <= lng <= 180:
        problem = f"The longitude is not between -180 and 180 ({given})"
    elif not in_uk(lat, lng):
        problem = f"The position ({given}) is outside the UK"
    elif centre is None:
        return CoordinateCheck(Coordinates.of(lat, lng))
    else:
        km = geodesic((lat, lng), (float(centre.latitude), float(centre.longitude))).km
        if km <= MAX_KM_FROM_POSTCODE:
            return CoordinateCheck(Coordinates.of(lat, lng))
        problem = (
            f"The position ({given}) is {km:.1f} km from the centre of the postcode {postcode}, "
            f"more than the {MAX_KM_FROM_POSTCODE} km we allow"
        )

    if centre is not None:
        return CoordinateCheck(centre, problem, f"{problem}, so we used the centre of {postcode} instead.")
    if postcode is None:
        remedy = "Correct the latitude and longitude, or give the place's postcode."
    else:
        remedy = f"Correct the latitude and longitude: our postcode table does not have {postcode}, so it cannot place it."
    return CoordinateCheck(None, problem, f"{problem}, so it has no position on the map. {remedy}")


def _degrees(value) -> float | None:
    """``value`` as a finite number of degrees, or None."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _show(value, number: float | None) -> str:
    if value is None:
        return "none"
    if number is None:
        text = str(value)
        return repr(text if len(text) <= 20 else f"{text[:20]}…")
    if abs(number) >= 1000:
        return f"{number:g}"
    # As typed, without a float's noise or a decimal's trailing zeros: 101, 50.7154, -1.9871.
    return format(Decimal(repr(number)).normalize(), "f")
