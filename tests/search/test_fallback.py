"""When Elasticsearch cannot answer, the database does, and the page says so: never an error page."""

import os
import shutil
import socket
import subprocess
import uuid
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from search.backends import get_search_backend
from search.selectors import search_activities
from search.types import SearchQuery
from tests.search.contract import HOME
from tests.search.elasticsearch_node import (
    URL,
    answers,
    elasticsearch_settings,
    require_node,
)

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def _unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_engine_gives_database_answers(settings, activities):
    settings.SIGNPOST_SEARCH = elasticsearch_settings("nowhere", url=f"http://127.0.0.1:{_unused_port()}")
    results = search_activities(query=SearchQuery(location=HOME, radius_miles=10))
    assert results.degraded and results.backend == "database"
    assert [hit.title for hit in results.hits] == ["Quay walk", "Minster lunch club"]


def test_a_slow_engine_is_not_waited_for(settings, activities, silent_server):
    settings.SIGNPOST_SEARCH = elasticsearch_settings("slow", url=silent_server.url, timeout=0.3)
    results = search_activities(query=SearchQuery(location=HOME, radius_miles=10))
    assert results.degraded
    assert results.total == 2


def test_the_page_says_results_may_be_less_complete(client, settings, activities):
    settings.SIGNPOST_SEARCH = elasticsearch_settings("nowhere", url=f"http://127.0.0.1:{_unused_port()}")
    response = client.get("/find/", {"postcode": "BH15 1AB", "radius_miles": 10})
    assert response.status_code == 200
    assert response["X-Search-Backend"] == "database"  # what operators and the load test read
    page = BeautifulSoup(response.content, "html.parser")
    assert "Results may be less complete" in page.select_one(".signpost-degraded").get_text()
    assert [a.get_text(strip=True) for a in page.select(".nhsuk-card__heading a")] == ["Quay walk", "Minster lunch club"]


@pytest.mark.elasticsearch
def test_stopping_elasticsearch_mid_run_turns_searches_into_database_answers(settings, activities, django_capture_on_commit_callbacks):
    require_node()  # the main node proves the launcher works here; this test starts its own
    port = _unused_port()
    env = {**os.environ, "ES_PORT": str(port), "ES_HEAP": "384m"}
    env.pop("ELASTICSEARCH_URL", None)
    subprocess.run([str(ROOT / "scripts/elasticsearch.sh")], env=env, check=True, timeout=180, capture_output=True)
    try:
        url = f"http://127.0.0.1:{port}"
        settings.SIGNPOST_SEARCH = elasticsearch_settings(f"test-stop-{uuid.uuid4().hex[:8]}", url=url, timeout=2)
        get_search_backend().rebuild()
        before = search_activities(query=SearchQuery(location=HOME, radius_miles=10))
        assert not before.degraded and before.backend == "elasticsearch"
        subprocess.run([str(ROOT / "scripts/elasticsearch.sh"), "stop"], env=env, check=True, timeout=60, capture_output=True)
        assert not answers(url)
        after = search_activities(query=SearchQuery(location=HOME, radius_miles=10))
        assert after.degraded and after.backend == "database"
        assert [h.title for h in after.hits] == [h.title for h in before.hits]
    finally:
        subprocess.run([str(ROOT / "scripts/elasticsearch.sh"), "stop"], env=env, timeout=60, capture_output=True)
        shutil.rmtree(ROOT / f"var/elasticsearch/node-{port}", ignore_errors=True)
        (ROOT / f"var/elasticsearch/node-{port}.log").unlink(missing_ok=True)


@pytest.mark.elasticsearch
def test_a_node_that_does_not_answer_is_passed_over_for_the_next(settings, activities):
    """ELASTICSEARCH_URL lists a cluster's nodes: when one is down, the next answers, not the database."""
    require_node()
    dead = f"http://127.0.0.1:{_unused_port()}"
    settings.SIGNPOST_SEARCH = elasticsearch_settings(f"test-nodes-{uuid.uuid4().hex[:8]}")
    get_search_backend().rebuild()
    try:
        settings.SIGNPOST_SEARCH = {**settings.SIGNPOST_SEARCH, "default": {**settings.SIGNPOST_SEARCH["default"], "URLS": [dead, URL]}}
        for _ in range(3):  # the first search meets the dead node; later ones skip it
            results = search_activities(query=SearchQuery(location=HOME, radius_miles=10))
            assert not results.degraded and results.backend == "elasticsearch"
            assert [hit.title for hit in results.hits] == ["Quay walk", "Minster lunch club"]
    finally:
        get_search_backend().drop()
