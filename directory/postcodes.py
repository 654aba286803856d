"""UK postcode normalisation and validation (format only; the geocoder checks existence)."""

import re

# Outward code (area, district) then inward code (sector, unit); see BS 7666.
_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")


class PostcodeError(ValueError):
    pass


def normalise_postcode(value: str) -> str:
    """Return ``value`` as an upper-case postcode with one space, e.g. ``"bh151ab"`` -> ``"BH15 1AB"``."""
    compact = re.sub(r"\s+", "", value or "").upper()
    if not compact:
        raise PostcodeError("Enter a postcode, like BH15 1AB.")
    match = _POSTCODE.match(compact)
    if not match:
        raise PostcodeError(f"“{value.strip()}” is not a UK postcode. Enter a postcode like BH15 1AB.")
    return f"{match.group(1)} {match.group(2)}"


def postcode_district(postcode: str) -> str:
    """The outward code of a normalised postcode (``"BH15 1AB"`` -> ``"BH15"``)."""
    return postcode.split(" ")[0]
