"""The report as tables (shared by the dashboard, its charts and the exports), and the files.

``report_tables`` turns a ``Report`` and its gaps into one table per section, with small
counts already suppressed when the reader is a commissioner, so the page, the charts, the
CSV and the XLSX can only ever show the same numbers. ``referral_extract`` is the
pseudonymised, SNOMED-coded row-per-referral extract: no names, contact details, NHS
numbers, full postcodes or dates of birth, and nothing for a person who withdrew their
consent to the referral (the aggregate figures still count them: they were referred).
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

import xlsxwriter
from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from referrals import selectors
from referrals.choices import DischargeReason, ReferralStatus, Source
from reporting.figures import Report, top_level_needs
from reporting.gaps import AreaNeed
from reporting.sql import EpochMillis, local_day
from reporting.suppression import protect, suppressed_count, suppressed_share

SECTIONS = {
    "by_month": "Referrals by month",
    "by_source": "Referrals by source",
    "by_need": "Referrals by need",
    "funnel": "From referral to attending",
    "times": "Times and attendance",
    "wellbeing": "Wellbeing (ONS4) change",
    "wellbeing_by_need": "Wellbeing (ONS4) change by need",
    "gaps": "Gaps in provision",
}


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    note: str = ""


@dataclass(frozen=True)
class Suppressor:
    """Counts and shares as a reader may see them: exact, or with small numbers suppressed."""

    on: bool
    threshold: int

    def count(self, value: int) -> int | str:
        return suppressed_count(value, threshold=self.threshold) if self.on else value

    def table(self, values: list[list[int]]) -> tuple[list[list], list, list, int | str]:
        """A table of counts with its row totals, column totals and grand total, all published:
        suppressed so that no hidden count can be worked out from its row or its column.
        Returns (cells, row totals, column totals, grand total)."""
        rows, columns = len(values), len(values[0]) if values else 0
        counts = {("cell", i, j): values[i][j] for i in range(rows) for j in range(columns)}
        counts |= {("row", i): sum(values[i]) for i in range(rows)}
        counts |= {("column", j): sum(values[i][j] for i in range(rows)) for j in range(columns)}
        counts[("all",)] = sum(counts[("row", i)] for i in range(rows))
        lines = [[*[("cell", i, j) for j in range(columns)], ("row", i)] for i in range(rows)]
        lines += [[*[("cell", i, j) for i in range(rows)], ("column", j)] for j in range(columns)]
        lines += [[*[("column", j) for j in range(columns)], ("all",)], [*[("row", i) for i in range(rows)], ("all",)]]
        margins = frozenset(key for key in counts if key[0] != "cell")
        cells = protect(counts, lines, threshold=self.threshold, margins=margins) if self.on else counts
        return (
            [[cells[("cell", i, j)] for j in range(columns)] for i in range(rows)],
            [cells[("row", i)] for i in range(rows)],
            [cells[("column", j)] for j in range(columns)],
            cells[("all",)],
        )

    def percent(self, part: int, whole: int) -> float | str | None:
        share = suppressed_share(part, whole, threshold=self.threshold) if self.on else (part / whole if whole else None)
        return round(share * 100, 1) if isinstance(share, float) else share

    def based_on(self, value, people: int):
        """A median or mean: hidden when it rests on fewer people than the threshold."""
        if value is None:
            return None
        if self.on and 0 < people < self.threshold:
            return "suppressed"
        return round(value, 1)


def report_tables(report: Report, gaps: list[AreaNeed], *, suppress: Suppressor) -> dict[str, Table]:
    sources = list(Source)
    tables = {}
    # Months by source, with each month's total and each source's total (the next table): hidden
    # together so that no small count can be worked out from its row or its column.
    cells, month_totals, source_totals, referred = suppress.table(
        [[counts.get(s.value, 0) for s in sources] for _month, counts in report.by_month]
    )
    tables["by_month"] = Table(
        "by_month", SECTIONS["by_month"], ["Month", *[s.label for s in sources], "Total"],
        [[month.strftime("%b %Y"), *row, total] for (month, _counts), row, total in zip(report.by_month, cells, month_totals)],
    )
    tables["by_source"] = Table(
        "by_source", SECTIONS["by_source"], ["Source", "Referrals", "Share of referrals (%)"],
        [[s.label, cell, cell if isinstance(cell, str) else suppress.percent(report.by_source.get(s.value, 0), report.referred)]
         for s, cell in zip(sources, source_totals)]
        + [["All sources", referred, suppress.percent(report.referred, report.referred)]],
    )
    need_cells, gap_cells = _needs_and_gaps(report, gaps, suppress)
    tables["by_need"] = Table(
        "by_need", SECTIONS["by_need"], ["Need", "Referrals"],
        [[need, need_cells[need]] for need, _count in report.by_need],
        note="A referral naming two needs counts under each.",
    )
    tables["funnel"] = Table(
        "funnel", SECTIONS["funnel"], ["Step", "People", "Share of those referred (%)"],
        [[step.name, suppress.count(step.count), suppress.percent(step.count, report.referred)] for step in report.funnel],
        note=f"Target: at least {report.attendance_target * 100:.0f}% of people referred go on to attend.",
    )
    within_days = settings.SIGNPOST_REFERRALS["CONTACT_WITHIN_WORKING_DAYS"]
    booked = report.funnel[3].count if len(report.funnel) > 3 else 0
    tables["times"] = Table(
        "times", SECTIONS["times"], ["Measure", "Value", "Based on (people)"],
        [
            ["Median hours from referral to first contact",
             suppress.based_on(report.median_hours_to_contact, report.contacted), suppress.count(report.contacted)],
            [f"Contacted within {within_days} working days (%)",
             suppress.percent(report.contacted_within_target, report.contacted), suppress.count(report.contacted)],
            ["Median days from referral to first session",
             suppress.based_on(report.median_days_to_first_session, booked), suppress.count(booked)],
            ["Median hours for the provider to respond",
             suppress.based_on(report.median_hours_to_provider_response, report.provider_responses),
             suppress.count(report.provider_responses)],
            ["Did not attend their first session (%)",
             suppress.percent(report.did_not_attend, report.attendance_recorded), suppress.count(report.attendance_recorded)],
            ["Attended a community activity (%)", suppress.percent(report.attended, report.referred),
             suppress.count(report.referred)],
        ],
    )
    tables["wellbeing"] = Table(
        "wellbeing", SECTIONS["wellbeing"],
        ["Measure", "People", "First conversation (mean)", "Review (mean)", "Change (mean)"],
        [_wellbeing_row(change, suppress) for change in report.wellbeing],
        note="Each 0 to 10. People with answers at both the first conversation and review. For anxiety, a fall is an improvement.",
    )
    tables["wellbeing_by_need"] = Table(
        "wellbeing_by_need", SECTIONS["wellbeing_by_need"],
        ["Need", "Measure", "People", "First conversation (mean)", "Review (mean)", "Change (mean)"],
        [[need, *_wellbeing_row(change, suppress)] for need, changes in report.wellbeing_by_need.items() for change in changes],
    )
    tables["gaps"] = Table(
        "gaps", SECTIONS["gaps"],
        ["Postcode district", "Need", "Demand (referrals)", "Activities nearby", "Online or by phone", "Gap"],
        [[row.district, row.need, demand, row.supply, row.remote_supply, "Yes" if row.is_gap else "No"]
         for row, demand in zip(gaps, gap_cells)],
        note=_gaps_note(),
    )
    return tables


def _needs_and_gaps(report: Report, gaps: list[AreaNeed], suppress: Suppressor) -> tuple[dict, list]:
    """Referrals by need, and demand by district and need: the districts' demand for a need adds up
    to (at most) the need's total, so a lone small count in a need's column takes another with it."""
    values = {("need", need): count for need, count in report.by_need}
    values |= {("gap", row.district, row.need): row.demand for row in gaps}
    if suppress.on:
        lines = [[*[("gap", row.district, need) for row in gaps if row.need == need], ("need", need)]
                 for need, _count in report.by_need]
        values = protect(values, lines, threshold=suppress.threshold,
                         margins=frozenset(key for key in values if key[0] == "need"))
    return {need: values[("need", need)] for need, _count in report.by_need}, [
        values[("gap", row.district, row.need)] for row in gaps
    ]


def gaps_as_shown(report: Report, gaps: list[AreaNeed], suppress: Suppressor) -> list[AreaNeed]:
    """The gaps in the order a reader may see them: ordered by exact demand, hidden counts would
    still say which is the larger, so for a suppressed reader every hidden demand ranks the same."""
    if not suppress.on:
        return gaps
    _needs, cells = _needs_and_gaps(report, gaps, suppress)
    shown = {(row.district, row.need): cell for row, cell in zip(gaps, cells)}
    return sorted(gaps, key=lambda row: (
        not row.is_gap, -(shown[(row.district, row.need)] if isinstance(shown[(row.district, row.need)], int) else 0),
        row.supply, row.district, row.need,
    ))


def _wellbeing_row(change, suppress: Suppressor) -> list:
    return [change.label, suppress.count(change.people), suppress.based_on(change.first, change.people),
            suppress.based_on(change.review, change.people), suppress.based_on(change.change, change.people)]


def _gaps_note() -> str:
    config = settings.SIGNPOST_REPORTING
    return (f"Activities nearby: open to the public, with room, within {config['GAP_DISTANCE_MILES']:g} miles. "
            f"A gap is at least {config['GAP_MIN_DEMAND']} referrals and at most {config['GAP_MAX_SUPPLY']} "
            f"activities nearby.")


# Files ------------------------------------------------------------------------------------


def _cell(value):
    """A value a spreadsheet reads as it should: numbers stay numbers, a missing figure is empty."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).date()
    return value


def heading_rows(filters_text: str, *, suppressed: bool, threshold: int) -> list[list[str]]:
    rows = [["Signpost social prescribing report"], [filters_text]]
    if suppressed:
        rows.append([f"Counts from 1 to {threshold - 1} are shown as <{threshold} to protect people's privacy; "
                     "where one could be worked out from a total, another count is hidden with it (suppressed)."])
    return rows


def tables_csv(tables: Iterable[Table], *, heading: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows(heading)
    for table in tables:
        writer.writerow([])
        writer.writerow([table.title])
        writer.writerow(table.columns)
        writer.writerows([[_cell(v) for v in row] for row in table.rows])
        if table.note:
            writer.writerow([table.note])
    return out.getvalue()


def rows_csv(columns: list[str], rows: Iterable[list]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def tables_xlsx(tables: Iterable[Table], *, heading: list[list[str]]) -> bytes:
    """One sheet per section: the period and filters on top, then the table."""
    out = io.BytesIO()
    book = _workbook(out)
    bold = book.add_format({"bold": True})
    sheets = 0
    for table in tables:
        sheet = book.add_worksheet(_sheet_name(table.title))
        sheets += 1
        for row_number, row in enumerate(heading):
            sheet.write_row(row_number, 0, row)
        row_number = len(heading) + 1
        sheet.write_row(row_number, 0, table.columns, bold)
        for row in table.rows:
            row_number += 1
            sheet.write_row(row_number, 0, [_cell(v) for v in row])
        if table.note:
            sheet.write_row(row_number + 2, 0, [table.note])
        sheet.set_column(0, 0, max(18, max((len(str(r[0])) for r in table.rows), default=0) + 2))
    if not sheets:
        book.add_worksheet("Report")
    book.close()
    return out.getvalue()


def rows_xlsx(title: str, columns: list[str], rows: Iterable[list]) -> bytes:
    out = io.BytesIO()
    # Rows go to disk as they are written: a year's extract is tens of thousands of rows.
    book = _workbook(out, constant_memory=True)
    sheet = book.add_worksheet(_sheet_name(title))
    sheet.write_row(0, 0, columns, book.add_format({"bold": True}))
    for row_number, row in enumerate(rows, start=1):
        sheet.write_row(row_number, 0, [_cell(v) for v in row])
    book.close()
    return out.getvalue()


def _workbook(out, **options):
    # Dates as spreadsheet dates (sortable, filterable), shown as ISO dates; text never turned into formulas.
    return xlsxwriter.Workbook(out, {"default_date_format": "yyyy-mm-dd", "strings_to_formulas": False,
                                     "strings_to_numbers": False, "strings_to_urls": False, **options})


def _sheet_name(title: str) -> str:
    for char in "[]:*?/\\":
        title = title.replace(char, " ")
    return title[:31]


# The pseudonymised referral extract --------------------------------------------------------

EXTRACT_COLUMNS = [
    "Pseudonymous ID", "Received", "Source", "SNOMED CT code", "SNOMED CT term", "Needs", "Status", "Outcome",
    "Triaged", "Contacted", "Activity chosen", "Sent to provider", "Provider responded", "First session booked",
    "First session", "Attended", "Did not attend", "Declined", "Closed", "Postcode district", "Age band",
]
SNOMED_TERMS = {
    "871731000000106": "Referral to social prescribing service",
    "871711000000103": "Social prescribing declined",
}
_STEP_FIELDS = [
    "triaged_at", "contacted_at", "activity_chosen_at", "sent_to_provider_at", "provider_responded_at",
    "first_session_booked_at", "first_session_at", "attended_at", "did_not_attend_at", "declined_at", "closed_at",
]
AGE_BANDS = [(0, 17, "Under 18"), (18, 24, "18-24"), (25, 34, "25-34"), (35, 44, "35-44"), (45, 54, "45-54"),
             (55, 64, "55-64"), (65, 74, "65-74"), (75, 200, "75 and over")]


def pseudonymous_id(referral_id: int) -> str:
    """Stable across extracts (so quarters can be joined) but not reversible without the secret key."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"signpost-referral:{referral_id}".encode(), hashlib.sha256)
    return digest.hexdigest()[:20]


def age_band(born: date | None, on: date) -> str:
    if born is None:
        return "Not known"
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    return next((label for low, high, label in AGE_BANDS if low <= age <= high), "Not known")


def referral_extract(cohort: QuerySet) -> tuple[list[str], Iterable[list]]:
    """One row per referral in ``cohort`` (already filtered to the period), minus withdrawn consent."""
    tops = top_level_needs()
    included = cohort.exclude(selectors.with_referral_consent_withdrawn())
    needs_of: dict[int, set[str]] = {}
    for referral_id, need_id in selectors.referral_needs(included.values("pk")).values_list("referral_id", "needterm_id"):
        needs_of.setdefault(referral_id, set()).add(tops[need_id][1])
    statuses, sources, outcomes = dict(ReferralStatus.choices), dict(Source.choices), dict(DischargeReason.choices)

    def rows():
        # Moments come back as milliseconds (see ``EpochMillis``) and become local dates through a
        # per-hour cache: a year's extract has half a million of them.
        for values in included.order_by("received_at", "pk").values_list(
            "pk", EpochMillis("received_at"), "source", "snomed_code", "status", "outcome",
            *[EpochMillis(name) for name in _STEP_FIELDS], "resident__postcode", "resident__date_of_birth",
        ).iterator(chunk_size=5000):
            pk, received, source, snomed, status, outcome, *steps, postcode, born = values
            received_on = local_day(received)
            yield [
                pseudonymous_id(pk), received_on, sources.get(source, source), snomed, SNOMED_TERMS.get(snomed, ""),
                "; ".join(sorted(needs_of.get(pk, ()))), statuses.get(status, status), outcomes.get(outcome, ""),
                *[None if moment is None else local_day(moment) for moment in steps],
                (postcode or "").split(" ")[0].upper(), age_band(born, received_on),
            ]

    return EXTRACT_COLUMNS, rows()
