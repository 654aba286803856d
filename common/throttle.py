"""Counting attempts per key in fixed windows, in the shared cache (the database cache in production).

For the actions that are not a password sign-in (django-axes throttles those): asking for a
password reset email, and opening the emailed password and invitation links.
"""

import hashlib
import time

from django.core.cache import cache


def attempt(key: str, *, limit: int, window_seconds: int) -> int | None:
    """Count one attempt for ``key``; ``None`` while within ``limit`` in this window, else the
    seconds until the window ends (when attempts are allowed again)."""
    now = time.time()
    window = int(now // window_seconds)
    # A digest, not the key: the key holds what people typed (an email address, NUL characters and
    # all), which the database cache's 255-character key column could not always store (a 500 on
    # PostgreSQL, or a count silently lost), and which the cache need not hold.
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    cache_key = f"throttle:{digest}:{window}"
    cache.add(cache_key, 0, timeout=window_seconds)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=window_seconds)
        count = 1
    if count <= limit:
        return None
    return max(1, int((window + 1) * window_seconds - now))
