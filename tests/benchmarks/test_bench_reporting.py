"""The reporting benchmark runs end to end at a tiny size, and leaves nothing behind."""

from io import StringIO

import pytest
from django.core.management import call_command

from referrals.models import Referral

pytestmark = pytest.mark.django_db


def test_the_benchmark_runs_at_a_tiny_size_and_rolls_back(home, tmp_path):
    before = Referral.objects.count()
    out, err = StringIO(), StringIO()
    # Its figures go to a file of their own, not over the committed benchmarks/results/reporting.json.
    results = tmp_path / "reporting.json"
    call_command("bench_reporting", "--referrals", "300", "--runs", "1", "--activities", "3", "--out", str(results),
                 stdout=out, stderr=err)
    text = out.getvalue()
    assert "Generated 300 referrals" in text
    assert "dashboard page, rendered (a year)" in text
    assert "export: referral extract, XLSX" in text
    assert "Peak traced memory, dashboard" in text
    assert Referral.objects.count() == before
    assert results.exists()
