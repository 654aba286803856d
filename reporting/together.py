"""A report's independent parts computed at the same time, each on its own database connection.

A year's dashboard is a dozen queries over 50,000 referrals, each on one core of the database
server; the cohort's figures, the providers' answers, the needs and wellbeing, the discharges and
the gaps do not depend on each other, so on PostgreSQL they run side by side and the page waits
for the slowest part rather than for their sum.

Only outside a transaction: another connection cannot see what this one has not committed (a
test's data, a benchmark's generated rows), so inside one (and on SQLite, which runs one query at
a time) the parts run one after another, on this connection, as before. Outside a transaction
each query already reads its own snapshot, so running the parts apart does not change what the
figures can see. ``SIGNPOST_REPORTING["PARTS_AT_ONCE"]`` caps the connections one report may use
(1 turns it off).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone, translation


def run_together(*parts: Callable[[], Any], using: str = DEFAULT_DB_ALIAS) -> list[Any]:
    """Each of ``parts`` called, at once where that is safe; their results in the same order."""
    at_once = min(len(parts), settings.SIGNPOST_REPORTING["PARTS_AT_ONCE"])
    if at_once < 2 or not _apart_is_safe(using):
        return [part() for part in parts]
    with ThreadPoolExecutor(max_workers=at_once - 1, thread_name_prefix="report-part") as pool:
        # The first part runs here while the others run on the pool's own connections.
        language, zone = translation.get_language(), timezone.get_current_timezone()
        futures = [pool.submit(_on_own_connection, part, language, zone) for part in parts[1:]]
        first = parts[0]()
        return [first, *(future.result() for future in futures)]


def _apart_is_safe(using: str) -> bool:
    connection = connections[using]
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def _on_own_connection(part: Callable[[], Any], language: str | None, zone) -> Any:
    # The request's language and time zone are per thread: the part reads and words as the request does.
    try:
        with translation.override(language), timezone.override(zone):
            return part()
    finally:
        # A pool thread's connections are its own (Django keeps one per thread): close them, or
        # each report would leave its connections open on the database server.
        connections.close_all()
