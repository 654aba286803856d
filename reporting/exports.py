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
from dataclasses import dataclass, field, replace
from datetime import date, datetime

import xlsxwriter
from django.conf import settings
from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from referrals import selectors
from referrals.choices import ConnectionKind, DischargeReason, GoalStatus, ReferralStatus, Source
from reporting.figures import CASELOAD_GUIDE, FULL_TIME_HOURS, GOAL_OUTCOMES, Report, top_level_needs
from reporting.gaps import AreaNeed
from reporting.sql import EpochMillis, local_day
from reporting.suppression import protect, suppressed_count, suppressed_share

SECTIONS = {
    "by_month": "Referrals by month",
    "by_source": "Referrals by source",
    "by_need": "Referrals by need",
    "funnel": "From referral to attending",
    "triage": "Triage's answers",
    "attendance": "First-session attendance",
    "connections": "Connections",
    "connections_per_person": "Connections per person",
    "times": "Times and attendance",
    "care_plans": "Discharge and care plans",
    "discharge_reasons": "Discharge reasons",
    "weeks_to_discharge": "Weeks to discharge",
    "contacts_per_person": "Contacts per discharged person",
    "goals": "Goals achieved",
    "caseload": "Caseload per full-time worker",
    "wellbeing": "Wellbeing (ONS4) change",
    "wellbeing_by_need": "Wellbeing (ONS4) change by need",
    "gaps": "Gaps in provision",
}
# The service's casework: not in a provider's report (like the link worker filter, it is the service's business).
CASEWORK_SECTIONS = frozenset({"triage", "care_plans", "discharge_reasons", "weeks_to_discharge", "contacts_per_person", "goals",
                               "caseload"})


def sections_for(report: Report) -> dict[str, str]:
    """The sections this report has (a provider's has no casework sections)."""
    return {key: title for key, title in SECTIONS.items() if report.casework or key not in CASEWORK_SECTIONS}


def definitions() -> dict[str, str]:
    """Each section's figures defined in words: on the page under its heading, and in every export beneath its table."""
    low, high = CASELOAD_GUIDE
    return {
        "triage": "People referred in the period, by triage's answer by its end: accepted (triaged and allocated "
                  "to a link worker), redirected to another service, or declined as not eligible (with the reason). "
                  "They all count as referred. A referral handed over to another service that uses Signpost counts "
                  "there too, as a new referral when it arrives.",
        "funnel": "People referred in the period, and how many had taken each step by its end. A person counts once "
                  "at each step however many activities or services they were connected to.",
        "attendance": "Whether people went on to attend, counted two ways. Per person: people who attended the first "
                      "session of at least one activity, out of everyone referred (the headline, compared with the "
                      "target) and out of those connected to at least one activity. Per connection: first sessions "
                      "attended, out of all connections to activities. The headline is per person because the "
                      "target is about people going on to attend: someone connected to three activities who went "
                      "to one has engaged, and counting per connection would let one person's several activities "
                      "(or several missed ones) move the figure.",
        "connections": "The activities and services the people referred in the period were connected to by its end, "
                       "by what had come of them. Activities in the directory go to their provider; services outside "
                       "it (such as Citizens Advice) are signposts.",
        "connections_per_person": "People referred in the period, by how many activities and services they had been "
                                  "connected to by its end.",
        "times": "Medians of those who took each step by the end of the period. The provider's response and "
                 "did-not-attend are counted per connection.",
        "care_plans": "People discharged in the period (whenever they were referred). Weeks from referral to "
                      "discharge and contacts held are medians over everyone discharged; the share with a "
                      "personalised care and support plan is of those discharged after first contact (a plan had "
                      "been started before discharge).",
        "discharge_reasons": "People discharged in the period, by the reason recorded at discharge.",
        "weeks_to_discharge": "People discharged in the period, by the whole weeks from receiving their referral to "
                              "discharge (4 to 7 weeks is at least 4 and under 8). The specifications expect about "
                              "12 weeks of support.",
        "contacts_per_person": "People discharged in the period, by how many contacts were held with them (face to "
                               "face, phone, video, home visit, group or accompanied visit; not those they missed or "
                               "that could not reach them). The specifications expect 1 to 3 (Halton) or 6 to 12 "
                               "(Dorset).",
        "goals": "The goals on the care and support plans of people discharged in the period, by their status at "
                 "discharge. Achieved, partly achieved and not achieved are shares of the goals with an outcome.",
        "caseload": f"Each link worker's new allocations (referrals triaged to them in the period, counted under "
                    f"their current link worker), at that rate for a year, and for a full-time worker (their "
                    f"contracted hours a week over {FULL_TIME_HOURS}). The service's is every allocation over all its "
                    f"link workers' full-time equivalents. The guide is {low} to {high} people a year for a full-time "
                    f"link worker. Not narrowed by area, need, source or provider: a caseload is the whole of a link "
                    f"worker's work.",
    }


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    note: str = ""
    definition: str = ""


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

    def cells(self, values: dict, lines: list[list], margins: frozenset = frozenset()) -> dict:
        """Counts keyed by anything, suppressed so that none hidden can be worked out from its line
        (``suppression.protect``); exact for a reader who sees exact counts."""
        return protect(values, lines, threshold=self.threshold, margins=margins) if self.on else dict(values)

    def share_of(self, cell, part: int, whole: int) -> float | str | None:
        """A count's share, as shown beside the count: a small count's share says no more than
        the count does (``suppressed_share``); a count hidden so that another cannot be worked
        out ("suppressed") hides its share too. Never the count's "<5" in a share's column."""
        if cell == "suppressed":
            return cell
        return self.percent(part, whole)

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
        [[s.label, cell, suppress.share_of(cell, report.by_source.get(s.value, 0), report.referred)]
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
    tables["triage"] = Table(
        "triage", SECTIONS["triage"], ["Answer", "People", "Share of those referred (%)"],
        [[label, suppress.count(count), suppress.percent(count, report.referred)] for label, count in report.triage_answers],
    )
    connections = _connection_cells(report, suppress)
    attended_people = suppress.count(report.attended)
    tables["attendance"] = Table(
        "attendance", SECTIONS["attendance"], ["Counted", "Attended", "Out of", "Share (%)"],
        [
            ["Per person, of people referred (the headline)", attended_people, suppress.count(report.referred),
             suppress.percent(report.attended, report.referred)],
            ["Per person, of people connected to an activity", attended_people,
             suppress.count(report.people_with_activity), suppress.percent(report.attended, report.people_with_activity)],
            ["Per connection, of connections to activities", connections["attended"], connections["activities"],
             suppress.share_of(connections["attended"], report.connections.attended, report.connections.activities)],
        ],
        note=f"Target: at least {report.attendance_target * 100:.0f}% of people referred go on to attend (per person).",
    )
    tables["connections"] = Table(
        "connections", SECTIONS["connections"], ["What happened", "Connections"],
        [[label, connections[key]] for key, label in CONNECTION_ROWS],
    )
    tables["connections_per_person"] = _distribution_table(
        "connections_per_person", ["Connections", "People", "Share of people referred (%)"],
        report.connections_per_person, "All people referred", suppress,
    )
    within_days = settings.SIGNPOST_REFERRALS["CONTACT_WITHIN_WORKING_DAYS"]
    booked = report.funnel[3].count if len(report.funnel) > 3 else 0
    tables["times"] = Table(
        "times", SECTIONS["times"], ["Measure", "Value", "Based on"],
        [
            ["Median hours from referral to first contact",
             suppress.based_on(report.median_hours_to_contact, report.contacted), suppress.count(report.contacted)],
            [f"Contacted within {within_days} working days (%)",
             suppress.percent(report.contacted_within_target, report.contacted), suppress.count(report.contacted)],
            ["Median days from referral to first session",
             suppress.based_on(report.median_days_to_first_session, booked), suppress.count(booked)],
            ["Median hours for the provider to respond (per connection)",
             suppress.based_on(report.median_hours_to_provider_response, report.provider_responses),
             suppress.count(report.provider_responses)],
            ["Did not attend their first session (% of connections)",
             suppress.share_of(connections["did_not_attend"], report.did_not_attend, report.attendance_recorded),
             connections["recorded"]],
            ["Attended a community activity (% of people referred)", suppress.percent(report.attended, report.referred),
             suppress.count(report.referred)],
        ],
        note="Based on: people, except where a measure is per connection.",
    )
    if report.casework:
        tables.update(_casework_tables(report, suppress))
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
    for key, text in definitions().items():
        if key in tables:
            tables[key] = replace(tables[key], definition=text)
    return tables


CONNECTION_ROWS = [
    ("made", "Connections made"), ("activities", "To activities in the directory"),
    ("signposts", "Signposts to other services"), ("sent", "Sent to a provider"),
    ("declined_by_provider", "Declined by the provider"), ("booked", "First session booked"),
    ("attended", "First session attended"), ("did_not_attend", "Did not attend the first session"),
    ("cancelled", "First session cancelled"), ("withdrawn", "Withdrawn"), ("took_up", "Signposts taken up"),
    ("did_not_take_up", "Signposts not taken up"),
]


def _connection_cells(report: Report, suppress: Suppressor) -> dict:
    """The connection counts as shown: activities and signposts add up to those made, and attended
    and did not attend to those recorded (the did-not-attend rate's base), so a lone hidden count in
    either takes another with it."""
    values = {key: getattr(report.connections, key) for key, _label in CONNECTION_ROWS}
    values["recorded"] = report.attendance_recorded
    lines = [["activities", "signposts", "made"], ["attended", "did_not_attend", "recorded"]]
    return suppress.cells(values, lines, margins=frozenset({"made", "recorded"}))


def _distribution_table(key: str, columns: list[str], bands: list[tuple[str, int]], total_label: str,
                        suppress: Suppressor, *, title: str | None = None) -> Table:
    """People in bands, with their total: hidden together so no band can be worked out from the total."""
    values = {index: count for index, (_label, count) in enumerate(bands)}
    values["total"] = total = sum(values.values())
    cells = suppress.cells(values, [[*range(len(bands)), "total"]], margins=frozenset({"total"}))
    rows = [[label, cells[index], suppress.share_of(cells[index], count, total)]
            for index, (label, count) in enumerate(bands)]
    rows.append([total_label, cells["total"], suppress.share_of(cells["total"], total, total)])
    return Table(key, title or SECTIONS[key], columns, rows)


def _casework_tables(report: Report, suppress: Suppressor) -> dict[str, Table]:
    tables = {}
    tables["care_plans"] = Table(
        "care_plans", SECTIONS["care_plans"], ["Measure", "Value", "Based on (people)"],
        [
            ["People discharged", suppress.count(report.discharged), None],
            ["Median weeks from referral to discharge",
             suppress.based_on(report.median_weeks_to_discharge, report.discharged), suppress.count(report.discharged)],
            ["Median contacts held per person",
             suppress.based_on(report.median_held_contacts, report.discharged), suppress.count(report.discharged)],
            ["Discharged after first contact", suppress.count(report.discharged_after_contact), None],
            ["With a care and support plan (%)", suppress.percent(report.with_plan, report.discharged_after_contact),
             suppress.count(report.discharged_after_contact)],
        ],
    )
    tables["discharge_reasons"] = _distribution_table(
        "discharge_reasons", ["Reason", "People", "Share of those discharged (%)"], report.discharge_reasons,
        "All discharged", suppress,
    )
    tables["weeks_to_discharge"] = _distribution_table(
        "weeks_to_discharge", ["Weeks from referral to discharge", "People", "Share of those discharged (%)"],
        report.weeks_to_discharge, "All discharged", suppress,
    )
    tables["contacts_per_person"] = _distribution_table(
        "contacts_per_person", ["Contacts held", "People", "Share of those discharged (%)"], report.held_contacts,
        "All discharged", suppress,
    )
    tables["goals"] = _goals_table(report, suppress)
    tables["caseload"] = _caseload_table(report, suppress)
    return tables


def _goals_table(report: Report, suppress: Suppressor) -> Table:
    """Goals by status: the three outcomes add up to those with an outcome, and those with the
    rest to all goals; each line is protected."""
    values = {status: 0 for status in GoalStatus} | {status: count for status, _label, count in report.goals}
    labels = {status: status.label for status in GoalStatus}
    values["outcome"] = with_outcome = report.goals_with_outcome
    values["all"] = sum(count for _status, _label, count in report.goals)
    others = [status for status in values if status not in (*GOAL_OUTCOMES, "outcome", "all")]
    lines = [[*GOAL_OUTCOMES, "outcome"], ["outcome", *others, "all"]]
    cells = suppress.cells(values, lines, margins=frozenset({"outcome", "all"}))
    rows = [[labels[status], cells[status], suppress.share_of(cells[status], values[status], with_outcome)]
            for status in GOAL_OUTCOMES]
    rows.append(["With an outcome", cells["outcome"], suppress.share_of(cells["outcome"], with_outcome, with_outcome)])
    rows += [[labels[status], cells[status], None] for status in others]
    rows.append(["All goals", cells["all"], None])
    return Table("goals", SECTIONS["goals"], ["Goal status", "Goals", "Share of goals with an outcome (%)"], rows,
                 note="Not started and in progress: still open at discharge.")


GUIDE_WORDS = {"above": "Above the guide", "below": "Below the guide", "within": "Within the guide"}


def _caseload_table(report: Report, suppress: Suppressor) -> Table:
    """Each link worker's row and the service's: allocations hidden so none can be worked out from the
    service's total, and a hidden count hides the figures worked out from it."""
    low, high = CASELOAD_GUIDE
    rows_in = [*report.caseload, *([report.caseload_service] if report.caseload_service else [])]
    values = {index: row.allocations for index, row in enumerate(rows_in)}
    service = len(rows_in) - 1
    cells = suppress.cells(values, [list(range(len(rows_in)))] if rows_in else [], margins=frozenset({service}))
    rows = []
    for index, row in enumerate(rows_in):
        cell = cells[index]
        hidden = isinstance(cell, str)
        if row.per_full_time_year is None:
            guide = "Hours not recorded"
        elif hidden:
            guide = "Too few to say"
        else:
            guide = GUIDE_WORDS[row.against_guide]
        rows.append([
            row.name, row.hours_per_week, cell,
            cell if hidden else round(row.per_year),
            cell if hidden else (None if row.per_full_time_year is None else round(row.per_full_time_year)),
            guide,
        ])
    return Table(
        "caseload", SECTIONS["caseload"],
        ["Link worker", "Hours a week", "New allocations", "A year at this rate", "A year, full time",
         f"Against the guide ({low} to {high})"],
        rows, note=f"Over {report.caseload_days} days of the period (up to today).",
    )


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
        if table.definition:
            writer.writerow([table.definition])
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
        for offset, text in enumerate(text for text in (table.note, table.definition) if text):
            sheet.write_row(row_number + 2 + offset, 0, [text])
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
    "Pseudonymous ID", "Received", "Source", "SNOMED CT code", "SNOMED CT term", "Needs", "Status",
    "Discharge reason", "Triaged", "Contacted", "Declined", "Discharged",
    "Connections", "Activities", "Signposts", "First activity chosen", "First sent to a provider",
    "First provider response", "First session booked", "First session", "First session attended",
    "First session missed", "Postcode district", "Age band",
]
# The service's casework, left out of a provider's extract.
CASEWORK_COLUMNS = ["Contacts held", "Care plan", "Goals", "Goals achieved"]
SNOMED_TERMS = {
    "871731000000106": "Referral to social prescribing service",
    "871711000000103": "Social prescribing declined",
}
_STEP_FIELDS = ["triaged_at", "contacted_at", "declined_at", "discharged_at"]
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


def referral_extract(cohort: QuerySet, *, connections: QuerySet | None = None,
                     casework: bool = True) -> tuple[list[str], Iterable[list]]:
    """One row per referral in ``cohort`` (already filtered to the period), minus withdrawn consent.

    Its connections (those of ``connections``, the ones the reader counts: a provider's own) are
    summed up on the row: how many, and when each step first happened to any of them. With
    ``casework``, the contacts held, whether a care plan was started, and its goals."""
    tops = top_level_needs()
    included = cohort.exclude(selectors.with_referral_consent_withdrawn())
    ids = included.values("pk")
    needs_of: dict[int, set[str]] = {}
    for referral_id, need_id in selectors.referral_needs(ids).values_list("referral_id", "needterm_id"):
        needs_of.setdefault(referral_id, set()).add(tops[need_id][1])
    activity = Q(kind=ConnectionKind.ACTIVITY)
    connections_of = {
        row[0]: row[1:]
        for row in selectors.connections_of(ids, connections).values("referral_id").order_by().annotate(
            n=Count("pk"), activities=Count("pk", filter=activity), signposts=Count("pk", filter=~activity),
            chosen=Min(EpochMillis("created_at"), filter=activity), sent=Min(EpochMillis("sent_to_provider_at")),
            responded=Min(EpochMillis("provider_responded_at")), booked=Min(EpochMillis("first_session_booked_at")),
            session=Min(EpochMillis("first_session_at")), attended=Min(EpochMillis("attended_at")),
            missed=Min(EpochMillis("did_not_attend_at")),
        ).values_list("referral_id", "n", "activities", "signposts", "chosen", "sent", "responded", "booked",
                      "session", "attended", "missed")
    }
    no_connections = (0, 0, 0, *[None] * 7)
    if casework:
        held = dict(selectors.held_contacts(ids, before=timezone.now()).values("referral_id").order_by()
                    .annotate(n=Count("pk")).values_list("referral_id", "n"))
        planned = set(included.filter(selectors.with_care_plan_started(before=timezone.now()))
                      .values_list("pk", flat=True))
        goals = {row[0]: row[1:] for row in selectors.goals_of(ids).values("plan__referral_id").order_by().annotate(
            n=Count("pk"), achieved=Count("pk", filter=Q(status=GoalStatus.ACHIEVED)),
        ).values_list("plan__referral_id", "n", "achieved")}
    statuses, sources, reasons = dict(ReferralStatus.choices), dict(Source.choices), dict(DischargeReason.choices)

    def day(moment):
        return None if moment is None else local_day(moment)

    def rows():
        # Moments come back as milliseconds (see ``EpochMillis``) and become local dates through a
        # per-hour cache: a year's extract has half a million of them.
        for values in included.order_by("received_at", "pk").values_list(
            "pk", EpochMillis("received_at"), "source", "snomed_code", "status", "discharge_reason",
            *[EpochMillis(name) for name in _STEP_FIELDS], "resident__postcode", "resident__date_of_birth",
        ).iterator(chunk_size=5000):
            pk, received, source, snomed, status, reason, *steps, postcode, born = values
            received_on = local_day(received)
            counts_and_moments = connections_of.get(pk, no_connections)
            row = [
                pseudonymous_id(pk), received_on, sources.get(source, source), snomed, SNOMED_TERMS.get(snomed, ""),
                "; ".join(sorted(needs_of.get(pk, ()))), statuses.get(status, status), reasons.get(reason, ""),
                *[day(moment) for moment in steps],
                *counts_and_moments[:3], *[day(moment) for moment in counts_and_moments[3:]],
                (postcode or "").split(" ")[0].upper(), age_band(born, received_on),
            ]
            if casework:
                goal_count, achieved = goals.get(pk, (0, 0))
                row[-2:-2] = [held.get(pk, 0), "Yes" if pk in planned else "No", goal_count, achieved]
            yield row

    columns = EXTRACT_COLUMNS[:-2] + CASEWORK_COLUMNS + EXTRACT_COLUMNS[-2:] if casework else EXTRACT_COLUMNS
    return columns, rows()
