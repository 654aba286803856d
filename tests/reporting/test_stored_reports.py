"""Closed periods' figures are stored once and read again (``reporting.stored``): read from the
store they equal the live computation exactly, and every correction that could move them forgets them."""

import re
from datetime import date

import pytest
from django.urls import reverse

from factories.referrals import make_referral, make_resident, only_connection
from referrals import people
from referrals.models import Referral
from referrals.permissions import report_link_workers_for, reportable_connections, reportable_referrals
from referrals.retention import anonymise_referrals, anonymise_resident
from referrals.roles import actor_for_user
from reporting import stored
from reporting.figures import build_report
from reporting.gaps import gaps_in_provision
from reporting.models import StoredReport
from reporting.scope import ReportFilter
from tests.reporting import test_reporting_figures as pinned
from tests.reporting import test_reports_pages as pages

# The known referrals of January to March 2026 (pinned figures), and a commissioner: the same fixtures.
known, commissioner, Q1, at = pinned.known, pages.commissioner, pinned.Q1, pinned.at

# After Q1 is over: Q1 is closed.
AFTER = date(2026, 5, 1)


def _scope(user):
    actor = actor_for_user(user)
    return {"referrals": reportable_referrals(actor), "connections": reportable_connections(actor),
            "link_workers": report_link_workers_for(actor)}


def _stored(user, filters=Q1, today=AFTER, **options):
    return stored.report(**_scope(user), filters=filters, today=today, **options)


def _live(user, filters=Q1, today=AFTER):
    return build_report(**_scope(user), filters=filters, today=today)


def _combinations(known, needs, link_worker, activity):
    provider_id = only_connection(known["r1"]).provider_id
    return [
        Q1,
        ReportFilter(start=Q1.start, end=Q1.end, area="BH15"),
        ReportFilter(start=Q1.start, end=Q1.end, area="BH"),
        ReportFilter(start=Q1.start, end=Q1.end, need_id=needs["loneliness"].pk),
        ReportFilter(start=Q1.start, end=Q1.end, source="self"),
        ReportFilter(start=Q1.start, end=Q1.end, provider_id=provider_id),
        ReportFilter(start=Q1.start, end=Q1.end, link_worker_id=link_worker.pk),
        ReportFilter(start=date(2026, 1, 1), end=date(2026, 1, 31)),
        ReportFilter(start=date(2026, 2, 1), end=date(2026, 4, 30), area="BH15", source="self"),
    ]


@pytest.mark.django_db
def test_stored_figures_equal_the_live_ones_for_each_filter(known, triage, needs, link_worker, activity):
    for filters in _combinations(known, needs, link_worker, activity):
        first = _stored(triage, filters)
        again = _stored(triage, filters)
        assert first == _live(triage, filters), filters
        assert again == _live(triage, filters), filters
    assert StoredReport.objects.count() == len(_combinations(known, needs, link_worker, activity))


@pytest.mark.django_db
def test_stored_gaps_equal_the_live_ones(known, triage):
    referrals = reportable_referrals(actor_for_user(triage))
    for filters in (Q1, ReportFilter(start=Q1.start, end=Q1.end, area="BH15")):
        live = gaps_in_provision(referrals=referrals, filters=filters)
        assert live
        assert stored.gaps(referrals=referrals, filters=filters, today=AFTER) == live
        assert stored.gaps(referrals=referrals, filters=filters, today=AFTER) == live
    assert StoredReport.objects.count() == 2


@pytest.mark.django_db
def test_a_closed_period_is_read_from_the_store_not_computed_again(known, triage):
    before = _stored(triage)
    # A change that no correction path makes (straight to the table, no signal): the store does not see it.
    Referral.objects.filter(pk=known["r2"].pk).update(contacted_at=None)
    assert _stored(triage) == before
    assert _live(triage).contacted == before.contacted - 1


@pytest.mark.django_db
def test_a_month_that_includes_today_is_computed_live(known, triage):
    march = ReportFilter(start=date(2026, 3, 1), end=date(2026, 3, 31))
    report = _stored(triage, march, today=date(2026, 3, 31))
    assert StoredReport.objects.count() == 0
    assert report == _live(triage, march, today=date(2026, 3, 31))


@pytest.mark.django_db
def test_the_dashboard_and_exports_show_the_same_figures_from_the_store(known, commissioner, sign_in):
    client = sign_in(commissioner)
    query = {"start": "2026-01-01", "end": "2026-03-31"}

    def tables():
        page = client.get(reverse("reporting:reports"), query).content.decode()
        return [table for table in re.findall(r"<table.*?</table>", page, flags=re.DOTALL)]

    def csv():
        return client.get(reverse("reporting:reports_export_csv"), {**query, "section": "all"}).content

    live_tables, live_csv = tables(), csv()  # computed, then stored (the figures, and the gaps' demand)
    assert StoredReport.objects.count() == 2
    assert tables() == live_tables
    assert csv() == live_csv
    # Small counts are suppressed after the figures are read, as when computed.
    assert "&lt;5" in "".join(live_tables)


def _forgotten_after(change, triage, filters=Q1):
    _stored(triage, filters)
    assert StoredReport.objects.count() == 1
    change()
    forgotten = not StoredReport.objects.exists()
    assert _stored(triage, filters) == _live(triage, filters)
    return forgotten


@pytest.mark.django_db
def test_late_recorded_attendance_forgets_the_stored_period(known, triage):
    connection = only_connection(known["r3"])

    def record():
        connection.first_session_booked_at = connection.attended_at = at("2026-02-20 10:00")
        connection.save()

    before = _stored(triage).attended
    assert _forgotten_after(record, triage)
    assert _stored(triage).attended == before + 1


@pytest.mark.django_db
def test_a_status_correction_or_hand_over_forgets_the_stored_period(known, triage):
    def correct():
        referral = Referral.objects.get(pk=known["r2"].pk)
        referral.contacted_at = None
        referral.save()

    assert _forgotten_after(correct, triage)


@pytest.mark.django_db
def test_a_change_of_needs_forgets_the_stored_period(known, triage, needs):
    assert _forgotten_after(lambda: Referral.objects.get(pk=known["r4"].pk).needs.add(needs["walking"]), triage)


@pytest.mark.django_db
def test_a_merge_of_people_records_forgets_the_stored_period(known, triage, service):
    district = ReportFilter(start=Q1.start, end=Q1.end, area="DT1")
    kept = make_resident(service=service, postcode="DT1 1AA", nhs_number="")
    before = _stored(triage, district).referred

    def merge():
        duplicate = Referral.objects.get(pk=known["r1"].pk).resident
        people.resident_merge(keep=kept, duplicate=duplicate, actor=actor_for_user(triage))

    assert _forgotten_after(merge, triage, district)
    assert _stored(triage, district).referred == before + 1


@pytest.mark.django_db
def test_retention_forgets_the_stored_period_and_keeps_the_district_figures(known, triage):
    district = ReportFilter(start=Q1.start, end=Q1.end, area="BH15")
    before = _stored(triage, district)
    referral = Referral.objects.select_related("resident").get(pk=known["r1"].pk)

    def anonymise():
        anonymise_referrals([referral.pk], now=at("2026-05-01 09:00"))
        anonymise_resident(referral.resident, now=at("2026-05-01 09:00"))

    assert _forgotten_after(anonymise, triage, district)
    # The postcode is cut to its district, which is still in the district: nothing moved.
    assert _live(triage, district) == before


@pytest.mark.django_db
def test_a_change_to_a_later_referral_keeps_the_stored_period(known, triage, service):
    _stored(triage)
    later = make_referral(service=service)
    Referral.objects.filter(pk=later.pk).update(received_at=at("2026-04-02 10:00"))
    later.refresh_from_db()
    later.save()
    assert StoredReport.objects.count() == 1
    assert StoredReport.objects.get().period_end == Q1.end
