"""Searching the directory: the one entry point the pages and the API call."""

import logging

from search.backends import SearchBackendUnavailable, get_search_backend
from search.backends.breaker import breaker_for
from search.types import SearchQuery, SearchResults

logger = logging.getLogger(__name__)


def search_activities(*, query: SearchQuery, alias: str = "default") -> SearchResults:
    """Answer ``query`` from the configured backend, or from its fallback when it is down.

    A search engine outage must never become an error page: the fallback (the database)
    answers, and the results say so, so the page can tell the person they may be less
    complete. A circuit breaker (``search.backends.breaker``) stops asking an engine that has
    failed several times in a row, so that a hung engine does not make every search wait.
    """
    backend = get_search_backend(alias)
    fallback = backend.params.get("FALLBACK")
    if not fallback:
        return backend.search(query)
    breaker = breaker_for(alias, backend.params)
    if not breaker.allow():
        return _from_fallback(query, fallback)
    try:
        results = backend.search(query)
    except SearchBackendUnavailable as error:
        breaker.record_failure(str(error))
        logger.warning("Search backend %r unavailable (%s); answering from %r (breaker %s)", alias, error, fallback, breaker.state)
        return _from_fallback(query, fallback)
    except BaseException:
        breaker.release()  # a fault of ours, not the engine's: no verdict on the engine
        raise
    breaker.record_success()
    return results


def _from_fallback(query: SearchQuery, fallback: str) -> SearchResults:
    results = get_search_backend(fallback).search(query)
    return SearchResults(
        query=results.query,
        hits=results.hits,
        total=results.total,
        facets=results.facets,
        backend=results.backend,
        degraded=True,
        corrected_text=results.corrected_text,
    )
