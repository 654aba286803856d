"""Searching the directory: the one entry point the pages and the API call."""

import logging

from search.backends import SearchBackendUnavailable, get_search_backend
from search.types import SearchQuery, SearchResults

logger = logging.getLogger(__name__)


def search_activities(*, query: SearchQuery, alias: str = "default") -> SearchResults:
    """Answer ``query`` from the configured backend, or from its fallback when it is down.

    A search engine outage must never become an error page: the fallback (the database)
    answers, and the results say so, so the page can tell the person they may be less
    complete.
    """
    backend = get_search_backend(alias)
    try:
        return backend.search(query)
    except SearchBackendUnavailable as error:
        fallback = backend.params.get("FALLBACK")
        if not fallback:
            raise
        logger.warning("Search backend %r unavailable (%s); answering from %r", alias, error, fallback)
        results = get_search_backend(fallback).search(query)
        return SearchResults(
            query=results.query,
            hits=results.hits,
            total=results.total,
            facets=results.facets,
            backend=results.backend,
            degraded=True,
        )
