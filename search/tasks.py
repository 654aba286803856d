"""Background index updates: an editor's save never waits for, or fails because of, the engine.

When the engine is down, the activities are written to a backlog (``PendingIndexUpdate``)
instead of being dropped, and the next update that gets through, or the next rebuild,
catches up with them.
"""

import logging

from django_tasks import task

from search.backends import SearchBackendUnavailable, get_search_backend, search_backend_aliases
from search.models import PendingIndexUpdate

logger = logging.getLogger(__name__)
BACKLOG_BATCH = 1000


def _indexing_backends():
    seen, backends = set(), []
    for alias in search_backend_aliases():
        backend = get_search_backend(alias)
        key = (backend.name, repr(sorted(backend.params.items())))
        if backend.capabilities.needs_indexing and key not in seen:
            seen.add(key)
            backends.append(backend)
    return backends


@task()
def update_search_index(activity_ids: list[int]) -> None:
    """Bring these activities (and any backlog from an outage) up to date in every index."""
    backends = _indexing_backends()
    if not backends:
        return
    backlog = list(PendingIndexUpdate.objects.values_list("activity_id", flat=True)[:BACKLOG_BATCH])
    ids = sorted(set(activity_ids) | set(backlog))
    try:
        for backend in backends:
            backend.index_activities(ids)
    except SearchBackendUnavailable as error:
        logger.warning("Search index update deferred for %d activities: %s", len(ids), error)
        PendingIndexUpdate.objects.bulk_create(
            [PendingIndexUpdate(activity_id=pk) for pk in ids], ignore_conflicts=True
        )
        return
    PendingIndexUpdate.objects.filter(activity_id__in=backlog).delete()
