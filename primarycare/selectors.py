"""Finding GP practices: what the practice chooser (a page or its type-ahead) and the API ask.

Only open practices are offered for a new choice; a closed one stays on the records of the people
who were registered there. Matching is written once here in portable lookups (``istartswith``,
``icontains``, ``Replace``), so SQLite and PostgreSQL answer the same query the same way.
"""

from __future__ import annotations

import re

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Replace, Upper

from directory.postcodes import PostcodeError, normalise_postcode
from primarycare.models import GpPractice

# What people type is bounded: a name of a few words, a code, a postcode.
MAX_QUERY_LENGTH = 100
MAX_WORDS = 8
MAX_RESULTS = 50

# An outward code on its own ("BH15", "SW1A", "M1"): the postcode district.
_DISTRICT = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")
# A postcode typed part-way ("BH15 1", "BH151A"): a district and the start of an inward code.
_PARTIAL_POSTCODE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{0,2}$")
# Something that could begin an ODS code: letters and digits only.
_CODE = re.compile(r"^[A-Z0-9]{2,10}$")

# Ranks, best first: a whole ODS code or postcode, then a name that starts as typed, then an ODS
# code that starts as typed, then the postcode district, then every word somewhere in the name.
_EXACT, _NAME_START, _CODE_START, _POSTCODE, _NAME_WORDS = range(5)


def open_practices() -> QuerySet[GpPractice]:
    return GpPractice.objects.filter(is_open=True)


def practice_by_ods_code(code: str) -> GpPractice | None:
    """The practice with ODS code ``code`` (any case, spaces ignored), open or closed, or None."""
    compact = re.sub(r"\s+", "", code or "").upper()
    if not compact or len(compact) > 10:
        return None
    return GpPractice.objects.filter(ods_code__iexact=compact).select_related("pcn").first()


def search_practices(query: str, *, limit: int = 20) -> list[GpPractice]:
    """Open practices matching ``query``, best matches first (then by name), at most ``limit``.

    ``query`` may be words of the name in any order ("surgery harbour"), an ODS code or its start
    ("J81001", "j810"), a postcode with or without its space ("BH15 1AB", "bh151ab"), the start of
    one ("BH15 1"), or a postcode district ("BH15", which does not match BH1).
    """
    text = " ".join((query or "").split())[:MAX_QUERY_LENGTH]
    if not text:
        return []
    limit = max(1, min(limit, MAX_RESULTS))
    upper = text.upper()
    compact = upper.replace(" ", "")
    words = text.split(" ")[:MAX_WORDS]

    name_words = Q()
    for word in words:
        name_words &= Q(name__icontains=word)
    matches = name_words
    ranks = [When(name__istartswith=text, then=Value(_NAME_START))]

    if _CODE.match(compact):
        matches |= Q(ods_code__istartswith=compact)
        ranks.insert(0, When(ods_code__iexact=compact, then=Value(_EXACT)))
        ranks.append(When(ods_code__istartswith=compact, then=Value(_CODE_START)))

    postcode_matches = _postcode_matches(upper, compact)
    if postcode_matches is not None:
        whole, part = postcode_matches
        if whole is not None:
            matches |= whole
            ranks.insert(0, When(whole, then=Value(_EXACT)))
        matches |= part
        ranks.append(When(part, then=Value(_POSTCODE)))

    return list(
        open_practices()
        # The postcode as its letters and digits: "BH15 1AB" and "BH151AB" are one postcode.
        .annotate(postcode_compact=Upper(Replace("postcode", Value(" "), Value(""))))
        .filter(matches)
        .annotate(rank=Case(*ranks, default=Value(_NAME_WORDS), output_field=IntegerField()))
        .order_by("rank", "name", "ods_code")[:limit]
    )


def _postcode_matches(upper: str, compact: str) -> tuple[Q | None, Q] | None:
    """(the whole postcode, the district or postcode begun) as lookups, or None if ``upper`` is no postcode."""
    if _DISTRICT.match(compact) and " " not in upper:
        # The district is the part before the space: "BH1 " never begins "BH15 1AB".
        return None, Q(postcode__istartswith=f"{compact} ")
    try:
        whole = normalise_postcode(compact)
    except PostcodeError:
        whole = None
    if whole is not None:
        return Q(postcode_compact=compact), Q(postcode_compact=compact)
    if _PARTIAL_POSTCODE.match(compact):
        if " " in upper:
            return None, Q(postcode__istartswith=upper)
        return None, Q(postcode_compact__startswith=compact)
    return None
