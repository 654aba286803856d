"""Search backends, chosen by the ``SIGNPOST_SEARCH`` setting (shaped like Django's ``CACHES``).

    SIGNPOST_SEARCH = {
        "default": {"BACKEND": "search.backends.elasticsearch", "URLS": [...], "TIMEOUT": 1.5,
                    "INDEX": "signpost-activities", "FALLBACK": "database",
                    "BREAKER_FAILURES": 3, "BREAKER_COOLDOWN": 30},
        "database": {"BACKEND": "search.backends.database"},
    }

Each backend module exports ``SearchBackend``. A backend with a ``FALLBACK`` is guarded by a
circuit breaker (``breaker.py``): after ``BREAKER_FAILURES`` failures in a row, searches go
straight to the fallback for ``BREAKER_COOLDOWN`` seconds.
"""

from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from search.backends.base import BaseSearchBackend, SearchBackendUnavailable
from search.backends.breaker import reset_breakers

__all__ = ["BaseSearchBackend", "SearchBackendUnavailable", "get_search_backend", "search_backend_aliases"]


def search_backend_aliases() -> list[str]:
    return list(settings.SIGNPOST_SEARCH)


@lru_cache(maxsize=None)
def get_search_backend(alias: str = "default") -> BaseSearchBackend:
    try:
        params = dict(settings.SIGNPOST_SEARCH[alias])
    except KeyError as error:
        raise ImproperlyConfigured(f"SIGNPOST_SEARCH has no backend called {alias!r}.") from error
    backend = import_string(f"{params.pop('BACKEND')}.SearchBackend")
    return backend(alias, params)


@receiver(setting_changed)
def _forget_backends(setting, **kwargs):
    # Tests swap backends with override_settings; a cached client, or a breaker's verdict on
    # an engine, must not outlive its settings.
    if setting == "SIGNPOST_SEARCH":
        get_search_backend.cache_clear()
        reset_breakers()
