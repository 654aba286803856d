"""Which postcodes Signpost covers, and where to look instead for one it does not.

The postcode table (Code-Point Open, loaded area by area by ``load_postcodes``) holds the areas
Signpost covers. A well-formed postcode the table does not know is either a slip in a district
we cover ("check it is right") or a postcode from somewhere we do not cover yet: then saying
"check it is right" would be wrong, and the person needs to know where to look instead.
"""

from django.conf import settings

from directory.models.postcodes import Postcode
from directory.postcodes import PostcodeError, normalise_postcode, postcode_district

OUTSIDE_AREA = "Signpost does not cover {district} yet."

# Where to look instead: (link text, address, what it is). A deployment may name its own with
# the SIGNPOST_ELSEWHERE setting (the same shape), for example its council's own directory.
ELSEWHERE = (
    ("Find your local council", "https://www.gov.uk/find-local-council",
     "Councils list activities, groups and support near you (GOV.UK)."),
    ("Find NHS services near you", "https://www.nhs.uk/service-search",
     "NHS.UK lists services such as GP surgeries, pharmacies and talking therapies."),
    ("NHS 111 online", "https://111.nhs.uk/",
     "If you need medical help now, go to 111.nhs.uk or call 111."),
)


def elsewhere() -> tuple[tuple[str, str, str], ...]:
    return tuple(getattr(settings, "SIGNPOST_ELSEWHERE", ELSEWHERE))


def uncovered_district(postcode: str) -> str | None:
    """``postcode``'s district if Signpost does NOT cover it, else None (covered, or not a postcode).

    A district is covered when the postcode table holds any postcode in it. The range query reads
    the primary key's index on SQLite and PostgreSQL alike ("BH15 " up to "BH15!").
    """
    try:
        district = postcode_district(normalise_postcode(postcode))
    except PostcodeError:
        return None
    known = Postcode.objects.filter(pk__gte=f"{district} ", pk__lt=f"{district}!").exists()
    return None if known else district
