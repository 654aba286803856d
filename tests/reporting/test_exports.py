"""Exports open in a spreadsheet, carry the right rows, nothing personal, and suppress for commissioners."""

import csv
import io
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from factories.referrals import make_connection, make_referral, make_resident, make_staff
from referrals.choices import SNOMED_DECLINED, SNOMED_REFERRED, ConsentPurpose
from referrals.choices import ConnectionStatus as C
from referrals.choices import ReferralStatus as S
from referrals.models import AuditEntry, Consent
from referrals.roles import COMMISSIONERS_GROUP
from reporting.exports import age_band, pseudonymous_id

pytestmark = pytest.mark.django_db

NHS_NUMBER = "9434765919"


def period() -> dict:
    today = timezone.localdate()
    return {"start": (today - timedelta(days=30)).isoformat(), "end": today.isoformat()}


def read_csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content if response.streaming else [response.content]).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def section_rows(rows: list[list[str]], title: str) -> list[list[str]]:
    """The rows of one section in the all-sections CSV: after its title and header, up to the blank line."""
    start = next(i for i, row in enumerate(rows) if row == [title]) + 2
    end = next((i for i in range(start, len(rows)) if not rows[i] or len(rows[i]) == 1), len(rows))
    return rows[start:end]


@pytest.fixture
def commissioner(service):
    return make_staff(COMMISSIONERS_GROUP, service=service, username="cara")


@pytest.fixture
def referrals(service, triage, link_worker, activity, needs):
    common = {"service": service, "triage": triage, "link_worker": link_worker, "activity": activity}
    alice = make_resident(service=service, first_name="Alicia", last_name="Zebedee-Quince", email="alicia.zq@example.net",
                          phone="07700 900456", nhs_number=NHS_NUMBER, postcode="BH15 1AB", date_of_birth=date(1950, 6, 1))
    attended = make_referral(status=C.ATTENDED, resident=alice, needs=[needs["loneliness"]], **common)
    declined = make_referral(status=S.DECLINED_BY_PERSON, needs=[needs["walking"]], **common)
    withdrawn = make_referral(status=S.CONTACTED, **common)
    Consent.objects.filter(referral=withdrawn, purpose=ConsentPurpose.REFERRAL).update(withdrawn_at=timezone.now())
    return {"attended": attended, "declined": declined, "withdrawn": withdrawn}


def test_the_extract_is_pseudonymised_coded_and_leaves_out_withdrawn_consent(client, triage, referrals, sign_in):
    client = sign_in(triage)
    response = client.get(reverse("reporting:reports_export_csv"), {**period(), "section": "extract"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = read_csv(response)
    header, body = rows[0], rows[1:]
    assert len(body) == 2
    by_id = {row[0]: dict(zip(header, row)) for row in body}
    attended = by_id[pseudonymous_id(referrals["attended"].pk)]
    assert attended["SNOMED CT code"] == SNOMED_REFERRED
    assert attended["Needs"] == "Loneliness and isolation"
    assert attended["Postcode district"] == "BH15"
    assert attended["Age band"] == age_band(date(1950, 6, 1), timezone.localdate())
    assert attended["Received"] == timezone.localdate().isoformat()
    assert attended["First session attended"] == timezone.localdate().isoformat()  # a date, not a time
    assert (attended["Connections"], attended["Activities"], attended["Signposts"]) == ("1", "1", "0")
    assert attended["Contacts held"] == "0" and attended["Care plan"] == "No"
    assert by_id[pseudonymous_id(referrals["declined"].pk)]["SNOMED CT code"] == SNOMED_DECLINED
    assert pseudonymous_id(referrals["withdrawn"].pk) not in by_id
    text = response.content.decode("utf-8-sig")
    for personal in ("Alicia", "Zebedee-Quince", "alicia.zq@example.net", "07700 900456", NHS_NUMBER, "1AB",
                     referrals["attended"].reference, "1950-06-01"):
        assert personal not in text
    # ...while the aggregate figures still count the withdrawn referral.
    all_rows = read_csv(client.get(reverse("reporting:reports_export_csv"), {**period(), "section": "all"}))
    assert ["All sources", "3", "100.0"] in section_rows(all_rows, "Referrals by source")


def test_the_extract_as_xlsx_opens_in_a_spreadsheet(client, triage, referrals, sign_in):
    response = sign_in(triage).get(reverse("reporting:reports_export_xlsx"), {**period(), "section": "extract"})
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.active
    values = list(sheet.values)
    assert values[0][0] == "Pseudonymous ID"
    assert len(values) == 3
    assert values[1][3] in (SNOMED_REFERRED, SNOMED_DECLINED)
    # Dates are spreadsheet dates (they sort and filter), shown as dates; a step not taken is empty.
    received = sheet.cell(row=2, column=2)
    assert received.is_date and received.value.date() == timezone.localdate()
    assert received.number_format == "yyyy-mm-dd"
    by_id = {row[0]: row for row in values[1:]}
    declined = by_id[pseudonymous_id(referrals["declined"].pk)]
    assert declined[values[0].index("First session attended")] is None
    # The same rows as the CSV.
    csv_rows = read_csv(sign_in(triage).get(reverse("reporting:reports_export_csv"), {**period(), "section": "extract"}))
    assert sorted(row[0] for row in csv_rows[1:]) == sorted(by_id)


def test_every_section_exports_as_csv_and_as_one_sheet_each_in_xlsx(client, triage, referrals, sign_in):
    client = sign_in(triage)
    rows = read_csv(client.get(reverse("reporting:reports_export_csv"), {**period(), "section": "all"}))
    funnel = section_rows(rows, "From referral to attending")
    assert funnel[0] == ["Referred", "3", "100.0"]
    assert funnel[-1] == ["Attended a first session", "1", "33.3"]
    # Each section's figures are defined in words beneath its table.
    assert any(row and row[0].startswith("Whether people went on to attend, counted two ways") for row in rows)
    response = client.get(reverse("reporting:reports_export_xlsx"), {**period(), "section": "all"})
    assert response["Content-Disposition"].startswith("attachment;")
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [
        "Referrals by month", "Referrals by source", "Referrals by need", "From referral to attending", "Triage's answers",
        "First-session attendance", "Connections", "Connections per person", "Times and attendance",
        "Discharge and care plans", "Discharge reasons", "Weeks to discharge", "Contacts per discharged person",
        "Goals achieved", "Caseload per full-time worker", "Wellbeing (ONS4) change", "Wellbeing (ONS4) change by need",
        "Gaps in provision",
    ]
    values = list(book["From referral to attending"].values)
    assert ("Referred", 3, 100.0) in values
    one = read_csv(client.get(reverse("reporting:reports_export_csv"), {**period(), "section": "by_need"}))
    assert ["Loneliness and isolation", "1"] in one
    assert ["Referrals by source"] not in one


def test_commissioner_exports_suppress_small_counts(client, commissioner, referrals, sign_in):
    client = sign_in(commissioner)
    rows = read_csv(client.get(reverse("reporting:reports_export_csv"), {**period(), "section": "all"}))
    # A share of fewer than 5 says so, never "<5" in a share's column (issue 15).
    assert ["All sources", "<5", "based on fewer than 5"] in section_rows(rows, "Referrals by source")
    funnel = section_rows(rows, "From referral to attending")
    assert funnel[0][:2] == ["Referred", "<5"]
    assert all(row[1] != "3" for row in funnel)
    assert any("shown as <5" in " ".join(row) for row in rows[:4])
    book = load_workbook(io.BytesIO(client.get(reverse("reporting:reports_export_xlsx"),
                                               {**period(), "section": "funnel"}).content))
    assert ("Referred", "<5", "based on fewer than 5") in list(book.active.values)


def test_every_export_is_audited_and_bad_requests_are_refused(client, triage, referrals, sign_in, link_worker):
    client = sign_in(triage)
    client.get(reverse("reporting:reports_export_csv"), {**period(), "section": "funnel"})
    client.get(reverse("reporting:reports_export_xlsx"), {**period(), "section": "extract"})
    entries = AuditEntry.objects.filter(action="export").order_by("pk")
    assert [entry.what.split(" (")[0] for entry in entries] == [
        "report export: funnel as csv", "report export: extract as xlsx"]
    assert all(entry.actor_id == triage.pk for entry in entries)
    assert client.get(reverse("reporting:reports_export_csv"), {"section": "nonsense"}).status_code == 400
    assert client.get(reverse("reporting:reports_export_csv"), {"start": "not a date"}).status_code == 400
    assert sign_in(link_worker).get(reverse("reporting:reports_export_csv")).status_code == 403


def test_a_provider_exports_only_their_referrals_and_connections_without_casework(
    client, provider_editor, referrals, other_activity, sign_in
):
    make_connection(referral=referrals["attended"], status=C.ATTENDED, activity=other_activity)
    client = sign_in(provider_editor)
    response = client.get(reverse("reporting:reports_export_csv"), {**period(), "section": "extract"})
    header, *body = read_csv(response)
    assert [row[0] for row in body] == [pseudonymous_id(referrals["attended"].pk)]
    assert dict(zip(header, body[0]))["Connections"] == "1"  # not the other organisation's
    assert "Contacts held" not in header and "Care plan" not in header
    rows = read_csv(client.get(reverse("reporting:reports_export_csv"), {**period(), "section": "all"}))
    assert ["Discharge reasons"] not in rows and ["Caseload per full-time worker"] not in rows
    assert ["First session attended", "1"] in section_rows(rows, "Connections")
    assert client.get(reverse("reporting:reports_export_csv"), {**period(), "section": "caseload"}).status_code == 400


def test_the_pseudonymous_id_is_stable_and_not_the_id():
    assert pseudonymous_id(42) == pseudonymous_id(42)
    assert pseudonymous_id(42) != pseudonymous_id(43)
    assert len(pseudonymous_id(42)) == 20 and int(pseudonymous_id(42), 16) != 42


def test_one_small_count_beside_a_total_takes_another_with_it():
    from reporting.exports import Suppressor

    commissioner = Suppressor(on=True, threshold=5)
    # 7 referrals: 5 from GPs and 2 self-referrals. Hiding only the 2 would leave 7 - 5 = 2 for anyone to work out.
    assert commissioner.table([[5, 0, 2]])[0] == [["suppressed", 0, "<5"]]
    assert commissioner.table([[9, 3, 2]])[0] == [[9, "<5", "<5"]]  # two hidden already: neither can be worked out
    assert Suppressor(on=False, threshold=5).table([[5, 0, 2]])[0] == [[5, 0, 2]]


def test_a_lone_small_count_in_a_column_takes_another_with_it():
    from reporting.exports import Suppressor

    # Months by source (GP, self): self-referrals 3 in January, 0 in February, 6 in March. The
    # self-referral total (9) is published too, so hiding only January's 3 would leave 9 - 6.
    cells, months, sources, total = Suppressor(on=True, threshold=5).table([[10, 3], [8, 0], [7, 6]])
    assert cells == [["suppressed", "<5"], [8, 0], ["suppressed", "suppressed"]]
    assert (months, sources, total) == ([13, 8, 13], [25, 9], 34)
    assert Suppressor(on=False, threshold=5).table([[10, 3], [8, 0]]) == ([[10, 3], [8, 0]], [13, 8], [18, 3], 21)


def test_no_hidden_count_can_be_worked_out_from_its_row_or_column():
    import random

    from reporting.exports import Suppressor

    rng = random.Random(7)
    commissioner = Suppressor(on=True, threshold=5)
    for _ in range(300):
        values = [[rng.choice([0, 0, 1, 2, 4, 5, 6, 9, 20]) for _ in range(3)] for _ in range(rng.randint(1, 5))]
        cells, row_totals, column_totals, total = commissioner.table(values)
        flat = [(value, cell) for row, cell_row in zip(values, cells) for value, cell in zip(row, cell_row)]
        assert all(isinstance(cell, str) for value, cell in flat if 0 < value < 5), values
        assert all(cell == value for value, cell in flat if not isinstance(cell, str)), values
        lines = [[*row, margin] for row, margin in zip(cells, row_totals)]
        lines += [[*[row[j] for row in cells], column_totals[j]] for j in range(3)]
        lines += [[*column_totals, total], [*row_totals, total]]
        for line in lines:
            assert sum(isinstance(cell, str) for cell in line) != 1, (values, cells, line)


def test_a_districts_small_demand_is_not_given_away_by_the_needs_total():
    from reporting.exports import Suppressor, report_tables
    from reporting.figures import Report
    from reporting.gaps import AreaNeed
    from reporting.scope import ReportFilter

    report = Report(filters=ReportFilter(start=date(2026, 1, 1), end=date(2026, 3, 31)),
                    by_need=[("Loneliness and isolation", 8), ("Money and debt", 12)])
    gaps = [AreaNeed("BH15", "Loneliness and isolation", 6, 0, 1, 50.7, -1.98, True),
            AreaNeed("BH12", "Loneliness and isolation", 2, 0, 1, 50.73, -1.93, False),
            AreaNeed("BH15", "Money and debt", 12, 3, 0, 50.7, -1.98, False)]
    tables = report_tables(report, gaps, suppress=Suppressor(on=True, threshold=5))
    # 8 - 6 would give BH12's 2 away: BH15's 6 is hidden with it.
    assert [row[2] for row in tables["gaps"].rows] == ["suppressed", "<5", 12]
    assert tables["by_need"].rows == [["Loneliness and isolation", 8], ["Money and debt", 12]]
    staff = report_tables(report, gaps, suppress=Suppressor(on=False, threshold=5))
    assert [row[2] for row in staff["gaps"].rows] == [6, 2, 12]


def test_hidden_demand_does_not_decide_the_order_of_the_gaps():
    from reporting.exports import Suppressor, gaps_as_shown
    from reporting.figures import Report
    from reporting.gaps import AreaNeed
    from reporting.scope import ReportFilter

    report = Report(filters=ReportFilter(start=date(2026, 1, 1), end=date(2026, 3, 31)), by_need=[("Food", 26)])
    # As gaps_in_provision orders them: by demand.
    gaps = [AreaNeed("BH1", "Food", 20, 0, 0, 50.7, -1.9, True), AreaNeed("BH9", "Food", 4, 2, 0, 50.7, -1.9, False),
            AreaNeed("BH2", "Food", 2, 2, 0, 50.7, -1.9, False)]
    shown = gaps_as_shown(report, gaps, Suppressor(on=True, threshold=5))
    # BH9 (4) before BH2 (2) would say which "<5" is larger: hidden counts rank the same.
    assert [row.district for row in shown] == ["BH1", "BH2", "BH9"]
    assert gaps_as_shown(report, gaps, Suppressor(on=False, threshold=5)) == gaps
