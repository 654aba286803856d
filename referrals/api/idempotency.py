"""``Idempotency-Key`` on making a referral: the same key and the same request give the same referral.

A clinical system that times out waiting for our answer cannot know whether the referral was
made; with a key it can simply send the request again. The key is remembered with a hash of
the request body, in the same transaction as the referral, for ``IDEMPOTENCY_KEY_HOURS``:
- the same key with the same body: the referral made the first time (no second one);
- the same key with a different body: refused (422), since it is not a retry;
- two requests with the same key at the same moment: the unique constraint lets one through,
  and the other answers with the winner's referral.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from referrals.models import ApiToken, IdempotentRequest, Referral

HEADER = "Idempotency-Key"
# Visible ASCII, up to 255 characters: a UUID is the usual choice. The schema states the pattern.
KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"
_VALID_KEY = re.compile(KEY_PATTERN)


class KeyReused(Exception):
    """The key was used for a different request."""


class BadKey(Exception):
    """The header's value cannot be a key."""


def key_from(request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    key = key.strip()
    if not _VALID_KEY.fullmatch(key):
        raise BadKey(f"{HEADER} must be 1 to 255 visible ASCII characters, such as a UUID.")
    return key


def caller_of(request) -> str:
    """Whose keys these are: the API token's, or the signed-in member of staff's."""
    if isinstance(request.auth, ApiToken):
        return f"token:{request.auth.pk}"
    return f"user:{request.user.pk}"


def request_hash(data) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def once(*, caller: str, key: str, digest: str, make: Callable[[], Referral]) -> tuple[Referral, bool]:
    """``make()`` a referral under the caller's key, or find the one made under it before:
    (the referral, whether it was made before). Raises ``KeyReused`` for a different request."""
    earlier = earlier_referral(caller=caller, key=key, digest=digest)
    if earlier is not None:
        return earlier, True
    try:
        with transaction.atomic():
            referral = make()
            remember(caller=caller, key=key, digest=digest, referral=referral)
    except IntegrityError:
        # The same key at the same moment: the other request made the referral (and this one's
        # referral, resident and notifications went with the rolled-back transaction).
        earlier = earlier_referral(caller=caller, key=key, digest=digest)
        if earlier is None:
            raise
        return earlier, True
    return referral, False


def earlier_referral(*, caller: str, key: str, digest: str) -> Referral | None:
    """The referral an earlier request with this key made (within the time keys are kept), if any."""
    remembered = (
        IdempotentRequest.objects.filter(caller=caller, key=key, created_at__gte=_oldest_kept())
        .select_related("referral")
        .first()
    )
    if remembered is None:
        return None
    if remembered.request_hash != digest:
        raise KeyReused(f"This {HEADER} was used for a different request. Use a new key for a new referral.")
    return remembered.referral


def remember(*, caller: str, key: str, digest: str, referral: Referral) -> None:
    """Inside the transaction that made ``referral``: an IntegrityError here means another request won."""
    # A key past its time may be used again: forget the caller's old ones first.
    IdempotentRequest.objects.filter(caller=caller, created_at__lt=_oldest_kept()).delete()
    IdempotentRequest.objects.create(caller=caller, key=key, request_hash=digest, referral=referral)


def _oldest_kept():
    return timezone.now() - timedelta(hours=settings.SIGNPOST_REFERRALS["IDEMPOTENCY_KEY_HOURS"])
