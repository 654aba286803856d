"""Counting attempts per key in fixed windows, in the shared cache (the database cache in production).

For the actions that are not a password sign-in (django-axes throttles those): asking for a
password reset email, and opening the emailed password and invitation links.
"""

import time

from django.core.cache import cache


def attempt(key: str, *, limit: int, window_seconds: int) -> int | None:
    """Count one attempt for ``key``; ``None`` while within ``limit`` in this window, else the
    seconds until the window ends (when attempts are allowed again)."""
    now = time.time()
    window = int(now // window_seconds)
    cache_key = f"throttle:{key}:{window}"
    cache.add(cache_key, 0, timeout=window_seconds)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=window_seconds)
        count = 1
    if count <= limit:
        return None
    return max(1, int((window + 1) * window_seconds - now))
