"""Finding the Elasticsearch node the tests run against (scripts/elasticsearch.sh starts one)."""

import os
import urllib.request

import pytest

URL = os.environ.get("ELASTICSEARCH_URL", "http://127.0.0.1:9200").split(",")[0]


def answers(url: str = URL) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_cluster/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def require_node():
    """Skip without a node, except under CI, where a missing node is a failure."""
    if answers():
        return
    message = f"no Elasticsearch at {URL}: run scripts/elasticsearch.sh"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message + " (CI=true: Elasticsearch tests must run)", pytrace=False)
    pytest.skip(message)


def elasticsearch_settings(index: str, url: str = URL, timeout: float = 5.0) -> dict:
    """SIGNPOST_SEARCH for Elasticsearch at ``url``, falling back to the database."""
    return {
        "default": {"BACKEND": "search.backends.elasticsearch", "URLS": [url], "INDEX": index, "TIMEOUT": timeout, "FALLBACK": "database"},
        "database": {"BACKEND": "search.backends.database"},
    }
