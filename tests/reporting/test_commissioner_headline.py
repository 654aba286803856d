"""Issue 15: the commissioner's report leads with the figures the service is held to, shows small
numbers honestly (never "<5" in a share's place), puts the gaps on Signpost's map with the table
as its equivalent, and opens on a period that starts where the data does."""

import csv
import io
from datetime import date, timedelta

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from factories.referrals import make_referral, make_staff
from referrals.choices import ConnectionStatus as C
from referrals.choices import ReferralStatus as S
from referrals.models import Referral
from referrals.roles import COMMISSIONERS_GROUP
from reporting.exports import Suppressor
from reporting.forms import default_period
from reporting.suppression import suppressed_share

pytestmark = pytest.mark.django_db


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def period() -> dict:
    today = timezone.localdate()
    return {"start": (today - timedelta(days=30)).isoformat(), "end": today.isoformat()}


def headline(page) -> dict[str, str]:
    return {item["id"].removeprefix("headline-"): item.get_text(" ", strip=True)
            for item in page.select("#headline li")}


@pytest.fixture
def commissioner(service):
    return make_staff(COMMISSIONERS_GROUP, service=service, username="cara", first_name="Cara", last_name="Commissioner")


def referrals(count, attended, *, service, triage, link_worker, activity, needs):
    common = {"service": service, "triage": triage, "link_worker": link_worker, "activity": activity}
    return [make_referral(status=C.ATTENDED if number < attended else S.CONTACTED, needs=[needs["loneliness"]], **common)
            for number in range(count)]


def test_a_share_is_never_the_counts_marker():
    # The cause of "<5, too few to say" with 25 referrals: a small numerator's share was its count's "<5".
    assert suppressed_share(3, 25, threshold=5) == "under 20%"
    assert suppressed_share(13, 25, threshold=5) == 13 / 25
    assert suppressed_share(1, 3, threshold=5) == "based on fewer than 5"
    assert suppressed_share(0, 25, threshold=5) == 0.0
    assert suppressed_share(0, 0, threshold=5) is None
    # A count hidden so that another cannot be worked out hides its share; a small one never gives "<5".
    on = Suppressor(on=True, threshold=5)
    assert on.share_of("suppressed", 9, 30) == "suppressed"
    assert on.share_of("<5", 2, 30) == "under 17%"


def test_25_referrals_with_3_attended_show_real_figures_not_too_few_to_say(
    client, commissioner, service, triage, link_worker, activity, needs, sign_in
):
    referrals(25, 3, service=service, triage=triage, link_worker=link_worker, activity=activity, needs=needs)
    page = soup(sign_in(commissioner).get(reverse("reporting:reports"), period()))
    figures = headline(page)
    assert "under 20%" in figures["attendance"] and "of 25 people referred" in figures["attendance"]
    assert "Target not met" in figures["attendance"]
    assert "100%" in figures["contact"] and "within 2 working days" in figures["contact"]
    assert "Too few" not in page.select_one("#headline").get_text()
    attendance = {row.th.get_text(strip=True): [td.get_text(strip=True) for td in row.find_all("td")]
                  for row in page.select("#table-attendance tbody tr")}
    assert attendance["Per person, of people referred (the headline)"] == ["<5", "25", "under 20%"]
    assert "Target not met" in page.select_one("#attendance-target").get_text()


def test_25_referrals_with_13_attended_show_the_exact_share_and_the_target_met(
    client, commissioner, service, triage, link_worker, activity, needs, sign_in
):
    referrals(25, 13, service=service, triage=triage, link_worker=link_worker, activity=activity, needs=needs)
    page = soup(sign_in(commissioner).get(reverse("reporting:reports"), period()))
    figures = headline(page)
    assert figures["attendance"].startswith("52%") and "Target met" in figures["attendance"]
    # The headline comes before everything else the report says.
    assert page.select_one("h1").find_next("h2")["id"] == "headline-title"


def test_3_referrals_say_based_on_fewer_than_5_and_offer_a_longer_period(
    client, commissioner, service, triage, link_worker, activity, needs, sign_in
):
    referrals(3, 1, service=service, triage=triage, link_worker=link_worker, activity=activity, needs=needs)
    page = soup(sign_in(commissioner).get(reverse("reporting:reports"), period()))
    figures = headline(page)
    assert "based on fewer than 5 referrals" in figures["attendance"]
    assert "based on fewer than 5 people contacted" in figures["contact"]
    wider = page.select_one("#headline-attendance a")
    assert wider.get_text(strip=True) == "Look at a longer period"
    start = date.fromisoformat(period()["start"])
    assert f"start={start.replace(year=start.year - 1, day=1).isoformat()}" in wider["href"]
    assert "<5" not in page.select_one("#headline").get_text()


def _percent_columns(columns):
    return [index for index, name in enumerate(columns) if "%" in str(name)]


def test_no_percentage_cell_says_less_than_5_on_the_page_or_in_the_files(
    client, commissioner, service, triage, link_worker, activity, needs, sign_in
):
    referrals(7, 2, service=service, triage=triage, link_worker=link_worker, activity=activity, needs=needs)
    make_referral(status=S.RECEIVED, service=service, triage=triage, source="self")
    client = sign_in(commissioner)
    page = soup(client.get(reverse("reporting:reports"), period()))
    checked = 0
    for table in page.select("table.signpost-report-table"):
        columns = [th.get_text(strip=True) for th in table.select("thead th")]
        for row in table.select("tbody tr"):
            cells = [cell.get_text(strip=True) for cell in row.find_all(["th", "td"])]
            for index in _percent_columns(columns):
                if index < len(cells):
                    assert not cells[index].startswith("<"), (table["id"], cells)
                    checked += 1
    # The "Value" cells of measures in per cent.
    for row in page.select("#table-times tbody tr, #table-care_plans tbody tr"):
        cells = [cell.get_text(strip=True) for cell in row.find_all(["th", "td"])]
        if "%" in cells[0]:
            assert not cells[1].startswith("<"), cells
    assert checked > 20
    assert "<5" in page.get_text()  # counts are still suppressed

    body = client.get(reverse("reporting:reports_export_csv"), {**period(), "section": "all"}).content.decode("utf-8-sig")
    columns = None
    for row in csv.reader(io.StringIO(body)):
        if any("%" in cell for cell in row) and row and not row[0].startswith("Counts"):
            columns = row
            continue
        if columns and row:
            for index in _percent_columns(columns):
                if index < len(row):
                    assert not row[index].startswith("<"), (columns, row)
        if not row:
            columns = None
    book = load_workbook(io.BytesIO(client.get(reverse("reporting:reports_export_xlsx"),
                                               {**period(), "section": "all"}).content))
    for sheet in book.worksheets:
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
        header = next((row for row in rows[3:] if row and any("%" in str(v) for v in row if v)), None)
        if not header:
            continue
        for row in rows[rows.index(header) + 1:]:
            for index in _percent_columns(header):
                value = row[index] if index < len(row) else None
                assert not (isinstance(value, str) and value.startswith("<")), (sheet.title, row)


def test_the_default_period_starts_at_the_month_of_the_first_referral(
    client, commissioner, service, triage, link_worker, activity, needs, sign_in
):
    today = timezone.localdate()
    [first, *_rest] = referrals(2, 0, service=service, triage=triage, link_worker=link_worker, activity=activity,
                                needs=needs)
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=12)
    Referral.objects.filter(pk=first.pk).update(received_at=timezone.make_aware(
        timezone.datetime.combine(last_month, timezone.datetime.min.time()).replace(hour=10)))
    page = soup(sign_in(commissioner).get(reverse("reporting:reports")))
    assert f"1 {last_month:%B %Y} to {today:%-d %B %Y}" in page.select_one("h1").get_text(" ", strip=True)
    months = [row.th.get_text(strip=True) for row in page.select("#table-by_month tbody tr")]
    assert months == [f"{last_month:%b %Y}", f"{today:%b %Y}"]  # not ten months of zeros first
    # With no referrals, or data older than a year, the 12 months to date.
    assert default_period(Referral.objects.none(), today=today)[0] == today.replace(day=1).replace(
        year=today.year - (today.month < 12), month=(today.month % 12) + 1)
    Referral.objects.filter(pk=first.pk).update(received_at=timezone.now() - timedelta(days=800))
    assert default_period(Referral.objects.all(), today=today)[1] == today
    assert (today - default_period(Referral.objects.all(), today=today)[0]).days > 300


def test_the_gaps_are_on_signposts_map_with_the_table_as_its_equivalent(
    client, commissioner, service, triage, link_worker, activity, needs, sign_in, postcodes, settings
):
    settings.SIGNPOST_REPORTING = {**settings.SIGNPOST_REPORTING, "GAP_MIN_DEMAND": 1, "GAP_MAX_SUPPLY": 0}
    referrals(6, 0, service=service, triage=triage, link_worker=link_worker, activity=activity, needs=needs)
    response = sign_in(commissioner).get(reverse("reporting:reports"), period())
    page = soup(response)
    section = page.select_one("#section-gaps").find_parent("section")
    assert section.select_one("[data-signpost-gap-map]") is not None
    assert section.find("svg") is None  # no longer dots on a blank canvas
    import json

    data = json.loads(page.select_one("#signpost-map-data").string)
    assert data["tiles"]["url"] == settings.SIGNPOST_MAP["TILE_URL"]  # the same tiles as the directory's maps
    [bh15] = data["places"]
    assert bh15["title"] == "BH15" and bh15["gap"] is True
    assert bh15["detail"][0] == "Gap: Loneliness and isolation"
    link = section.find("a", string="Show as a table")
    assert link["href"] == "#table-gaps-region"
    region = page.select_one("#table-gaps-region")
    assert region["tabindex"] == "0" and region.find("table")["id"] == "table-gaps"
    scripts = [tag["src"] for tag in page.select("script[src]")]
    assert any(src.endswith("leaflet/leaflet.js") for src in scripts)
    assert any(src.endswith("js/map.js") for src in scripts)
    assert not page.select("script:not([src]):not([type='application/json']):not([nonce])")  # no inline script of ours
