"""Reports by GP practice and primary care network: the dashboard's figures, one row per practice.

The figures are the dashboard's (``reporting.figures``), counted for each practice instead of
for the whole service, over the same referrals (those the reader may report on) and the same
period and filters:

- referrals received in the period, by where they came from (primary care, self-referral,
  another professional); declined as not eligible or redirected to another service at triage
  (by the end of the period);
- people with at least one first session booked, and who attended at least one, by the end of
  the period (the funnel's last two steps, per person); attendance as a share of those referred
  (the headline compared with the target);
- people discharged in the period (whenever they were referred), by the reason recorded.

A person counts under the practice on their record (``Resident.practice``), and a practice under
its primary care network (``GpPractice.pcn``; a PCN is its own record, not a reporting area).
Referrals of people with no practice chosen from the list (including a practice written in that
matched none on it) count as "No practice recorded"; of people who said they are not registered
with a GP, as "Not registered with a GP"; so the rows add up to the whole service's figures.
The practices of the primary care networks the reader's services cover are listed even with no
referrals (a practice that never refers is worth seeing).

Three grouped queries, whatever the number of practices: the cohort by practice and source, its
connections by practice, and the discharged by practice and reason; then one for the practices.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace

from django.db.models import Count, Q, QuerySet

from primarycare.models import GpPractice, PrimaryCareNetwork
from referrals import selectors
from referrals.choices import DischargeReason, Source
from reporting.exports import Suppressor, Table
from reporting.scope import ReportFilter

# The rows that are not a practice, and the group of practices not in a network.
NO_PCN = ("no_pcn",)
NO_PRACTICE = ("no_practice",)
NO_GP = ("no_gp",)
ALL = ("all",)
GROUP_NAMES = {
    NO_PCN: "Practices not in a primary care network",
    NO_PRACTICE: "No practice recorded",
    NO_GP: "Not registered with a GP",
}

# The referral figures, in the order of the table's columns; each adds up across practices.
SOURCES = {Source.PRIMARY_CARE: "primary_care", Source.SELF: "self", Source.OTHER_PROFESSIONAL: "other_professional"}
REFERRAL_MEASURES = [
    ("received", "Referrals received"),
    ("primary_care", "From primary care"),
    ("self", "Self-referrals"),
    ("other_professional", "From other professionals"),
    ("not_eligible", "Not eligible at triage"),
    ("redirected", "Redirected at triage"),
    ("booked", "First session booked (people)"),
    ("attended", "Attended a first session (people)"),
]
ATTENDANCE_SHARE = "Attended (% of referred)"
DISCHARGE_MEASURES = [*[(value, label) for value, label in DischargeReason.choices], ("discharged", "All discharged")]

TITLES = {
    # Short enough to be the spreadsheet's sheet names (31 characters at most).
    "pcn_referrals": "Referrals by PCN",
    "pcn_discharges": "Discharges by PCN",
    "practice_referrals": "Referrals by GP practice",
    "practice_discharges": "Discharges by GP practice",
}


def definitions() -> dict[str, str]:
    """Each table's figures in words: on the page, and beneath each table in the exports."""
    referrals = (
        "Referrals received in the period, by where they came from, and how many of them had, by its end, been "
        "declined at triage as not eligible or redirected to another service. First session booked and attended "
        "count people (as the dashboard's funnel does): someone counts once if at least one of their first sessions "
        "was booked, or attended. Attendance is of everyone referred, as the target is."
    )
    discharges = "People discharged in the period (whenever they were referred), by the reason recorded at discharge."
    rows = (
        " A person counts under the practice on their record; \"No practice recorded\" is people with no practice "
        "chosen from the list (some have one written in that matches none on it)."
    )
    return {
        "pcn_referrals": referrals + rows, "practice_referrals": referrals + rows,
        "pcn_discharges": discharges + rows, "practice_discharges": discharges + rows,
    }


@dataclass(frozen=True)
class Unit:
    """A row of the report: a practice, or the people with no practice recorded, or with no GP."""

    key: tuple
    name: str
    ods_code: str = ""


@dataclass
class Network:
    """A primary care network and its practices (or a group standing for one: see ``GROUP_NAMES``)."""

    key: tuple
    name: str
    ods_code: str = ""
    units: list[Unit] = field(default_factory=list)

    @property
    def is_pcn(self) -> bool:
        return self.key[0] == "pcn"

    @property
    def has_practices(self) -> bool:
        """Whether its rows are practices (a network, or the practices in none), not a stand-in row."""
        return self.key not in (NO_PRACTICE, NO_GP)


@dataclass
class PracticeReport:
    filters: ReportFilter
    networks: list[Network] = field(default_factory=list)
    # Counts per unit key: the measures of REFERRAL_MEASURES, and discharges by reason.
    referrals: dict[tuple, Counter] = field(default_factory=dict)
    discharges: dict[tuple, Counter] = field(default_factory=dict)

    def referral_counts(self, key: tuple) -> Counter:
        return self._sum(self.referrals, key)

    def discharge_counts(self, key: tuple) -> Counter:
        return self._sum(self.discharges, key)

    def _sum(self, counts: dict[tuple, Counter], key: tuple) -> Counter:
        """A unit's counts, a network's (its units'), or the whole report's (``ALL``)."""
        if key == ALL:
            units = [unit.key for network in self.networks for unit in network.units]
        else:
            network = next((network for network in self.networks if network.key == key), None)
            units = [unit.key for unit in network.units] if network else [key]
        total: Counter = Counter()
        for unit in units:
            total.update(counts.get(unit, Counter()))
        return total


def _unit_key(practice_id: int | None, has_no_gp: bool) -> tuple:
    if practice_id:
        return ("practice", practice_id)
    return NO_GP if has_no_gp else NO_PRACTICE


def build_practice_report(*, referrals: QuerySet, filters: ReportFilter, connections: QuerySet | None = None,
                          covered_pcns: QuerySet | None = None) -> PracticeReport:
    """The figures for ``filters`` over ``referrals`` (already scoped to what the reader may see), by practice.

    ``connections`` are those the reader's reports count (``permissions.reportable_connections``);
    ``covered_pcns`` the networks whose practices are listed even without referrals."""
    end = filters.ends_before
    report = PracticeReport(filters=filters)
    cohort = filters.apply(referrals)
    base = selectors.referrals_among(cohort) if cohort.query.distinct else cohort
    practice, no_gp = "resident__practice_id", "resident__has_no_gp"

    counts: dict[tuple, Counter] = {}
    for row in (
        base.values(practice, no_gp, "source").order_by().annotate(
            n=Count("pk"),
            not_eligible=Count("pk", filter=Q(not_eligible_at__lt=end)),
            redirected=Count("pk", filter=Q(redirected_at__lt=end)),
        )
    ):
        unit = counts.setdefault(_unit_key(row[practice], row[no_gp]), Counter())
        unit["received"] += row["n"]
        unit[SOURCES.get(row["source"], "other_professional")] += row["n"]
        unit["not_eligible"] += row["not_eligible"]
        unit["redirected"] += row["redirected"]

    # The funnel's people with a first session booked and attended, by the end of the period.
    counted = filters.counted_connections(selectors.connections_of(base.values("pk"), connections))
    by_referral = "referral__" + practice, "referral__" + no_gp
    for row in counted.values(*by_referral).order_by().annotate(
        booked=Count("referral_id", distinct=True, filter=Q(first_session_booked_at__lt=end)),
        attended=Count("referral_id", distinct=True, filter=Q(attended_at__lt=end)),
    ):
        unit = counts.setdefault(_unit_key(row[by_referral[0]], row[by_referral[1]]), Counter())
        unit["booked"] += row["booked"]
        unit["attended"] += row["attended"]
    report.referrals = counts

    discharged = filters.apply_discharged(referrals)
    discharged = selectors.referrals_among(discharged) if discharged.query.distinct else discharged
    reasons = dict(DischargeReason.choices)
    by_reason: dict[tuple, Counter] = {}
    for row in discharged.values(practice, no_gp, "discharge_reason").order_by().annotate(n=Count("pk")):
        unit = by_reason.setdefault(_unit_key(row[practice], row[no_gp]), Counter())
        unit[row["discharge_reason"] if row["discharge_reason"] in reasons else DischargeReason.OTHER] += row["n"]
        unit["discharged"] += row["n"]
    report.discharges = by_reason

    practice_ids = {key[1] for key in (*counts, *by_reason) if key[0] == "practice"}
    listed = Q(pk__in=practice_ids)
    if covered_pcns is not None:
        listed |= Q(pcn__in=covered_pcns.values("pk"), is_open=True)
    report.networks = _networks(GpPractice.objects.filter(listed).select_related("pcn"))
    return report


def _networks(practices) -> list[Network]:
    """The networks (by name) with their practices (by name), then the practices in none, then the two stand-in rows."""
    networks: dict[tuple, Network] = {}
    for practice in practices:
        pcn = practice.pcn
        key = ("pcn", pcn.pk) if pcn else NO_PCN
        if key not in networks:
            networks[key] = Network(key, pcn.name if pcn else GROUP_NAMES[NO_PCN], pcn.ods_code if pcn else "")
        networks[key].units.append(Unit(("practice", practice.pk), practice.name, practice.ods_code))
    ordered = sorted((n for n in networks.values() if n.is_pcn), key=lambda n: (n.name.lower(), n.ods_code))
    if NO_PCN in networks:
        ordered.append(networks[NO_PCN])
    for network in ordered:
        network.units.sort(key=lambda unit: (unit.name.lower(), unit.ods_code))
    for key in (NO_PRACTICE, NO_GP):
        ordered.append(Network(key, GROUP_NAMES[key], units=[Unit(key, GROUP_NAMES[key])]))
    return ordered


def covered_networks(*, service_ids, everyone: bool = False) -> QuerySet:
    """The primary care networks the services with ``service_ids`` cover (all services' for ``everyone``)."""
    if everyone:
        return PrimaryCareNetwork.objects.filter(services__isnull=False).distinct()
    return PrimaryCareNetwork.objects.filter(services__in=list(service_ids)).distinct()


# As the reader may see them ------------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """The report's cells as the reader may see them: each count keyed (row key, measure), suppressed
    for a commissioner so that none hidden can be worked out from its practice's row, its network's
    column or the whole report's."""

    referrals: dict
    discharges: dict


def _protected(report: PracticeReport, measures: list[str], count, parts: list[str], total: str,
               suppress: Suppressor) -> dict:
    """Counts of every row (practices, networks and ``ALL``) for ``measures``, hidden together.

    Lines that add up: a network's practices to the network, the networks to ``ALL`` (for each
    measure), and within each row ``parts`` to ``total``."""
    practice_rows = [unit.key for network in report.networks if network.has_practices for unit in network.units]
    network_rows = [network.key for network in report.networks]
    rows = [*practice_rows, *network_rows, ALL]
    values = {}
    for row in rows:
        figures = count(row)
        values |= {(row, measure): figures.get(measure, 0) for measure in measures}
    lines = []
    for measure in measures:
        for network in report.networks:
            if network.has_practices:
                lines.append([*[(unit.key, measure) for unit in network.units], (network.key, measure)])
        lines.append([*[(key, measure) for key in network_rows], (ALL, measure)])
    for row in rows:
        lines.append([*[(row, part) for part in parts], (row, total)])
    margins = frozenset(
        key for key in values if key[0] in (*network_rows, ALL) or key[1] == total
    )
    return suppress.cells(values, lines, margins=margins)


def shown(report: PracticeReport, suppress: Suppressor) -> Shown:
    referral_measures = [measure for measure, _label in REFERRAL_MEASURES]
    discharge_measures = [measure for measure, _label in DISCHARGE_MEASURES]
    return Shown(
        referrals=_protected(report, referral_measures, report.referral_counts, list(SOURCES.values()), "received",
                             suppress),
        discharges=_protected(report, discharge_measures, report.discharge_counts, discharge_measures[:-1],
                              "discharged", suppress),
    )


def _attendance(cells: dict, counts: Counter, key: tuple, suppress: Suppressor):
    """The share attending, of those referred: hidden when a count it rests on is hidden so that
    another cannot be worked out, or when those referred are hidden; a small count of those
    attending, of a published base, says as much as its "<5" does ("under 20%"): never "<5" itself
    in the share's column."""
    attended, received = cells[(key, "attended")], cells[(key, "received")]
    if attended == "suppressed" or isinstance(received, str):
        return "suppressed"
    return suppress.percent(counts["attended"], counts["received"])


def referral_row(report: PracticeReport, cells: Shown, key: tuple, suppress: Suppressor) -> list:
    """The referral figures of one row (a practice, a network or ``ALL``), as shown."""
    return [*[cells.referrals[(key, measure)] for measure, _label in REFERRAL_MEASURES],
            _attendance(cells.referrals, report.referral_counts(key), key, suppress)]


def discharge_row(cells: Shown, key: tuple) -> list:
    return [cells.discharges[(key, measure)] for measure, _label in DISCHARGE_MEASURES]


REFERRAL_COLUMNS = [label for _measure, label in REFERRAL_MEASURES] + [ATTENDANCE_SHARE]
DISCHARGE_COLUMNS = [label for _measure, label in DISCHARGE_MEASURES]
ALL_ROW = "All referrals"
ALL_DISCHARGED_ROW = "All discharged"


def practice_tables(report: PracticeReport, suppress: Suppressor, cells: Shown | None = None) -> dict[str, Table]:
    """The four tables of the exports: by network (with the whole report's total), and by practice
    (each practice under its network, with the stand-in rows so the practice tables add up too)."""
    cells = cells or shown(report, suppress)
    words = definitions()

    def network_rows(row):
        return [[network.name, network.ods_code, *row(network.key)] for network in report.networks]

    def practice_rows(row):
        return [
            [network.name, unit.name, unit.ods_code, *row(unit.key)]
            for network in report.networks for unit in network.units
        ]

    def referrals(key):
        return referral_row(report, cells, key, suppress)

    def discharges(key):
        return discharge_row(cells, key)

    tables = {
        "pcn_referrals": Table(
            "pcn_referrals", TITLES["pcn_referrals"], ["Primary care network", "ODS code", *REFERRAL_COLUMNS],
            [*network_rows(referrals), [ALL_ROW, "", *referrals(ALL)]],
        ),
        "pcn_discharges": Table(
            "pcn_discharges", TITLES["pcn_discharges"], ["Primary care network", "ODS code", *DISCHARGE_COLUMNS],
            [*network_rows(discharges), [ALL_DISCHARGED_ROW, "", *discharges(ALL)]],
        ),
        "practice_referrals": Table(
            "practice_referrals", TITLES["practice_referrals"],
            ["Primary care network", "GP practice", "ODS code", *REFERRAL_COLUMNS],
            [*practice_rows(referrals), [ALL_ROW, "", "", *referrals(ALL)]],
        ),
        "practice_discharges": Table(
            "practice_discharges", TITLES["practice_discharges"],
            ["Primary care network", "GP practice", "ODS code", *DISCHARGE_COLUMNS],
            [*practice_rows(discharges), [ALL_DISCHARGED_ROW, "", "", *discharges(ALL)]],
        ),
    }
    return {key: replace(table, definition=words[key]) for key, table in tables.items()}


def network_tables(report: PracticeReport, suppress: Suppressor,
                   cells: Shown | None = None) -> list[tuple[Network, Table, Table]]:
    """For the page: each network with practices, its practices' referral and discharge tables, each
    ending with the network's own row (the figures the practices add up to)."""
    cells = cells or shown(report, suppress)
    tables = []
    for index, network in enumerate(n for n in report.networks if n.has_practices):
        total = f"All practices in {network.name}" if network.is_pcn else "All practices not in a network"
        whose = f"{network.name}'s practices" if network.is_pcn else network.name.lower()
        tables.append((
            network,
            Table(f"practices-{index}-referrals", f"Referrals and first sessions, {whose}",
                  ["GP practice", "ODS code", *REFERRAL_COLUMNS],
                  [*[[unit.name, unit.ods_code, *referral_row(report, cells, unit.key, suppress)]
                     for unit in network.units],
                   [total, network.ods_code, *referral_row(report, cells, network.key, suppress)]]),
            Table(f"practices-{index}-discharges", f"Discharge reasons, {whose}",
                  ["GP practice", "ODS code", *DISCHARGE_COLUMNS],
                  [*[[unit.name, unit.ods_code, *discharge_row(cells, unit.key)] for unit in network.units],
                   [total, network.ods_code, *discharge_row(cells, network.key)]]),
        ))
    return tables
