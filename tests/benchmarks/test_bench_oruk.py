"""`manage.py bench_oruk` measures the ORUK API's lists and details on a generated directory."""

import io
import json

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_measures_each_kind_of_request_with_its_queries(home, tmp_path):
    out = tmp_path / "oruk.json"
    stdout = io.StringIO()

    call_command("bench_oruk", n=60, requests=4, warmup=1, out=str(out), stdout=stdout)

    figures = json.loads(out.read_text())
    assert figures["activities"] == 60
    kinds = {row["kind"]: row for row in figures["kinds"]}
    assert set(kinds) == {
        "services", "services filtered (search or term)", "service_at_locations near a postcode", "services/{id}",
        "service_at_locations/{id}",
    }
    for row in kinds.values():
        assert row["requests"] == 4
        assert 0 < row["p50_ms"] <= row["p95_ms"] <= row["max_ms"]
        assert row["queries"] and all(count > 0 for count in row["queries"])
    # The lists with budgets: every page asked for took the same number of queries, and held items.
    for kind in ("services", "service_at_locations near a postcode"):
        assert kinds[kind]["budgeted"] and kinds[kind]["queries_constant"], kinds[kind]["queries_by_url"]
        assert kinds[kind]["mean_items"] >= 1
    assert "services" in stdout.getvalue() and "Written to" in stdout.getvalue()
