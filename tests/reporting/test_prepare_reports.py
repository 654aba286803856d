"""Each reader's dashboard is prepared in advance, once a day (``reporting.tasks.prepare_reports``): the
months of its default period that are over are stored, counted up to that day, once per distinct scope,
and the day's first view reads them."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from factories.referrals import make_staff
from pages.scheduler import SCHEDULE
from referrals.models import Referral
from referrals.roles import COMMISSIONERS_GROUP, actor_for_user
from reporting import tasks
from reporting.forms import ReportForm
from reporting.models import ReportSnapshot, StoredReport
from reporting.scope import ReportFilter, reader_scope
from tests.reporting import test_period_to_date as to_date
from tests.reporting import test_stored_reports as closed

known, commissioner, at = closed.known, closed.commissioner, closed.at
_stored, _live, ON_31_MARCH = closed._stored, closed._live, to_date.ON_31_MARCH


def _opens_on(user, today):
    """The period the dashboard opens on for ``user`` that day (no parameters: its default)."""
    actor = actor_for_user(user)
    form = ReportForm({}, actor=actor, referrals=reader_scope(actor)["referrals"], today=today)
    assert form.is_valid(), form.errors
    return form.report_filter()


@pytest.mark.django_db
def test_the_months_over_are_stored_once_per_scope_and_the_first_view_reads_them(known, triage, commissioner,
                                                                                 service):
    colleague = make_staff(COMMISSIONERS_GROUP, service=service, username="cole")
    opens_on = _opens_on(commissioner, ON_31_MARCH)
    # From the month of the service's first referral (r5, 31 December 2025) to the day.
    assert (opens_on.start, opens_on.end) == (date(2025, 12, 1), ON_31_MARCH)

    # Triage and the two commissioners of the service share a scope (triage also sees the casework, as
    # commissioners do), and the other service's triage has its own (r6's): for each, the dashboard as
    # it opens, last quarter and the last 12 full months.
    assert tasks.prepare_reports(today=ON_31_MARCH) == 6
    months = sorted(StoredReport.objects.filter(counted_to=ON_31_MARCH).values_list("period_end", flat=True))
    # Ours from December; the other service's from February, the month of its first referral.
    assert months == [date(2025, 12, 31), date(2026, 1, 31), date(2026, 2, 28), date(2026, 2, 28)]
    closed_periods = set(StoredReport.objects.filter(counted_to__isnull=True).values_list("period_start", "period_end"))
    assert {(date(2025, 10, 1), date(2025, 12, 31)), (date(2025, 3, 1), date(2026, 2, 28))} <= closed_periods
    last_quarter = ReportFilter(start=date(2025, 10, 1), end=date(2025, 12, 31))
    assert _stored(colleague, last_quarter, today=ON_31_MARCH) == _live(colleague, last_quarter, today=ON_31_MARCH)

    # The day's first view reads them: a change written straight to the table (which no correction
    # path does) is not seen in January, and the figures equal those computed afresh before it.
    before = _live(colleague, opens_on, today=ON_31_MARCH)
    Referral.objects.filter(pk=known["r1"].pk).update(contacted_at=None)
    assert _stored(colleague, opens_on, today=ON_31_MARCH) == before
    rows = StoredReport.objects.count()
    # Figures shown as at a moment (``ReportSnapshot``) are dropped once more than a day old.
    now = timezone.now()
    for key, minutes in (("recent", 60), ("old", 60 * 25)):
        ReportSnapshot.objects.create(key=key, figures={}, as_at=now - timedelta(minutes=minutes))
    assert tasks.prepare_reports(today=ON_31_MARCH) == 6
    assert StoredReport.objects.count() == rows
    assert list(ReportSnapshot.objects.values_list("key", flat=True)) == ["recent"]


@pytest.mark.django_db
def test_the_scheduler_prepares_the_reports_daily():
    [job] = [job for job in SCHEDULE if job.task == "reporting.tasks.prepare_reports_task"]
    assert job.every.days == 1
