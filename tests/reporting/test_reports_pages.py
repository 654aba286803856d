"""The dashboard as each role sees it: suppressed for commissioners, exact for triage, only theirs for providers."""

import json
import re
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from django.utils import timezone

from factories.referrals import make_referral, make_staff
from referrals.choices import ConnectionStatus as C
from referrals.choices import ReferralStatus as S
from referrals.models import WellbeingScore
from referrals.roles import COMMISSIONERS_GROUP
from reporting.models import ReportingArea

pytestmark = pytest.mark.django_db


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def period() -> dict:
    today = timezone.localdate()
    return {"start": (today - timedelta(days=30)).isoformat(), "end": today.isoformat()}


def table(page: BeautifulSoup, key: str) -> list[list[str]]:
    rows = page.select(f"#table-{key} tbody tr")
    return [[cell.get_text(strip=True) for cell in row.find_all(["th", "td"])] for row in rows]


@pytest.fixture
def commissioner(service):
    return make_staff(COMMISSIONERS_GROUP, service=service, username="cara", first_name="Cara", last_name="Commissioner")


@pytest.fixture
def three(service, triage, link_worker, activity, needs):
    common = {"service": service, "triage": triage, "link_worker": link_worker, "activity": activity}
    referrals = [
        make_referral(status=C.ATTENDED, needs=[needs["loneliness"]], **common),
        make_referral(status=S.CONTACTED, needs=[needs["walking"]], **common),
        make_referral(status=S.RECEIVED, **common),
    ]
    WellbeingScore.objects.create(referral=referrals[0], stage="first_conversation", life_satisfaction=4,
                                  worthwhile=5, happiness=5, anxiety=8)
    WellbeingScore.objects.create(referral=referrals[0], stage="review", life_satisfaction=7,
                                  worthwhile=7, happiness=8, anxiety=3)
    return referrals


def test_a_commissioner_sees_small_counts_suppressed_and_no_names(client, commissioner, three, sign_in):
    response = sign_in(commissioner).get(reverse("reporting:reports"), period())
    assert response.status_code == 200
    page = soup(response)
    all_sources = table(page, "by_source")[-1]
    assert all_sources[0] == "All sources"
    assert all_sources[1] == "<5" and all_sources[1] != "3"
    funnel = dict((row[0], row[1]) for row in table(page, "funnel"))
    assert funnel["Referred"] == "<5"
    assert "3" not in funnel.values()
    # No one is named, and figures resting on one person are not shown.
    html = response.content.decode()
    for referral in three:
        assert referral.resident.last_name not in html
        assert referral.reference not in html
    assert table(page, "wellbeing")[0][2] == "suppressed"
    assert "Too few to compare with the target" in html


def test_triage_sees_exact_counts_and_the_target(client, triage, three, sign_in):
    page = soup(sign_in(triage).get(reverse("reporting:reports"), period()))
    assert table(page, "by_source")[-1][:2] == ["All sources", "3"]
    funnel = {row[0]: row[1:] for row in table(page, "funnel")}
    assert funnel["Referred"] == ["3", "100.0"]
    assert funnel["Attended a first session"] == ["1", "33.3"]
    assert "the 50% target is not met" in page.get_text(" ", strip=True)
    wellbeing = {row[0]: row[1:] for row in table(page, "wellbeing")}
    assert wellbeing["Life satisfaction"] == ["1", "4.0", "7.0", "3.0"]


def test_a_provider_sees_only_referrals_sent_to_them_and_no_link_worker_filter(
    client, provider_editor, three, service, triage, link_worker, other_activity, sign_in
):
    make_referral(status=C.ATTENDED, service=service, triage=triage, link_worker=link_worker, activity=other_activity)
    page = soup(sign_in(provider_editor).get(reverse("reporting:reports"), period()))
    assert table(page, "by_source")[-1][:2] == ["All sources", "1"]  # only the one sent to them
    assert page.select_one("#id_link_worker") is None
    assert page.select_one("#id_provider") is not None


def test_a_link_worker_without_a_report_role_is_refused(client, link_worker, sign_in):
    assert sign_in(link_worker).get(reverse("reporting:reports")).status_code == 403


def test_signed_out_people_are_sent_to_sign_in(client):
    response = client.get(reverse("reporting:reports"))
    assert response.status_code == 302


def test_every_chart_has_its_table_with_the_same_numbers(client, triage, three, sign_in, postcodes):
    page = soup(sign_in(triage).get(reverse("reporting:reports"), period()))
    charts = page.select("svg.signpost-chart")
    assert len(charts) >= 5
    for svg in charts:
        assert svg["role"] == "img"
        assert svg.find("title").get_text() and svg.find("desc").get_text()
        section = svg.find_parent("section")
        table_ = section.find("table")
        assert table_ is not None, "a chart without its table"
        cells = {cell.get_text(strip=True) for cell in table_.select("tbody td")}
        printed = [text.get_text() for text in svg.find_all("text") if re.fullmatch(r"[<\d.,+-]+", text.get_text())]
        for number in printed:
            assert number.lstrip("+") in cells or number in cells, (section["aria-labelledby"], number)
    months = table(page, "by_month")
    assert months[-1][-1] == "3"
    month_chart = page.select_one("#section-by_month").find_parent("section").find("svg")
    assert "3" in [t.get_text() for t in month_chart.find_all("text")]


def test_the_gap_map_places_districts_and_names_gaps(client, triage, three, sign_in, postcodes, settings):
    settings.SIGNPOST_REPORTING = {**settings.SIGNPOST_REPORTING, "GAP_MIN_DEMAND": 1, "GAP_MAX_SUPPLY": 0}
    page = soup(sign_in(triage).get(reverse("reporting:reports"), period()))
    gaps = table(page, "gaps")
    assert ["BH15", "Loneliness and isolation", "1", "0", "0", "Yes"] in gaps
    # On Signpost's Leaflet map (issue 15): the district, its needs and its gap, from the same figures.
    section = page.select_one("#section-gaps").find_parent("section")
    assert section.select_one("[data-signpost-gap-map]") is not None
    places = json.loads(page.select_one("#signpost-map-data").string)["places"]
    assert [(place["title"], place["gap"], place["detail"][0]) for place in places] == [
        ("BH15", True, "Gap: Loneliness and isolation, Physical activity")]


def test_filters_narrow_the_report_and_bad_dates_are_explained(client, triage, three, needs, sign_in, service):
    client = sign_in(triage)
    page = soup(client.get(reverse("reporting:reports"), {**period(), "need": needs["loneliness"].pk}))
    assert table(page, "by_source")[-1][1] == "1"
    area = ReportingArea.objects.create(name="Poole North", postcode_prefixes="BH17")
    page = soup(client.get(reverse("reporting:reports"), {**period(), "reporting_area": area.pk}))
    assert table(page, "by_source")[-1][1] == "0"
    page = soup(client.get(reverse("reporting:reports"), {**period(), "district": "BH15"}))
    assert table(page, "by_source")[-1][1] == "3"
    response = client.get(reverse("reporting:reports"), {"start": "2026-03-01", "end": "2026-01-01"})
    assert response.status_code == 200
    page = soup(response)
    assert page.title.get_text().startswith("Error:")
    assert "The end date must be the same as or after the start date" in page.select_one(".nhsuk-error-summary").get_text()


def test_presets_set_the_period(client, triage, three, sign_in):
    page = soup(sign_in(triage).get(reverse("reporting:reports"), {"preset": "this_quarter"}))
    assert table(page, "by_source")[-1][1] == "3"  # received today: this quarter
    page = soup(sign_in(triage).get(reverse("reporting:reports")))  # the last 12 full months: not this month
    assert "people referred" in page.get_text()


def test_the_casework_figures_are_on_the_page_defined_in_words(client, triage, three, sign_in):
    page = soup(sign_in(triage).get(reverse("reporting:reports"), period()))
    for key in ("attendance", "connections", "connections_per_person", "care_plans", "discharge_reasons",
                "weeks_to_discharge", "contacts_per_person", "goals", "caseload"):
        section = page.select_one(f"#section-{key}").find_parent("section")
        assert section.select_one(".signpost-report-definition").get_text(strip=True), key
        assert section.find("table") is not None, key
    attendance = {row[0]: row[1:] for row in table(page, "attendance")}
    # One of three people attended a first session; they were the only one connected, to one activity.
    assert attendance["Per person, of people referred (the headline)"] == ["1", "3", "33.3"]
    assert attendance["Per person, of people connected to an activity"] == ["1", "1", "100.0"]
    assert attendance["Per connection, of connections to activities"] == ["1", "1", "100.0"]
    text = page.get_text(" ", strip=True)
    assert "The 50% target is checked per person, of everyone referred" in text
    # Two allocations in the 31 days: 24 a year for a full-time link worker.
    assert ["Lee Worker", "37.5", "2", "24", "24", "Below the guide"] in table(page, "caseload")
    caseload_chart = page.select_one("#section-caseload").find_parent("section").find("svg")
    assert "Guide: 200 to 250 a year" in caseload_chart.get_text()
    assert "The headline is per person" in page.select_one("#section-attendance").find_parent("section").get_text()


def test_a_commissioner_sees_the_casework_figures_suppressed(client, commissioner, three, sign_in):
    page = soup(sign_in(commissioner).get(reverse("reporting:reports"), period()))
    attendance = {row[0]: row[1:] for row in table(page, "attendance")}
    # The share of a base of fewer than 5 says so, never "<5" in a share's column (issue 15).
    assert attendance["Per person, of people referred (the headline)"] == ["<5", "<5", "based on fewer than 5"]
    assert attendance["Per connection, of connections to activities"][:2] == ["<5", "<5"]
    assert ["Lee Worker", "37.5", "<5", "<5", "<5", "Too few to say"] in table(page, "caseload")
    assert all(cell in ("0", "<5", "suppressed") for row in table(page, "connections") for cell in row[1:])


def test_a_providers_report_counts_only_its_connections_and_leaves_out_casework(
    client, provider_editor, three, other_activity, sign_in
):
    from factories.referrals import make_connection

    make_connection(referral=three[0], status=C.ATTENDED, activity=other_activity)  # another organisation's
    page = soup(sign_in(provider_editor).get(reverse("reporting:reports"), period()))
    connections = dict((row[0], row[1]) for row in table(page, "connections"))
    assert (connections["Connections made"], connections["First session attended"]) == ("1", "1")
    for key in ("care_plans", "discharge_reasons", "weeks_to_discharge", "contacts_per_person", "goals", "caseload"):
        assert page.select_one(f"#section-{key}") is None, key
    assert "Lee Worker" not in page.get_text()


def test_the_dashboards_queries_do_not_grow_with_the_referrals(
    client, triage, three, service, link_worker, activity, other_activity, sign_in, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from factories.referrals import discharge, hold_review, make_connection

    client = sign_in(triage)
    client.get(reverse("reporting:reports"), period())  # warm the caches
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("reporting:reports"), period())
    for _ in range(3):
        referral = make_referral(status=C.DID_NOT_ATTEND, service=service, triage=triage, link_worker=link_worker,
                                 activity=activity)
        make_connection(referral=referral, status=C.ATTENDED, activity=other_activity)
        hold_review(referral)
        discharge(referral)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("reporting:reports"), period())
    assert len(many) == len(few), [q["sql"][:120] for q in many.captured_queries]
    assert len(few) < 60
