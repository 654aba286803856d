"""The report by GP practice and primary care network: each practice's and network's figures, the
rows for people with no practice or no GP so that totals add up, suppression on the page and in
the files, only the reader's service, a few queries whatever the number of practices, and who may open it."""

import csv
import io
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from factories.primarycare import make_pcn, make_practice
from factories.referrals import (
    make_referral,
    make_resident,
    make_staff,
    make_triage,
    make_user,
)
from referrals.choices import ConnectionStatus as C
from referrals.choices import DischargeReason, NotEligibleReason, Source
from referrals.choices import ReferralStatus as S
from referrals.models import AuditEntry
from referrals.permissions import reportable_connections, reportable_referrals
from referrals.roles import COMMISSIONERS_GROUP, actor_for_user
from referrals.triage_outcomes import referral_decline_not_eligible, referral_redirect
from reporting.practices import ALL, build_practice_report, covered_networks
from reporting.scope import ReportFilter

pytestmark = pytest.mark.django_db

PAGE = "reporting:reports_practices"


def period() -> dict:
    today = timezone.localdate()
    return {"start": (today - timedelta(days=30)).isoformat(), "end": today.isoformat()}


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.content, "html.parser")


def table(page: BeautifulSoup, key: str) -> dict[str, list[str]]:
    """A table's rows by their first cell (the row's header)."""
    rows = page.select(f"#table-{key} tbody tr")
    cells = [[cell.get_text(strip=True) for cell in row.find_all(["th", "td"])] for row in rows]
    return {row[0]: row[1:] for row in cells}


def read_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def csv_section(rows: list[list[str]], title: str) -> dict[str, list[str]]:
    """One table of the CSV, its rows by their first two cells (network, and practice or ODS code)."""
    start = next(i for i, row in enumerate(rows) if row == [title]) + 2
    end = next((i for i in range(start, len(rows)) if not rows[i] or len(rows[i]) == 1), len(rows))
    return {(row[0], row[1]): row[2:] for row in rows[start:end]}


# Columns after the practice's name and ODS code: received, from primary care, self, other professionals,
# not eligible, redirected, first session booked, attended, attended (% of referred).


@pytest.fixture
def commissioner(service):
    return make_staff(COMMISSIONERS_GROUP, service=service, username="cara", first_name="Cara")


@pytest.fixture
def practices(service):
    harbour = make_pcn("Harbour PCN", ods_code="U11111")
    heath = make_pcn("Heath PCN", ods_code="U22222")
    service.pcns.add(harbour, heath)
    return {
        "harbour": harbour, "heath_pcn": heath,
        "quay": make_practice("Quay Surgery", ods_code="J10001", pcn=harbour),
        "park": make_practice("Park Medical Centre", ods_code="J10002", pcn=harbour),
        "heath": make_practice("Heath Surgery", ods_code="J10003", pcn=heath),
        "lone": make_practice("Lone Practice", ods_code="J10004"),
        "elsewhere": make_practice("Elsewhere Surgery", ods_code="J10005", pcn=make_pcn("Far PCN", ods_code="U33333")),
    }


def refer(service, triage, practice=None, **fields):
    resident_fields = {key: fields.pop(key) for key in ("has_no_gp", "gp_practice") if key in fields}
    resident = make_resident(service=service, practice=practice, **resident_fields)
    return make_referral(service=service, triage=triage, resident=resident, **fields)


def triage_declines(referral, status, triage):
    """Triage's other answers, as the triage team gives them."""
    actor = actor_for_user(triage)
    if status == S.NOT_ELIGIBLE:
        referral_decline_not_eligible(referral=referral, actor=actor, reason=NotEligibleReason.AGE)
    else:
        referral_redirect(referral=referral, actor=actor, note="Carers' support suits them better.",
                          to_name="Poole Carers")


@pytest.fixture
def referrals(service, other_service, triage, link_worker, activity, practices):
    made = []
    for _ in range(6):
        made.append(refer(service, triage, practices["quay"]))
    made.append(refer(service, triage, practices["quay"], status=C.ATTENDED, source=Source.SELF,
                      link_worker=link_worker, activity=activity))
    made.append(refer(service, triage, practices["quay"], status=S.DISCHARGED, link_worker=link_worker,
                      activity=activity, discharge_reason=DischargeReason.MOVED_AWAY))
    triage_declines(refer(service, triage, practices["park"]), S.NOT_ELIGIBLE, triage)
    triage_declines(refer(service, triage, practices["park"]), S.REDIRECTED, triage)
    refer(service, triage, practices["lone"])
    refer(service, triage, gp_practice="Dr Somewhere, Bournemouth")
    refer(service, triage)
    refer(service, triage, has_no_gp=True)
    # Another service's referral, of a patient of the same practice: never counted in this service's report.
    refer(other_service, make_triage(service=other_service, username="otto"), practices["quay"])
    return made


def test_triage_sees_each_practice_and_network_with_totals_that_add_up(client, triage, referrals, sign_in):
    page = soup(sign_in(triage).get(reverse(PAGE), period()))
    networks = table(page, "pcn_referrals")
    assert networks["Harbour PCN"] == ["U11111", "10", "9", "1", "0", "1", "1", "2", "2", "20.0"]
    assert networks["Heath PCN"] == ["U22222", "0", "0", "0", "0", "0", "0", "0", "0", "–"]
    assert networks["Practices not in a primary care network"][:3] == ["", "1", "1"]
    assert networks["No practice recorded"][:2] == ["", "2"]
    assert networks["Not registered with a GP"][:2] == ["", "1"]
    # 10 + 0 + 1 + 2 + 1: the other service's referral is not among them.
    assert networks["All referrals"] == ["", "14", "13", "1", "0", "1", "1", "2", "2", "14.3"]
    assert "Far PCN" not in networks  # a network the service does not cover, with no referrals

    harbour = table(page, "practices-0-referrals")
    assert harbour["Quay Surgery"] == ["J10001", "8", "7", "1", "0", "0", "0", "2", "2", "25.0"]
    assert harbour["Park Medical Centre"] == ["J10002", "2", "2", "0", "0", "1", "1", "0", "0", "0.0"]
    assert harbour["All practices in Harbour PCN"] == networks["Harbour PCN"]
    # A practice of a covered network is listed with no referrals.
    assert table(page, "practices-1-referrals")["Heath Surgery"][1] == "0"

    discharges = table(page, "pcn_discharges")
    header = [th.get_text(strip=True) for th in page.select("#table-pcn_discharges thead th")]
    moved_away = header.index("Moved away") - 1
    assert discharges["Harbour PCN"][moved_away] == "1"
    assert discharges["Harbour PCN"][-1] == "1"
    assert discharges["All discharged"][-1] == "1"
    assert table(page, "practices-0-discharges")["Quay Surgery"][moved_away] == "1"


def test_the_figures_agree_with_the_dashboard(client, triage, referrals, sign_in):
    client = sign_in(triage)
    dashboard = soup(client.get(reverse("reporting:reports"), period()))
    funnel = {row.find("th").get_text(strip=True): [td.get_text(strip=True) for td in row.find_all("td")]
              for row in dashboard.select("#table-funnel tbody tr")}
    totals = table(soup(client.get(reverse(PAGE), period())), "pcn_referrals")["All referrals"]
    assert totals[1] == funnel["Referred"][0]
    assert totals[7] == funnel["First session booked"][0]
    assert totals[8] == funnel["Attended a first session"][0]


def test_a_commissioner_sees_small_numbers_suppressed_on_the_page_and_in_the_files(
    client, commissioner, referrals, sign_in
):
    client = sign_in(commissioner)
    page = soup(client.get(reverse(PAGE), period()))
    assert "are shown as “<5”" in page.select_one(".nhsuk-inset-text").get_text()
    harbour = table(page, "practices-0-referrals")
    quay, park = harbour["Quay Surgery"], harbour["Park Medical Centre"]
    # Park's 2 referrals are hidden; Quay's 8 with them, or the network's 10 minus 8 would give them away.
    assert (park[1], quay[1], harbour["All practices in Harbour PCN"][1]) == ("<5", "suppressed", "10")
    # Quay's one self-referral is hidden, and so are its 7 from primary care (8 - 7 would give it away).
    assert quay[2:5] == ["suppressed", "<5", "0"]
    # Booked and attended hidden, and the share resting on them, with its "suppressed" base (never "<5" as a share).
    assert quay[7:] == ["<5", "<5", "suppressed"]
    networks = table(page, "pcn_referrals")
    assert networks["No practice recorded"][1] == "<5"
    assert networks["Not registered with a GP"][1] == "<5"
    assert networks["All referrals"][1] == "14"
    assert "Tuesday health walk" not in page.get_text() and "Resident" not in page.get_text()
    # Every cell is a count of 0 or at least 5, or hidden.
    for row in networks.values():
        for cell in row[1:-1]:
            assert cell in ("0", "<5", "suppressed") or int(cell) >= 5, row

    rows = read_csv(client.get(reverse("reporting:reports_practices_export_csv"), period()))
    assert any("shown as <5" in row[0] for row in rows if row)
    practices = csv_section(rows, "Referrals by GP practice")
    assert practices[("Harbour PCN", "Quay Surgery")][:5] == ["J10001", "suppressed", "suppressed", "<5", "0"]
    assert practices[("Harbour PCN", "Park Medical Centre")][1] == "<5"
    assert practices[("No practice recorded", "No practice recorded")][1] == "<5"
    by_network = csv_section(rows, "Referrals by PCN")
    assert by_network[("All referrals", "")][0] == "14"

    book = load_workbook(io.BytesIO(client.get(reverse("reporting:reports_practices_export_xlsx"), period()).content))
    sheet = book["Referrals by GP practice"]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    quay_row = next(row for row in values if row[:2] == ["Harbour PCN", "Quay Surgery"])
    assert quay_row[3:6] == ["suppressed", "suppressed", "<5"]
    assert len(book.sheetnames) == 4


def test_exports_are_audited_and_exact_for_triage(client, triage, referrals, sign_in):
    client = sign_in(triage)
    response = client.get(reverse("reporting:reports_practices_export_csv"), period())
    assert response["Content-Disposition"].startswith('attachment; filename="signpost-by-practice-')
    practices = csv_section(read_csv(response), "Referrals by GP practice")
    assert practices[("Harbour PCN", "Quay Surgery")][:5] == ["J10001", "8", "7", "1", "0"]
    assert practices[("All referrals", "")][1] == "14"
    # The practice table adds up on its own: practices and the two stand-in rows.
    assert sum(int(row[1]) for key, row in practices.items() if key[0] != "All referrals") == 14
    client.get(reverse("reporting:reports_practices_export_xlsx"), period())
    entries = AuditEntry.objects.filter(action="export").order_by("pk")
    assert [entry.what.split(" (")[0] for entry in entries] == [
        "report export: by practice as csv", "report export: by practice as xlsx"]
    assert all(entry.actor_id == triage.pk for entry in entries)


def test_an_administrator_counts_every_service(client, referrals, sign_in):
    admin = make_user("ada", is_superuser=True, is_staff=True)
    page = soup(sign_in(admin).get(reverse(PAGE), period()))
    networks = table(page, "pcn_referrals")
    assert networks["All referrals"][1] == "15"
    assert networks["Harbour PCN"][1] == "11"


def test_the_figures_take_a_few_queries_whatever_the_number_of_practices(
    service, triage, referrals, practices, django_assert_max_num_queries
):
    actor = actor_for_user(triage)
    today = timezone.localdate()
    filters = ReportFilter(start=today - timedelta(days=30), end=today)

    def build():
        return build_practice_report(referrals=reportable_referrals(actor), filters=filters,
                                     connections=reportable_connections(actor),
                                     covered_pcns=covered_networks(service_ids=actor.service_ids))

    with django_assert_max_num_queries(4):
        report = build()
    assert report.referral_counts(ALL)["received"] == 14
    for number in range(8):
        refer(service, triage, make_practice(f"Extra Surgery {number}", pcn=practices["heath_pcn"]))
    with django_assert_max_num_queries(4):
        report = build()
    assert report.referral_counts(ALL)["received"] == 22
    assert report.referral_counts(("pcn", practices["heath_pcn"].pk))["received"] == 8


def test_the_page_s_queries_do_not_grow_with_practices(client, service, triage, practices, sign_in,
                                                        django_assert_max_num_queries):
    client = sign_in(triage)
    refer(service, triage, practices["quay"])
    client.get(reverse(PAGE), period())  # warm: the session and the second factor
    with django_assert_max_num_queries(30) as few:
        client.get(reverse(PAGE), period())
    for number in range(6):
        refer(service, triage, make_practice(f"Extra Surgery {number}", pcn=practices["heath_pcn"]))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse(PAGE), period()).status_code == 200


def test_the_reports_page_links_to_it_keeping_the_period(client, triage, sign_in):
    page = soup(sign_in(triage).get(reverse("reporting:reports"), period()))
    link = page.select_one(f'a[href^="{reverse(PAGE)}"]')
    assert link is not None
    assert period()["start"] in link["href"]
    assert "GP practice and primary care network" in link.get_text()


def test_the_tables_are_marked_up_for_screen_readers(client, triage, referrals, sign_in):
    page = soup(sign_in(triage).get(reverse(PAGE), period()))
    for key in ("pcn_referrals", "pcn_discharges", "practices-0-referrals"):
        found = page.select_one(f"#table-{key}")
        assert found.find("caption").get_text(strip=True)
        assert all(th["scope"] == "col" for th in found.select("thead th"))
        assert all(row.find("th")["scope"] == "row" for row in found.select("tbody tr"))
        assert found.select("tbody td.nhsuk-table__cell--numeric")
    # Practices are inside a details element per network: no JavaScript needed to open them.
    assert page.select_one("details#network-1 summary").get_text(strip=True) == "Harbour PCN: 2 practices"


@pytest.mark.parametrize("name", ["reporting:reports_practices", "reporting:reports_practices_export_csv",
                                  "reporting:reports_practices_export_xlsx"])
def test_only_commissioners_triage_and_administrators_open_it(client, name, link_worker, provider_editor, sign_in):
    assert client.get(reverse(name), period()).status_code == 302  # signed out: to sign in
    assert sign_in(link_worker).get(reverse(name), period()).status_code == 403
    client.logout()
    # A provider's reports are about its own connections; triage and discharge are the service's business.
    assert sign_in(provider_editor).get(reverse(name), period()).status_code == 403
