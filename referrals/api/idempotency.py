"""``Idempotency-Key`` on the API's changes: the same key and the same request do it once.

A clinical system that times out waiting for our answer cannot know whether the referral was
made (or the connection made, the step taken); with a key it can simply send the request again.
The key is remembered with a hash of the request (the body; for any operation but making a
referral, its path too), in the same transaction as the change, for ``IDEMPOTENCY_KEY_HOURS``:
- the same key with the same request: what the first one made or changed (nothing is done twice,
  nobody is told twice); a step's retry answers with the referral or connection as it is now;
- the same key with a different body: refused (422), since it is not a retry;
- two requests with the same key at the same moment: the unique constraint lets one through,
  and the other answers with the winner's referral.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import TypeVar
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from referrals.models import ApiToken, IdempotentRequest, Referral

HEADER = "Idempotency-Key"
# Visible ASCII, up to 255 characters: a UUID is the usual choice. The schema states the pattern.
KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"
_VALID_KEY = re.compile(KEY_PATTERN)
T = TypeVar("T")


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


def request_hash(data, *, path: str | None = None) -> str:
    """A hash of the body (and, but for making a referral, the path: a key sent again to another
    operation or another referral is a different request)."""
    canonical = json.dumps(data if path is None else {"path": path, "body": data}, sort_keys=True,
                           separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def once(*, caller: str, key: str, digest: str, make: Callable[[], T],
         referral_of: Callable[[T], Referral] = lambda made: made,
         replay: Callable[[IdempotentRequest], T] = lambda earlier: earlier.referral) -> tuple[T, bool]:
    """``make()`` under the caller's key, or find what was made under it before: (what was made,
    whether it was made before). What is remembered is the referral made or changed
    (``referral_of(made)``), at the moment it was (``made.created_at`` for a new connection, so a retry
    finds that connection by ``replay(earlier)``). Raises ``KeyReused`` for a different request."""
    earlier = earlier_request(caller=caller, key=key, digest=digest)
    if earlier is not None:
        return replay(earlier), True
    try:
        with transaction.atomic():
            made = make()
            remember(caller=caller, key=key, digest=digest, referral=referral_of(made),
                     at=getattr(made, "created_at", None))
    except IntegrityError:
        # The same key at the same moment: the other request made it (and this one's changes and
        # notifications went with the rolled-back transaction).
        earlier = earlier_request(caller=caller, key=key, digest=digest)
        if earlier is None:
            raise
        return replay(earlier), True
    return made, False


def earlier_request(*, caller: str, key: str, digest: str) -> IdempotentRequest | None:
    """The request made earlier with this key (within the time keys are kept), if any."""
    remembered = (
        IdempotentRequest.objects.filter(caller=caller, key=key, created_at__gte=_oldest_kept())
        .select_related("referral")
        .first()
    )
    if remembered is None:
        return None
    if remembered.request_hash != digest:
        raise KeyReused(f"This {HEADER} was used for a different request. Use a new key for a new request.")
    return remembered


def earlier_referral(*, caller: str, key: str, digest: str) -> Referral | None:
    """The referral an earlier request with this key made or changed, if any."""
    earlier = earlier_request(caller=caller, key=key, digest=digest)
    return earlier.referral if earlier is not None else None


def remember(*, caller: str, key: str, digest: str, referral: Referral, at=None) -> None:
    """Inside the transaction that made or changed ``referral`` (``at``: the moment a new connection
    was made): an IntegrityError here means another request won."""
    # A key past its time may be used again: forget the caller's old ones first.
    IdempotentRequest.objects.filter(caller=caller, created_at__lt=_oldest_kept()).delete()
    IdempotentRequest.objects.create(caller=caller, key=key, request_hash=digest, referral=referral,
                                     created_at=at or timezone.now())


def _oldest_kept():
    return timezone.now() - timedelta(hours=settings.SIGNPOST_REFERRALS["IDEMPOTENCY_KEY_HOURS"])
