"""A circuit breaker in front of a search engine that has a fallback.

A hung engine makes every search wait the whole timeout before the fallback answers. The
breaker counts consecutive failures (errors and timeouts, i.e. ``SearchBackendUnavailable``);
after ``BREAKER_FAILURES`` of them (default 3) it *opens*, and searches go straight to the
fallback for ``BREAKER_COOLDOWN`` seconds (default 30). Then it is *half-open*: one search,
the trial, goes to the engine while the others keep using the fallback; if the trial is
answered the breaker closes, otherwise it opens for another cool-down.

State is per process. Each breaker lives in this module's registry, guarded by a lock because
a process may serve searches from several threads; every web worker process learns on its
own (within ``BREAKER_FAILURES`` slow searches) that the engine is down. We do not share the
state through Django's cache: in production that cache is the database, so sharing would
add a query to every search to save at most a few slow searches per worker.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from enum import StrEnum

DEFAULT_FAILURES = 3
DEFAULT_COOLDOWN_SECONDS = 30.0


class BreakerState(StrEnum):
    CLOSED = "closed"  # searches go to the engine
    OPEN = "open"  # searches go straight to the fallback until the cool-down ends
    HALF_OPEN = "half_open"  # the cool-down is over: the next search is a trial


class CircuitBreaker:
    def __init__(self, *, failures: int = DEFAULT_FAILURES, cooldown_seconds: float = DEFAULT_COOLDOWN_SECONDS,
                 clock: Callable[[], float] = time.monotonic):
        if failures < 1:
            raise ValueError("A breaker needs at least one failure to open.")
        self.failures = failures
        self.cooldown_seconds = cooldown_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._consecutive_failures = 0
        self._opened_at: float | None = None
        self._trial_in_flight = False
        self.last_error = ""

    # -- reading ----------------------------------------------------------------------------
    def _state(self) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self._clock() - self._opened_at < self.cooldown_seconds:
            return BreakerState.OPEN
        return BreakerState.HALF_OPEN

    @property
    def state(self) -> BreakerState:
        with self._lock:
            return self._state()

    def snapshot(self) -> dict:
        """The breaker as the health check reports it."""
        with self._lock:
            state = self._state()
            report = {"state": state.value, "consecutive_failures": self._consecutive_failures,
                      "failures_to_open": self.failures, "cooldown_seconds": self.cooldown_seconds}
            if state == BreakerState.OPEN:
                report["retry_in_seconds"] = round(self.cooldown_seconds - (self._clock() - self._opened_at), 1)
            if self.last_error:
                report["last_error"] = self.last_error
            return report

    # -- one search -------------------------------------------------------------------------
    def allow(self) -> bool:
        """May this search go to the engine? In half-open, only one search at a time may."""
        with self._lock:
            state = self._state()
            if state == BreakerState.CLOSED:
                return True
            if state == BreakerState.HALF_OPEN and not self._trial_in_flight:
                self._trial_in_flight = True
                return True
            return False

    def record_success(self) -> None:
        with self._lock:
            self._consecutive_failures = 0
            self._opened_at = None
            self._trial_in_flight = False
            self.last_error = ""

    def record_failure(self, error: str = "") -> None:
        with self._lock:
            self._consecutive_failures += 1
            self.last_error = error[:200]
            # A failed trial opens it again at once; otherwise only after enough failures in a row.
            if self._trial_in_flight or self._consecutive_failures >= self.failures:
                self._opened_at = self._clock()
            self._trial_in_flight = False

    def release(self) -> None:
        """The search ended without a verdict on the engine (an error of ours): free the trial."""
        with self._lock:
            self._trial_in_flight = False


_breakers: dict[str, CircuitBreaker] = {}
_registry_lock = threading.Lock()


def breaker_for(alias: str, params: dict) -> CircuitBreaker:
    """This process's breaker for the backend ``alias`` (configured by its ``params``)."""
    with _registry_lock:
        breaker = _breakers.get(alias)
        if breaker is None:
            breaker = _breakers[alias] = CircuitBreaker(
                failures=int(params.get("BREAKER_FAILURES", DEFAULT_FAILURES)),
                cooldown_seconds=float(params.get("BREAKER_COOLDOWN", DEFAULT_COOLDOWN_SECONDS)),
            )
        return breaker


def reset_breakers() -> None:
    """Forget every breaker (when the search settings change, and between tests)."""
    with _registry_lock:
        _breakers.clear()
