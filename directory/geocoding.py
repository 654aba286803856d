"""Finding where a postcode is.

The geocoder is a geopy ``Geocoder`` named by the ``SIGNPOST_GEOCODER`` setting. The default,
``CodePointGeocoder``, answers from the local Code-Point Open postcode table and needs no
network. Production may name an online geopy geocoder (for example
``geopy.geocoders.Nominatim`` with its options); answers are then cached and rate limited.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from django.utils.module_loading import import_string
from geopy.exc import GeocoderUnavailable, GeopyError
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders.base import Geocoder
from geopy.location import Location
from geopy.point import Point

from directory.models.postcodes import Postcode
from directory.postcodes import PostcodeError, normalise_postcode

_SIX_PLACES = Decimal("0.000001")


class GeocodingError(ValueError):
    """A postcode we cannot place on the map, with a message fit to show the person who typed it."""


class PostcodeNotFound(GeocodingError):
    """A well-formed postcode the geocoder does not know (``directory.coverage`` says whether
    Signpost covers its district at all)."""

    def __init__(self, message: str, postcode: str):
        super().__init__(message)
        self.postcode = postcode


@dataclass(frozen=True)
class Coordinates:
    latitude: Decimal
    longitude: Decimal

    @classmethod
    def of(cls, latitude: float, longitude: float) -> "Coordinates":
        return cls(
            Decimal(str(latitude)).quantize(_SIX_PLACES, ROUND_HALF_UP),
            Decimal(str(longitude)).quantize(_SIX_PLACES, ROUND_HALF_UP),
        )


class CodePointGeocoder(Geocoder):
    """Postcode centroids from the local table built by ``load_postcodes`` (no network)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)

    def geocode(self, query, *, exactly_one=True, timeout=None):
        try:
            postcode = normalise_postcode(str(query))
        except PostcodeError:
            return None
        row = Postcode.objects.filter(pk=postcode).first()
        if row is None:
            return None
        location = Location(postcode, Point(float(row.latitude), float(row.longitude)), {"postcode": postcode})
        return location if exactly_one else [location]


class UnavailableGeocoder(Geocoder):
    """Always fails, as an online geocoder does when its service is down (for testing failure paths)."""

    def geocode(self, query, *, exactly_one=True, timeout=None):
        raise GeocoderUnavailable("The geocoding service is unavailable.")


@lru_cache(maxsize=1)
def _configured_geocoder() -> tuple[Geocoder, bool]:
    options = settings.SIGNPOST_GEOCODER
    geocoder = import_string(options["BACKEND"])(**options.get("OPTIONS", {}))
    return geocoder, isinstance(geocoder, (CodePointGeocoder, UnavailableGeocoder))


def get_geocoder() -> Geocoder:
    return _configured_geocoder()[0]


def locate_postcode(postcode: str) -> Coordinates:
    """The coordinates of ``postcode``, or a ``GeocodingError`` that says what is wrong."""
    try:
        postcode = normalise_postcode(postcode)
    except PostcodeError as error:
        raise GeocodingError(str(error)) from error
    geocoder, local = _configured_geocoder()
    cache_key = f"geocode:{postcode.replace(' ', '')}"
    if not local and (cached := cache.get(cache_key)):
        return cached
    try:
        if local:
            location = geocoder.geocode(postcode)
        else:
            # Online services limit request rates; one a second is the Nominatim policy.
            location = RateLimiter(geocoder.geocode, min_delay_seconds=1, max_retries=2)(f"{postcode}, UK")
    except GeopyError as error:
        raise GeocodingError(
            f"We could not look up {postcode} just now. Try again later, or enter the latitude and longitude."
        ) from error
    if location is None:
        raise PostcodeNotFound(f"We cannot find the postcode {postcode}. Check it is right and still in use.", postcode)
    coordinates = Coordinates.of(location.latitude, location.longitude)
    if not local:
        cache.set(cache_key, coordinates, timeout=60 * 60 * 24 * 30)
    return coordinates
