"""A period that is not over is put together from its months (``reporting.stored``): the months
already over are stored and read again, the month of today is computed live, and the whole equals
the figures computed over the period at once, medians and means included."""

import re
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from factories.referrals import only_connection
from referrals.models import Connection, Referral
from referrals.permissions import reportable_referrals
from referrals.roles import actor_for_user
from reporting import stored
from reporting.gaps import gaps_in_provision
from reporting.models import ReportSnapshot, StoredReport
from reporting.scope import ReportFilter, reader_scope
from reporting.tasks import store_report_months
from tests.reporting import test_casework_figures as casework
from tests.reporting import test_stored_reports as closed

known, episodes, at, commissioner = closed.known, casework.episodes, closed.at, closed.commissioner
_stored, _live = closed._stored, closed._live

# Q1 seen on its last day: January and February are over, March is today's month.
ON_31_MARCH = date(2026, 3, 31)


def _to_date(filters: ReportFilter) -> ReportFilter:
    return ReportFilter(start=filters.start, end=ON_31_MARCH, area=filters.area, need_id=filters.need_id,
                        source=filters.source, provider_id=filters.provider_id, link_worker_id=filters.link_worker_id)


@pytest.mark.django_db
def test_a_period_to_date_equals_its_figures_computed_at_once_for_each_filter(known, triage, needs, link_worker,
                                                                              activity):
    for filters in map(_to_date, closed._combinations(known, needs, link_worker, activity)[:7]):
        live = _live(triage, filters, today=ON_31_MARCH)
        assert _stored(triage, filters, today=ON_31_MARCH) == live, filters  # months computed, then stored
        assert _stored(triage, filters, today=ON_31_MARCH) == live, filters  # read from the store
    # January and February, for each of the 7 filters; never March, which is not over.
    months = StoredReport.objects.values_list("period_start", "period_end", "counted_to").distinct()
    assert sorted(months) == [(date(2026, 1, 1), date(2026, 1, 31), ON_31_MARCH),
                              (date(2026, 2, 1), date(2026, 2, 28), ON_31_MARCH)]
    assert StoredReport.objects.count() == 14


@pytest.mark.django_db
def test_the_medians_and_means_are_taken_again_from_the_months_together(known, triage):
    report = _stored(triage, _to_date(closed.Q1), today=ON_31_MARCH)
    again = _stored(triage, _to_date(closed.Q1), today=ON_31_MARCH)
    # The pinned figures: an even count of contacts across January and February (r1, r2, r3), the
    # middle two in different months; wellbeing answered in more than one month.
    assert report.contacted == again.contacted == 3
    assert again.median_hours_to_contact == report.median_hours_to_contact == _live(
        triage, _to_date(closed.Q1), today=ON_31_MARCH).median_hours_to_contact
    assert again.wellbeing == report.wellbeing
    assert again.wellbeing[0].people >= 1


@pytest.mark.django_db
def test_the_casework_figures_of_a_period_to_date_equal_those_computed_at_once(episodes, triage):
    # Discharged in October and November, contacts held today: medians of weeks and of contacts.
    live = _live(triage, casework.AUTUMN, today=casework.TODAY)
    assert live.discharged == 3
    assert _stored(triage, casework.AUTUMN, today=casework.TODAY) == live
    assert _stored(triage, casework.AUTUMN, today=casework.TODAY) == live
    assert StoredReport.objects.filter(period_end__lt=date(2026, 12, 1)).count() == 3  # September to November


@pytest.mark.django_db
def test_only_the_month_of_today_is_computed_again(known, triage):
    filters = _to_date(closed.Q1)
    before = _stored(triage, filters, today=ON_31_MARCH)
    # Straight to the table, as no correction path writes: only the live month (March) sees it.
    Referral.objects.filter(pk=known["r2"].pk).update(contacted_at=None)  # January
    Referral.objects.filter(pk=known["r4"].pk).update(contacted_at=at("2026-03-31 17:00"))  # March
    after = _stored(triage, filters, today=ON_31_MARCH)
    assert after.contacted == before.contacted + 1
    assert _live(triage, filters, today=ON_31_MARCH).contacted == before.contacted


@pytest.mark.django_db
def test_a_correction_forgets_its_month_and_those_after_it(known, triage):
    filters = _to_date(closed.Q1)
    before = _stored(triage, filters, today=ON_31_MARCH)
    assert StoredReport.objects.count() == 2
    connection = only_connection(known["r3"])  # February
    connection.first_session_booked_at = connection.attended_at = at("2026-02-20 10:00")
    connection.save()
    assert list(StoredReport.objects.values_list("period_end", flat=True)) == [date(2026, 1, 31)]
    after = _stored(triage, filters, today=ON_31_MARCH)
    assert after.attended == before.attended + 1
    assert after == _live(triage, filters, today=ON_31_MARCH)
    assert Connection.objects.filter(pk=connection.pk, attended_at__isnull=False).exists()


@pytest.mark.django_db
def test_the_next_day_reads_the_months_again_unless_a_step_was_dated_ahead(known, triage):
    day_before, on_30_march = ReportFilter(start=date(2026, 1, 1), end=date(2026, 3, 30)), date(2026, 3, 30)
    # r3 (February) "contacted at 9 on 31 March", typed ahead on 30 March.
    Referral.objects.filter(pk=known["r3"].pk).update(contacted_at=at("2026-03-31 09:00"))
    assert _stored(triage, day_before, today=on_30_march) == _live(triage, day_before, today=on_30_march)
    stored_until = dict(StoredReport.objects.values_list("period_end", "unchanged_until"))
    assert stored_until[date(2026, 2, 28)] == at("2026-03-31 09:00")
    # January's first step after 30 March is one the fixtures made today (in 2026's December).
    assert stored_until[date(2026, 1, 31)] > at("2026-04-01 00:00")

    # The next day, that contact counts: February is computed again; January is read as stored.
    next_day = _stored(triage, _to_date(closed.Q1), today=ON_31_MARCH)
    assert next_day == _live(triage, _to_date(closed.Q1), today=ON_31_MARCH)
    # r3 now; r4, received on 31 March, was contacted in April.
    assert next_day.contacted == _live(triage, day_before, today=on_30_march).contacted + 1
    assert dict(StoredReport.objects.values_list("period_end", "counted_to")) == {
        date(2026, 1, 31): on_30_march, date(2026, 2, 28): ON_31_MARCH}


@pytest.mark.django_db
def test_the_gaps_of_a_period_to_date_equal_those_computed_at_once(known, triage):
    referrals = reportable_referrals(actor_for_user(triage))
    for filters in (_to_date(closed.Q1), _to_date(ReportFilter(start=closed.Q1.start, end=closed.Q1.end,
                                                               area="BH15"))):
        live = gaps_in_provision(referrals=referrals, filters=filters)
        assert live
        assert stored.gaps(referrals=referrals, filters=filters, today=ON_31_MARCH) == live
        assert stored.gaps(referrals=referrals, filters=filters, today=ON_31_MARCH) == live
    assert StoredReport.objects.count() == 4  # January and February, for each


@pytest.mark.django_db
def test_with_many_months_missing_the_reader_gets_the_whole_period_and_the_months_are_stored_later(known, triage):
    since_december = ReportFilter(start=date(2025, 12, 1), end=ON_31_MARCH)  # 3 months over, none stored
    asked = []
    first = _stored(triage, since_december, today=ON_31_MARCH, months_later=lambda as_at: asked.append(as_at or 1))
    assert asked == [1] and not StoredReport.objects.exists()
    assert first == _live(triage, since_december, today=ON_31_MARCH)

    store_report_months.call(triage.pk, since_december.as_query(), ON_31_MARCH.isoformat())  # what the worker does
    # December to February: each month's figures (with their values) and its gaps' demand.
    assert sorted(StoredReport.objects.filter(values__isnull=False).values_list("period_end", flat=True)) == [
        date(2025, 12, 31), date(2026, 1, 31), date(2026, 2, 28)]
    assert StoredReport.objects.count() == 6
    again = _stored(triage, since_december, today=ON_31_MARCH, months_later=lambda as_at: asked.append(as_at or 2))
    assert asked == [1] and again == first


@pytest.mark.django_db
def test_the_dashboard_to_date_shows_the_same_tables_before_and_after_its_months_are_stored(
        known, triage, sign_in, django_capture_on_commit_callbacks):
    client = sign_in(triage)
    query = {"start": "2026-01-01", "end": timezone.localdate().isoformat()}

    def tables():
        page = client.get(reverse("reporting:reports"), query).content.decode()
        return re.findall(r"<table.*?</table>", page, flags=re.DOTALL)

    # The first view computes the whole period; its months are stored by the task it queued (run at
    # once here: the tests' task backend is immediate).
    with django_capture_on_commit_callbacks(execute=True) as queued:
        whole = tables()
    assert len(queued) == 1
    over = len(stored.months_of(ReportFilter(start=date(2026, 1, 1), end=timezone.localdate()))) - 1
    assert over > 2 and StoredReport.objects.filter(counted_to=timezone.localdate()).count() == over
    # The second view reads them: a change straight to the table (no correction path) is not seen.
    Referral.objects.filter(pk=known["r2"].pk).update(contacted_at=None)
    assert tables() == whole
    # With the months forgotten, the next view shows the figures as at the second view, says so, and
    # has the months computed again; the view after that counts the change.
    StoredReport.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True) as queued:
        page = client.get(reverse("reporting:reports"), query).content.decode()
    assert len(queued) == 1
    assert re.findall(r"<table.*?</table>", page, flags=re.DOTALL) == whole
    as_at = timezone.localtime(ReportSnapshot.objects.get(key__in=_snapshot_keys(triage, query)).as_at)
    assert f"These figures are as at {as_at:%H:%M} on {as_at.day} {as_at:%B %Y}." in page
    assert tables() != whole
    assert "These figures are as at" not in client.get(reverse("reporting:reports"), query).content.decode()


def _snapshot_keys(user, query) -> list[str]:
    scope = reader_scope(actor_for_user(user))
    filters = ReportFilter(start=date.fromisoformat(query["start"]), end=date.fromisoformat(query["end"]))
    return stored._keys(scope["referrals"], scope["connections"], [filters], scope["casework"], kind="report as shown")


@pytest.mark.django_db
def test_with_many_months_missing_a_reader_may_be_shown_the_figures_as_at_a_recent_moment(known, triage):
    """The day's work forgets months counted up to today; the page shows the figures last computed
    (saying as at when) rather than have the reader wait for the whole period, only while they are recent."""
    since_december = ReportFilter(start=date(2025, 12, 1), end=ON_31_MARCH)  # 3 months over, none stored
    asked = []

    def shown(**options):
        return _stored(triage, since_december, today=ON_31_MARCH, months_later=asked.append, **options)

    first = shown(as_at_allowed=True)  # nothing computed before: computed now, and kept
    assert asked == [None] and first == _live(triage, since_december, today=ON_31_MARCH)
    (snapshot,) = ReportSnapshot.objects.all()
    Referral.objects.filter(pk=known["r2"].pk).update(contacted_at=None)  # a change the months will count
    changed = _live(triage, since_december, today=ON_31_MARCH)
    assert changed.contacted == first.contacted - 1

    assert shown(as_at_allowed=True) == first  # as at the first view, which is said
    assert asked[-1] == snapshot.as_at
    assert shown() == changed  # a file (not allowed to be as at earlier): computed now
    assert asked[-1] is None
    ReportSnapshot.objects.update(as_at=timezone.now() - timedelta(minutes=61))  # no longer recent
    assert shown(as_at_allowed=True) == changed and asked[-1] is None
    assert ReportSnapshot.objects.get().as_at > timezone.now() - timedelta(minutes=1)
    # The months stored (the worker), the period is put together from them, now, and kept as shown.
    store_report_months.call(triage.pk, since_december.as_query(), ON_31_MARCH.isoformat())
    Referral.objects.filter(pk=known["r2"].pk).update(contacted_at=known["r2"].contacted_at)
    count = len(asked)
    assert shown(as_at_allowed=True) == changed and len(asked) == count  # nothing missing, nothing asked
    # The gaps alike: their demand as at the last computing, with what the directory offers now.
    referrals = reportable_referrals(actor_for_user(triage))
    gaps_then = stored.gaps(referrals=referrals, filters=since_december, today=ON_31_MARCH, months_later=asked.append)
    StoredReport.objects.all().delete()
    Referral.needs.through.objects.filter(referral_id=known["r1"].pk).delete()  # the demand moves
    assert stored.gaps(referrals=referrals, filters=since_december, today=ON_31_MARCH, months_later=asked.append,
                       as_at_allowed=True) == gaps_then
    assert asked[-1] is not None
    now = gaps_in_provision(referrals=referrals, filters=since_december)
    assert now != gaps_then
    assert stored.gaps(referrals=referrals, filters=since_december, today=ON_31_MARCH, months_later=asked.append) == now


@pytest.mark.django_db
def test_one_or_two_months_missing_are_shown_as_at_only_when_they_hold_more_referrals_than_a_reader_should_wait_for(
        known, triage, settings):
    filters, asked = _to_date(closed.Q1), []  # January and February over, March today's month

    def shown():
        return _stored(triage, filters, today=ON_31_MARCH, months_later=asked.append, as_at_allowed=True)

    before = shown()  # the months computed and stored, and the period kept as shown
    Referral.objects.filter(pk=known["r2"].pk).update(contacted_at=None)
    changed = _live(triage, filters, today=ON_31_MARCH)
    assert changed != before
    StoredReport.objects.all().delete()  # both months forgotten, as a correction would
    # A few referrals: computed for the reader, nothing left to the worker.
    assert shown() == changed and asked == []
    # Months holding more referrals than the setting: the figures as at the last view, the months queued.
    Referral.objects.filter(pk=known["r2"].pk).update(contacted_at=known["r2"].contacted_at)
    StoredReport.objects.all().delete()
    settings.SIGNPOST_REPORTING = {**settings.SIGNPOST_REPORTING, "SHOWN_AS_AT_ABOVE_REFERRALS": 2}
    assert shown() == changed
    assert asked == [ReportSnapshot.objects.get(key__in=_snapshot_keys(
        triage, {"start": filters.start.isoformat(), "end": filters.end.isoformat()})).as_at]
    assert not StoredReport.objects.filter(values__isnull=False).exists()
