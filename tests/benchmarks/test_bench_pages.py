"""`manage.py bench_pages` measures each page on a small demo and writes its figures as JSON."""

import io
import json

import pytest
from django.contrib.staticfiles import finders
from django.core.management import CommandError, call_command
from django.core.cache import cache

pytestmark = pytest.mark.django_db


def test_refuses_an_empty_database(home, tmp_path):
    with pytest.raises(CommandError, match="load_demo"):
        call_command("bench_pages", out=str(tmp_path / "pages.json"), stdout=io.StringIO())


def test_measures_every_page_against_its_budgets(tmp_path):
    if not finders.find("nhsuk/nhsuk-frontend.min.css"):
        pytest.skip("the NHS.UK frontend is not built (make frontend)")
    cache.clear()
    call_command("load_demo", scale=0.05, verbosity=0, stdout=io.StringIO(), stderr=io.StringIO())
    out = tmp_path / "pages.json"
    stdout = io.StringIO()

    call_command("bench_pages", requests=3, warmup=1, out=str(out), stdout=stdout)

    figures = json.loads(out.read_text())
    pages = {row["page"]: row for row in figures["pages"]}
    assert set(pages) == {"home", "search", "search with a need", "activity"}
    for row in pages.values():
        assert row["requests"] == 3
        assert 0 < row["p50_ms"] <= row["p95_ms"]
        assert row["queries"] > 0 and row["queries_other_page"] > 0
        assert row["html_gzip_bytes"] > 0 and row["css_gzip_bytes"] > 0 and row["js_gzip_bytes"] > 0
        assert "/static/nhsuk/nhsuk-frontend.min.css" in row["stylesheets"]
        assert "/static/nhsuk/nhsuk-frontend.min.js" in row["scripts"]
    # This small demo has no second page of search results, so only these compare like with like.
    assert pages["activity"]["queries_constant"] and pages["home"]["queries_constant"]
    assert "met" in stdout.getvalue()
    cache.clear()
