"""How a self-referral finds its way in: the service that covers a postcode, and the form's spam guards.

Plain functions, so the self-referral page (and anything else that takes referrals from the
public) asks the same questions the same way: which single point of access covers this
postcode, is this address sending too many referrals, and did a robot fill the honeypot.
"""

from __future__ import annotations

import hashlib
import re
import time

from django.conf import settings
from django.core.cache import cache
from django.db import models

from common.bounds import parse_id
from directory.models import NeedTerm
from directory.postcodes import PostcodeError, normalise_postcode
from directory.selectors import public_activities
from referrals.models import SocialPrescribingService

# The form field a person never sees; robots fill every field they find.
HONEYPOT_FIELD = "website"

_RATE_WINDOW_SECONDS = 60 * 60


# Which service covers a postcode ---------------------------------------------------------


def postcode_keys(postcode: str) -> list[str]:
    """The ways a service may name an area that holds ``postcode``, most specific first.

    ``"BH15 1AB"`` -> ``["BH15 1AB", "BH15 1", "BH15", "BH"]``: the full postcode, its sector,
    its district and its area. A service's prefix matches only a whole one of these, so the
    prefix "B" (Birmingham) never claims "BH15" (Poole).
    """
    try:
        normalised = normalise_postcode(postcode)
    except PostcodeError:
        return []
    district, inward = normalised.split(" ")
    # The area is the district's leading letters ("BH15" -> "BH", "EC1A" -> "EC").
    area = re.match(r"[A-Z]+", district).group(0)
    return [normalised, f"{district} {inward[0]}", district, area]


def service_for_postcode(postcode: str) -> SocialPrescribingService | None:
    """The service whose postcode prefixes match ``postcode`` most specifically, or None.

    Where two services both claim an area (one "WA", another "WA7"), the longer prefix wins:
    a district carved out of an area belongs to the service that named it.
    """
    keys = postcode_keys(postcode)
    if not keys:
        return None
    specificity = {key: len(keys) - position for position, key in enumerate(keys)}
    best, best_rank = None, 0
    for service in SocialPrescribingService.objects.exclude(postcode_prefixes="").order_by("pk"):
        for prefix in service.prefixes:
            rank = specificity.get(" ".join(prefix.split()), 0)
            if rank > best_rank:
                best, best_rank = service, rank
    return best


# Spam guards -----------------------------------------------------------------------------


def honeypot_filled(data) -> bool:
    """True when the hidden field a person never sees has something in it (so a robot sent it)."""
    return bool((data.get(HONEYPOT_FIELD) or "").strip())


def _rate_key(scope: str, ip: str, *, now: float | None = None) -> str:
    # A hash, not the address: the cache need not hold anyone's IP address.
    window = int((now if now is not None else time.time()) // _RATE_WINDOW_SECONDS)
    digest = hashlib.sha256(f"{scope}:{ip}".encode()).hexdigest()[:32]
    return f"signpost:rate:{scope}:{digest}:{window}"


def self_referrals_per_hour() -> int:
    return int(settings.SIGNPOST_REFERRALS.get("SELF_REFERRALS_PER_HOUR", 5))


def rate_limited(*, scope: str, ip: str, limit: int) -> bool:
    """True when ``ip`` has already used up its ``limit`` of ``scope`` in the current hour."""
    return (cache.get(_rate_key(scope, ip)) or 0) >= limit


def count_attempt(*, scope: str, ip: str) -> int:
    """Count one more ``scope`` from ``ip`` in the current hour; the new count."""
    key = _rate_key(scope, ip)
    cache.add(key, 0, timeout=_RATE_WINDOW_SECONDS)
    try:
        return cache.incr(key)
    except ValueError:  # the key expired between add() and incr()
        cache.set(key, 1, timeout=_RATE_WINDOW_SECONDS)
        return 1


# What the person was looking at when they chose to refer themselves ----------------------

# How many needs a link may carry: a search names a handful; more is not a person's search.
_MAX_PREFILLED_NEEDS = 10


def prefill_from(query) -> dict:
    """What an activity page or search results already know, read from ``query`` (a QueryDict).

    ``{"activity": "12", "postcode": "BH15 1AB", "needs": ["3"]}``, with only what validates: the
    activity must be public, the postcode a UK postcode, each need a term of the taxonomy (named
    by slug, id or Open Referral UK id, as the search's links name them) and is given as the
    top-level need the self-referral offers. Anything else is dropped, never an error: the person
    only answers the questions again.
    """
    known: dict = {}
    pk = parse_id(query.get("activity"))
    if pk is not None and public_activities().filter(pk=pk).exists():
        known["activity"] = str(pk)
    try:
        known["postcode"] = normalise_postcode(str(query.get("postcode") or "")[:16])
    except PostcodeError:
        pass
    names = [str(value)[:120] for value in (query.getlist("needs") or query.getlist("need"))][:_MAX_PREFILLED_NEEDS]
    names = [name for name in names if name]
    if names:
        ids = [int(name) for name in names if name.isdigit() and parse_id(name) is not None]
        terms = NeedTerm.objects.filter(models.Q(slug__in=names) | models.Q(pk__in=ids) | models.Q(oruk_id__in=names))
        top = []
        for term in terms.select_related("parent"):
            while term.parent_id is not None:
                term = term.parent
            if str(term.pk) not in top:
                top.append(str(term.pk))
        if top:
            known["needs"] = sorted(top, key=int)
    return known
