"""The circuit breaker: a hung engine is given up on after a few timeouts, searches then answer
at once from the database, and the engine is tried again after a cool-down."""

import statistics
import threading
import time

import pytest

from search.backends import get_search_backend
from search.backends.breaker import BreakerState, CircuitBreaker, breaker_for
from search.selectors import search_activities
from search.types import SearchQuery
from tests.search.contract import HOME
from tests.search.elasticsearch_node import URL, elasticsearch_settings

pytestmark = pytest.mark.django_db
TIMEOUT = 0.3
FAST = 0.1  # the acceptance check: searches with the breaker open answer in under 100 ms


def breaker_settings(index: str, url: str, *, timeout: float = TIMEOUT, failures: int = 3, cooldown: float = 30.0) -> dict:
    search = elasticsearch_settings(index, url=url, timeout=timeout)
    search["default"].update(BREAKER_FAILURES=failures, BREAKER_COOLDOWN=cooldown)
    return search


def timed_search():
    started = time.perf_counter()
    results = search_activities(query=SearchQuery(location=HOME, radius_miles=10))
    return results, time.perf_counter() - started


def breaker():
    return breaker_for("default", get_search_backend().params)


# -- against a hung engine ---------------------------------------------------------------------
def test_a_hung_engine_is_given_up_on_and_tried_again_after_the_cool_down(settings, activities, silent_server):
    settings.SIGNPOST_SEARCH = breaker_settings("hung", silent_server.url, cooldown=1.0)
    get_search_backend("database").search(SearchQuery(location=HOME, radius_miles=10))  # warm the database's caches

    # The first three searches each wait for the engine, then the database answers.
    for attempt in range(3):
        results, seconds = timed_search()
        assert TIMEOUT <= seconds < TIMEOUT + 1.0, f"search {attempt + 1} took {seconds:.3f} s"
        assert results.degraded and results.backend == "database"
        assert [hit.title for hit in results.hits] == ["Quay walk", "Minster lunch club"]
    assert silent_server.connections == 3
    assert breaker().state == BreakerState.OPEN

    # The breaker is open: the engine is not asked, and the database answers at once. (The
    # median, so that one scheduling hiccup on a busy machine is not a failure; none waits.)
    took = []
    for _ in range(5):
        results, seconds = timed_search()
        took.append(seconds)
        assert results.degraded and results.backend == "database"
        assert [hit.title for hit in results.hits] == ["Quay walk", "Minster lunch club"]
    assert statistics.median(took) < FAST, f"with the breaker open: {[round(t * 1000, 1) for t in took]} ms"
    assert max(took) < TIMEOUT, f"with the breaker open: {[round(t * 1000, 1) for t in took]} ms"
    assert silent_server.connections == 3

    # After the cool-down one search tries the engine again; it still hangs, so the breaker reopens.
    time.sleep(1.0)
    assert breaker().state == BreakerState.HALF_OPEN
    results, seconds = timed_search()
    assert seconds >= TIMEOUT and results.degraded, f"the trial took {seconds:.3f} s"
    assert silent_server.connections == 4
    assert breaker().state == BreakerState.OPEN
    results, seconds = timed_search()
    assert seconds < TIMEOUT and results.degraded
    assert silent_server.connections == 4


def test_searches_that_fail_now_and_then_do_not_open_the_breaker(settings, activities, silent_server):
    settings.SIGNPOST_SEARCH = breaker_settings("hung", silent_server.url)
    for _ in range(2):
        timed_search()
    breaker().record_success()  # an answer in between: the failures are no longer in a row
    for _ in range(2):
        timed_search()
    assert breaker().state == BreakerState.CLOSED
    assert silent_server.connections == 4


@pytest.mark.elasticsearch
def test_the_breaker_closes_when_the_engine_answers_again(settings, elasticsearch_backend, activities, silent_server):
    elasticsearch_backend.rebuild()
    elasticsearch_backend.search(SearchQuery(location=HOME, radius_miles=10))  # warm the node
    settings.SIGNPOST_SEARCH = breaker_settings(elasticsearch_backend.index, silent_server.url, timeout=0.5, cooldown=0.5)
    for _ in range(3):
        assert timed_search()[0].backend == "database"
    assert breaker().state == BreakerState.OPEN

    silent_server.forward_to(URL)  # the engine recovers
    assert timed_search()[0].backend == "database"  # still cooling down
    time.sleep(0.5)
    results, _ = timed_search()  # the trial
    assert results.backend == "elasticsearch" and not results.degraded
    assert [hit.title for hit in results.hits] == ["Quay walk", "Minster lunch club"]
    assert breaker().state == BreakerState.CLOSED
    assert timed_search()[0].backend == "elasticsearch"


# -- the health check --------------------------------------------------------------------------
def test_health_is_503_and_degraded_while_the_breaker_is_open(client, settings, activities, silent_server):
    settings.SIGNPOST_SEARCH = breaker_settings("hung", silent_server.url)
    for _ in range(3):
        timed_search()
    started = time.perf_counter()
    response = client.get("/healthz/search/")
    seconds = time.perf_counter() - started
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["reason"].startswith("circuit breaker open")
    assert body["searches_answered_by"] == "database"
    assert body["breaker"]["state"] == "open"
    # The check does not wait for the hung engine either.
    assert body["backends"]["default"]["status"] == "not_checked"
    assert seconds < TIMEOUT
    assert silent_server.connections == 3


@pytest.mark.elasticsearch
def test_health_is_200_when_the_engine_answers_and_the_breaker_is_closed(client, elasticsearch_backend):
    response = client.get("/healthz/search/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["searches_answered_by"] == "elasticsearch"
    assert body["breaker"]["state"] == "closed"


# -- the breaker's rules, on a clock we move ---------------------------------------------------
class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_it_opens_after_the_set_number_of_failures_in_a_row_and_half_opens_after_the_cool_down():
    clock = Clock()
    circuit = CircuitBreaker(failures=3, cooldown_seconds=30, clock=clock)
    for _ in range(2):
        assert circuit.allow()
        circuit.record_failure("timed out")
    assert circuit.state == BreakerState.CLOSED
    circuit.record_failure("timed out")
    assert circuit.state == BreakerState.OPEN and not circuit.allow()
    clock.now = 29.9
    assert not circuit.allow()
    clock.now = 30.0
    assert circuit.state == BreakerState.HALF_OPEN
    assert circuit.allow()  # the trial
    assert not circuit.allow()  # only one at a time
    circuit.record_failure("timed out")  # a failed trial opens it again at once
    assert circuit.state == BreakerState.OPEN
    clock.now = 60.0
    assert circuit.allow()
    circuit.record_success()
    assert circuit.state == BreakerState.CLOSED and circuit.snapshot()["consecutive_failures"] == 0


def test_a_trial_that_ends_in_an_error_of_ours_frees_the_trial():
    clock = Clock()
    circuit = CircuitBreaker(failures=1, cooldown_seconds=5, clock=clock)
    circuit.record_failure()
    clock.now = 5
    assert circuit.allow()
    circuit.release()
    assert circuit.allow()


def test_only_one_of_many_threads_makes_the_trial():
    clock = Clock()
    circuit = CircuitBreaker(failures=1, cooldown_seconds=5, clock=clock)
    circuit.record_failure()
    clock.now = 5
    start = threading.Barrier(16)
    allowed = []

    def search():
        start.wait()
        allowed.append(circuit.allow())

    threads = [threading.Thread(target=search) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert allowed.count(True) == 1
