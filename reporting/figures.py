"""Every figure on the commissioners' dashboard, defined once, in words and in code.

Two cohorts. Most figures are about the referrals *received* in the period (and matching the
filters); each later step counts if it had happened by the end of the period, so a closed
period's figures do not move as time passes: a referral received on 31 March and contacted on
2 April counts as referred but not contacted in the January–March return, and its contact does
not count in April's either (April's cohort is April's referrals). The figures about how
support ended (discharge reasons, weeks to discharge, contacts, plans, goals) are about the
people *discharged* in the period (matching the same filters): an episode is only complete at
discharge, and counting those received in a quarter would leave out every episode longer than
the part of the quarter left after receipt.

A person is a referral (one episode: someone referred again later counts again). A connection
is one activity or service a person was connected to; a person may have several. A provider's
report counts only the connections sent to it, as does the provider filter.

- referrals by month, source and need: the cohort, by the month it was received, where it
  came from, and each top-level need it named (a referral naming two needs counts under each).
- the funnel (people): referred, contacted, connected to at least one activity or service,
  at least one first session booked, attended at least one first session; each step's share is
  of those referred. The attendance share is the headline, compared with the target (50% in
  the specifications). It is counted per person, not per connection, because the target is
  about people going on to attend: a person connected to three activities who went to one has
  engaged, and several connections (or several missed ones) for one person must not move it.
- triage's answers: of the people referred, those accepted (triaged), redirected to another
  service and declined as not eligible (with each reason) by the end of the period. A referral
  redirected to another service that uses Signpost is handed over as a new referral there, which
  that service's figures count as received when it arrives.
- first-session attendance, per person and per connection: of people connected to at least
  one activity, the share who attended at least one first session; of connections to
  activities, the share whose first session was attended.
- connections: the connections made by the end of the period, by what came of them (sent to a
  provider, declined by the provider, first session booked, attended, did not attend,
  cancelled, withdrawn; signposts taken up or not); and people by how many connections they had
  (none, 1, 2, 3, 4 or more).
- time to first contact: the median, in hours, of those contacted; the share of those contacted
  within the target (the alerts' rule: N working days, 2 by default — the specifications' 48 hours).
- time to first session: the median, in days, from receipt to the person's earliest booked
  first session.
- provider response: the median, in hours, from a connection's (latest) sending to the
  provider's answer, per connection.
- did-not-attend rate: of connections whose first-session attendance was recorded, the share
  where the person did not attend.
- ONS4 wellbeing: for referrals with answers at both the first conversation and review (by
  the end of the period), the mean of each measure at each stage and the mean change (review
  minus first; for anxiety a fall is an improvement), overall and by top-level need.
- discharged in the period: by discharge reason; weeks from referral to discharge (median and
  in bands); contacts held with each person (median and in bands: the specifications expect
  1 to 3, or 6 to 12); of those discharged after first contact, the share who had a personalised
  care and support plan (one was started before discharge); their plans' goals by status, with
  achieved, partly achieved and not achieved as shares of the goals with an outcome.
- caseload per full-time link worker: each link worker's new allocations in the period (referrals
  triaged to them, under their current link worker), at that rate for a year (times 365 over the
  days of the period up to today), divided by their full-time equivalent (contracted hours a week
  over 37.5); the service's is all allocations over all its link workers' full-time equivalents.
  Compared with the guide of 200 to 250 people a year for a full-time link worker. A caseload is
  the whole of a link worker's work, so it is not narrowed by area, need, source or provider.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from datetime import timezone as dt_timezone
from decimal import Decimal
from functools import lru_cache

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Case, Count, F, IntegerField, Min, Q, QuerySet, Value, When
from django.db.models.functions import Greatest
from django.utils import timezone

from directory import selectors as directory
from referrals import selectors
from referrals.choices import (
    ConnectionKind,
    DischargeReason,
    GoalStatus,
    NotEligibleReason,
    Source,
    WellbeingStage,
)
from referrals.choices import ConnectionStatus as C
from referrals.working_days import LONDON, add_working_days
from reporting.scope import ReportFilter, local_midnight
from reporting.sql import (
    EpochMillis,
    bucket,
    counts_of,
    every_value,
    local_day,
    middle_of_sorted,
    middle_values,
    one_pass,
    select_over,
    top_level_need,
)
from reporting.together import run_together

MILLIS_PER_HOUR = 3_600_000
MILLIS_PER_DAY = 86_400_000
MILLIS_PER_WEEK = 7 * MILLIS_PER_DAY
ONS4 = ("life_satisfaction", "worthwhile", "happiness", "anxiety")
ONS4_LABELS = {
    "life_satisfaction": "Life satisfaction",
    "worthwhile": "Things you do are worthwhile",
    "happiness": "Happiness yesterday",
    "anxiety": "Anxiety yesterday (lower is better)",
}
# The guide for a full-time link worker (Dorset's specification): 200 to 250 people a year.
CASELOAD_GUIDE = (200, 250)
FULL_TIME_HOURS = Decimal("37.5")
# Bands, each (lowest, highest or None for no limit, label); labels are words, never a bare
# number, so a chart's labels cannot be mistaken for its figures.
CONNECTION_BANDS = [(0, 0, "No connections"), (1, 1, "1 connection"), (2, 2, "2 connections"),
                    (3, 3, "3 connections"), (4, None, "4 or more connections")]
CONTACT_BANDS = [(0, 0, "No contacts held"), (1, 1, "1 contact"), (2, 3, "2 to 3 contacts"),
                 (4, 5, "4 to 5 contacts"), (6, 12, "6 to 12 contacts"), (13, None, "13 or more contacts")]
# Whole weeks from referral to discharge: "4 to 7 weeks" is at least 4 and under 8.
WEEK_BANDS = [(0, 3, "Under 4 weeks"), (4, 7, "4 to 7 weeks"), (8, 11, "8 to 11 weeks"),
              (12, 15, "12 to 15 weeks"), (16, 25, "16 to 25 weeks"), (26, None, "26 weeks or more")]
GOAL_OUTCOMES = (GoalStatus.ACHIEVED, GoalStatus.PARTLY_ACHIEVED, GoalStatus.NOT_ACHIEVED)
GOALS_OPEN = (GoalStatus.NOT_STARTED, GoalStatus.IN_PROGRESS)


@dataclass(frozen=True)
class Step:
    name: str
    count: int
    share: float | None  # of those referred


@dataclass(frozen=True)
class WellbeingChange:
    measure: str
    label: str
    people: int
    first: float | None
    review: float | None
    change: float | None


@dataclass(frozen=True)
class ConnectionCounts:
    """Connections of the cohort, by what had happened to them by the end of the period."""

    made: int = 0
    activities: int = 0
    signposts: int = 0
    sent: int = 0
    declined_by_provider: int = 0
    booked: int = 0
    attended: int = 0
    did_not_attend: int = 0
    cancelled: int = 0
    withdrawn: int = 0
    took_up: int = 0
    did_not_take_up: int = 0


@dataclass(frozen=True)
class CaseloadRow:
    """A link worker's (or the service's) new allocations in the period, a year at that rate, per full-time worker."""

    name: str
    hours_per_week: float | None
    allocations: int
    per_year: float
    per_full_time_year: float | None  # None without recorded hours

    @property
    def full_time_equivalent(self) -> float | None:
        return None if not self.hours_per_week else self.hours_per_week / float(FULL_TIME_HOURS)

    @property
    def against_guide(self) -> str | None:
        """"above", "below" or "within" the guide (200 to 250 a year full time)."""
        if self.per_full_time_year is None:
            return None
        low, high = CASELOAD_GUIDE
        return "above" if self.per_full_time_year > high else "below" if self.per_full_time_year < low else "within"


@dataclass
class Spread:
    """What a report's medians and means are taken from, kept whole so that the reports of a period's
    months can be put together (``combine``): each median's values (milliseconds, in order), the
    people discharged by contacts held, and the wellbeing answers' sums."""

    to_contact: list[int] = field(default_factory=list)
    to_first_session: list[int] = field(default_factory=list)
    to_provider_response: list[int] = field(default_factory=list)
    to_discharge: list[int] = field(default_factory=list)
    held_contacts: dict[int, int] = field(default_factory=dict)  # contacts held → people discharged
    # "" for everyone, else a top-level need: per ONS4 measure, (people, sum at first, sum at review).
    wellbeing: dict[str, list[tuple[int, int, int]]] = field(default_factory=dict)


@dataclass
class Report:
    filters: ReportFilter
    referred: int = 0
    self_referrals: int = 0
    by_month: list[tuple[date, dict[str, int]]] = field(default_factory=list)
    by_source: dict[str, int] = field(default_factory=dict)
    by_need: list[tuple[str, int]] = field(default_factory=list)
    funnel: list[Step] = field(default_factory=list)
    # Triage's answers to the people referred: accepted, redirected, not eligible (and by reason).
    triage_answers: list[tuple[str, int]] = field(default_factory=list)
    attendance_target: float = 0.5
    contacted: int = 0
    contacted_within_target: int = 0
    median_hours_to_contact: float | None = None
    median_days_to_first_session: float | None = None
    provider_responses: int = 0
    median_hours_to_provider_response: float | None = None
    attendance_recorded: int = 0
    did_not_attend: int = 0
    wellbeing: list[WellbeingChange] = field(default_factory=list)
    wellbeing_by_need: dict[str, list[WellbeingChange]] = field(default_factory=dict)
    # Connections (of the cohort, by the end of the period).
    connections: ConnectionCounts = field(default_factory=ConnectionCounts)
    people_with_activity: int = 0
    connections_per_person: list[tuple[str, int]] = field(default_factory=list)
    # Casework: the people discharged in the period. None when the reader does not see casework (providers).
    casework: bool = True
    discharged: int = 0
    discharge_reasons: list[tuple[str, int]] = field(default_factory=list)
    median_weeks_to_discharge: float | None = None
    weeks_to_discharge: list[tuple[str, int]] = field(default_factory=list)
    median_held_contacts: float | None = None
    held_contacts: list[tuple[str, int]] = field(default_factory=list)
    discharged_after_contact: int = 0
    with_plan: int = 0
    goals: list[tuple[str, str, int]] = field(default_factory=list)  # (status, label, count)
    caseload: list[CaseloadRow] = field(default_factory=list)
    caseload_service: CaseloadRow | None = None
    caseload_days: int = 0
    # Only for a month of a longer period (``build_report(spread=True)``), to be put together with the others.
    spread: Spread | None = field(default=None, compare=False, repr=False)

    @property
    def attended(self) -> int:
        """People who attended at least one first session (the headline's count)."""
        return self.funnel[-1].count if self.funnel else 0

    @property
    def attendance_share(self) -> float | None:
        return _share(self.attended, self.referred)

    @property
    def attendance_share_of_connected(self) -> float | None:
        return _share(self.attended, self.people_with_activity)

    @property
    def attendance_share_per_connection(self) -> float | None:
        return _share(self.connections.attended, self.connections.activities)

    @property
    def meets_attendance_target(self) -> bool | None:
        share = self.attendance_share
        return None if share is None else share >= self.attendance_target

    @property
    def share_contacted_within_target(self) -> float | None:
        return _share(self.contacted_within_target, self.contacted)

    @property
    def did_not_attend_rate(self) -> float | None:
        return _share(self.did_not_attend, self.attendance_recorded)

    @property
    def plan_share(self) -> float | None:
        return _share(self.with_plan, self.discharged_after_contact)

    @property
    def goals_with_outcome(self) -> int:
        return sum(count for status, _label, count in self.goals if status in GOAL_OUTCOMES)

    def goal_share(self, status: str) -> float | None:
        """A goal outcome's share of the goals with an outcome (achieved, partly or not)."""
        return _share(next((n for s, _l, n in self.goals if s == status), 0), self.goals_with_outcome)


def _share(part: int, whole: int) -> float | None:
    return None if not whole else part / whole


def _median(values) -> float | None:
    values = list(values)
    return statistics.median(values) if values else None


def _banded(counts: Counter, bands) -> list[tuple[str, int]]:
    """``counts`` (value → how many) summed into ``bands``."""
    return [(label, sum(n for value, n in counts.items() if value >= low and (high is None or value <= high)))
            for low, high, label in bands]


def _median_of_counts(counts: Counter) -> float | None:
    """The median of values given as (value → how many), without listing each one."""
    total = sum(counts.values())
    if not total:
        return None
    ordered = sorted((value, n) for value, n in counts.items() if n)

    def nth(index: int):
        for value, n in ordered:
            if index < n:
                return value
            index -= n
        raise IndexError(index)

    middle = total // 2
    return float(nth(middle)) if total % 2 else (nth(middle - 1) + nth(middle)) / 2


@lru_cache(maxsize=4096)
def _contact_due_day(received_on: date, working_days: int) -> tuple[date, bool]:
    """The day first contact is due for a referral received on ``received_on``, and whether the
    deadline keeps the time of day it was received (it does on a working day). Cached per day,
    so 100,000 referrals cost a few hundred calendar look-ups."""
    probe = datetime.combine(received_on, time(12), tzinfo=LONDON)
    due = add_working_days(probe, working_days)
    return due.date(), due.time() == time(12)


def contact_deadline(received_at: datetime) -> datetime:
    """The alerts' rule (``referrals.working_days``), computed fast for many referrals."""
    local = received_at.astimezone(LONDON)
    day, keeps_time = _contact_due_day(local.date(), settings.SIGNPOST_REFERRALS["CONTACT_WITHIN_WORKING_DAYS"])
    return datetime.combine(day, local.time() if keeps_time else time(0), tzinfo=LONDON)


def contact_deadline_millis(received_millis: int) -> int:
    """``contact_deadline`` for a moment given as milliseconds since 1970, in the same unit.

    The reports check tens of thousands of contacts: the usual case is a whole number of days
    after receipt (or the due day's midnight), worked out once per day of receipt; only
    deadlines across a change of the clocks take the exact, slower route."""
    # Every moment in one UTC hour falls on the same local date (UK clocks change on the hour).
    shift, at_midnight = _deadline_in_hour(received_millis // MILLIS_PER_HOUR,
                                           settings.SIGNPOST_REFERRALS["CONTACT_WITHIN_WORKING_DAYS"])
    if at_midnight is not None:
        return at_midnight
    if shift is not None:
        return received_millis + shift
    received = datetime.fromtimestamp(received_millis / 1000, tz=dt_timezone.utc)
    return round(contact_deadline(received).timestamp() * 1000)


@lru_cache(maxsize=32_768)
def _deadline_in_hour(hour: int, working_days: int) -> tuple[int | None, int | None]:
    """``_deadline_on`` for the local date of a UTC hour (hours since 1970)."""
    return _deadline_on(local_day(hour * MILLIS_PER_HOUR), working_days)


@lru_cache(maxsize=4096)
def _deadline_on(received_on: date, working_days: int) -> tuple[int | None, int | None]:
    """For referrals received on a local day: (milliseconds from receipt to the deadline, when that
    is the same for every time of day), or (None, the deadline) when it is the due day's midnight."""
    due_on, keeps_time = _contact_due_day(received_on, working_days)
    if not keeps_time:
        return None, round(datetime.combine(due_on, time(0), tzinfo=LONDON).timestamp() * 1000)
    first = datetime.combine(received_on, time(0), tzinfo=LONDON).utcoffset()
    last = datetime.combine(due_on + timedelta(days=1), time(0), tzinfo=LONDON).utcoffset()
    if first != last:  # the clocks change in between: no single shift fits every time of day
        return None, None
    return (due_on - received_on).days * MILLIS_PER_DAY, None


def top_level_needs() -> dict[int, tuple[int, str]]:
    """Each need term's id to its top-level ancestor's (id, name)."""
    terms = {pk: (parent, name) for pk, parent, name in directory.need_terms().values_list("pk", "parent_id", "name")}

    def top(pk):
        seen = set()
        while terms[pk][0] is not None and pk not in seen:
            seen.add(pk)
            pk = terms[pk][0]
        return pk, terms[pk][1]

    return {pk: top(pk) for pk in terms}


def build_report(*, referrals: QuerySet, filters: ReportFilter, connections: QuerySet | None = None,
                 link_workers: QuerySet | None = None, casework: bool = True, today: date | None = None,
                 spread: bool = False) -> Report:
    """The figures for ``filters`` over ``referrals`` (already scoped to what the reader may see).

    ``connections`` are the connections the reader's reports count (``permissions.reportable_connections``;
    all of the referrals' by default); ``link_workers`` the link workers whose caseload is shown (with
    those who had allocations); without ``casework`` (a provider's report) the discharge, casework and
    caseload figures are left out. With ``spread`` the report keeps what its medians and means are
    taken from (``Report.spread``), for ``combine``."""
    cohort = filters.apply(referrals)
    end = filters.counted_before
    report = Report(filters=filters, attendance_target=settings.SIGNPOST_REPORTING["ATTENDANCE_TARGET"],
                    casework=casework, spread=Spread() if spread else None)
    base = selectors.referrals_among(cohort) if cohort.query.distinct else cohort
    # The cohort's connections that this reader counts (a provider: only its own).
    counted = filters.counted_connections(selectors.connections_of(base.values("pk"), connections))
    tops = top_level_needs()

    def needs_and_wellbeing():
        report.by_need = _referrals_by_need(cohort, tops)
        sums = _wellbeing(cohort, end, tops)
        report.wellbeing, report.wellbeing_by_need = _changes_by_need(sums)
        if report.spread:
            report.spread.wellbeing = sums

    # Independent parts, each filling in its own figures: at once where the database allows.
    run_together(
        lambda: _cohort_figures(report, base, counted, filters),
        lambda: _provider_responses(report, counted, end),
        needs_and_wellbeing,
        *([lambda: _discharged(report, filters.apply_discharged(referrals), end)] if casework else []),
    )
    # A month's report leaves the caseload to the whole period's (``combine``): it is not about a cohort.
    if casework and not spread:
        _caseload(report, referrals, filters, link_workers, today=today or timezone.localdate())
    return report


# Counts that add up over disjoint cohorts (a period's months).
_ADDED = ("referred", "self_referrals", "contacted", "contacted_within_target", "provider_responses",
          "attendance_recorded", "did_not_attend", "people_with_activity", "discharged",
          "discharged_after_contact", "with_plan")
# Labelled counts, the same labels in the same order in every month: the counts add up.
_ADDED_ROWS = ("triage_answers", "connections_per_person", "discharge_reasons", "weeks_to_discharge",
               "held_contacts", "goals")


def combine(months: list[Report], filters: ReportFilter, *, casework: bool = True) -> Report:
    """The report for ``filters`` put together from its months' reports, each over the referrals
    received (and discharged) in that month, counted up to the end of the whole period and built
    with their ``spread``: the same figures as ``build_report`` over the whole period. A person is
    in one month's cohort only, so counts add up; medians and means are taken again from the
    months' values together. The caseload is left to compute (it is not about a cohort)."""
    report = Report(filters=filters, attendance_target=settings.SIGNPOST_REPORTING["ATTENDANCE_TARGET"],
                    casework=casework)
    for name in _ADDED:
        setattr(report, name, sum(getattr(month, name) for month in months))
    for name in _ADDED_ROWS:
        rows = [getattr(month, name) for month in months if getattr(month, name)]
        setattr(report, name, [(*row[:-1], sum(each[index][-1] for each in rows)) for index, row in enumerate(rows[0])]
                if rows else [])
    by_month = {month: counts for part in months for month, counts in part.by_month}
    report.by_month = [(month, by_month.get(month, {})) for month in _months(filters.start, filters.end)]
    report.by_source = {source: sum(month.by_source.get(source, 0) for month in months) for source in Source.values}
    by_need: Counter = Counter()
    for month in months:
        by_need.update(dict(month.by_need))
    report.by_need = sorted(by_need.items(), key=lambda item: (-item[1], item[0]))
    names = [step.name for step in months[0].funnel] if months else []
    report.funnel = [Step(name, count, _share(count, report.referred)) for name, count in
                     zip(names, (sum(month.funnel[index].count for month in months) for index in range(len(names))))]
    report.connections = ConnectionCounts(**{name: sum(getattr(month.connections, name) for month in months)
                                             for name in ConnectionCounts.__dataclass_fields__})

    spreads = [month.spread for month in months]
    middle = lambda name: middle_of_sorted([getattr(spread, name) for spread in spreads])
    report.median_hours_to_contact = _median(millis / MILLIS_PER_HOUR for millis in middle("to_contact"))
    report.median_days_to_first_session = _median(millis / MILLIS_PER_DAY for millis in middle("to_first_session"))
    report.median_hours_to_provider_response = _median(millis / MILLIS_PER_HOUR
                                                       for millis in middle("to_provider_response"))
    if casework:
        report.median_weeks_to_discharge = _median(millis / MILLIS_PER_WEEK for millis in middle("to_discharge"))
        held: Counter = Counter()
        for spread in spreads:
            held.update(spread.held_contacts)
        report.median_held_contacts = _median_of_counts(held)
    sums: dict[str, list[tuple[int, int, int]]] = {}
    for spread in spreads:
        for need, measures in spread.wellbeing.items():
            before = sums.get(need, [(0, 0, 0)] * len(measures))
            sums[need] = [tuple(a + b for a, b in zip(old, new)) for old, new in zip(before, measures)]
    report.wellbeing, report.wellbeing_by_need = _changes_by_need(sums)
    return report


# Every moment a figure counts only when it is before the end of the period (``counted_before``).
_COUNTED_ON_REFERRAL = ("contacted_at", "triaged_at", "redirected_at", "not_eligible_at")
_COUNTED_ON_CONNECTION = ("created_at", "sent_to_provider_at", "provider_responded_at", "first_session_booked_at",
                          "attended_at", "did_not_attend_at", "ended_at")


def unchanged_until(*, referrals: QuerySet, filters: ReportFilter, connections: QuerySet | None = None) -> datetime | None:
    """The earliest moment, at or after the end of what ``filters`` count, of anything their figures
    count (None when there is none): counting up to any later moment before it gives the same figures.
    Only a step dated ahead (a time typed in the future) has one; every other change is a new or
    changed row, which forgets stored figures (``reporting.stored``)."""
    end = filters.counted_before
    cohort = filters.apply(referrals)
    base = selectors.referrals_among(cohort) if cohort.query.distinct else cohort
    discharged = filters.apply_discharged(referrals)

    def earliest(queryset: QuerySet, names) -> list[datetime]:
        found = queryset.order_by().aggregate(**{f"m{index}": Min(name, filter=Q(**{f"{name}__gte": end}))
                                                 for index, name in enumerate(names)})
        return [moment for moment in found.values() if moment is not None]

    moments = [
        *earliest(base, _COUNTED_ON_REFERRAL),
        *earliest(filters.counted_connections(selectors.connections_of(base.values("pk"), connections)),
                  _COUNTED_ON_CONNECTION),
        *earliest(selectors.wellbeing_scores(cohort, since=end), ["recorded_at"]),
        *earliest(selectors.held_contacts(discharged.values("pk"), since=end), ["at"]),
        *earliest(discharged, ["care_plan__created_at"]),
    ]
    return min(moments, default=None)


def _provider_responses(report: Report, counted: QuerySet, end: datetime) -> None:
    """The provider's answer, per connection: how many, and the median time to it."""
    times = (counted.filter(sent_to_provider_at__lt=end, provider_responded_at__lt=end)
             .exclude(provider_responded_at__lt=F("sent_to_provider_at"))
             .annotate(response=EpochMillis("provider_responded_at") - EpochMillis("sent_to_provider_at"))
             .values_list("response"))
    if report.spread:
        report.spread.to_provider_response = every_value(times, "response")
        responses, middle = len(report.spread.to_provider_response), middle_of_sorted([report.spread.to_provider_response])
    else:
        responses, middle = middle_values(times, "response")
    report.provider_responses = responses
    report.median_hours_to_provider_response = _median(millis / MILLIS_PER_HOUR for millis in middle)


def _cohort_figures(report: Report, base: QuerySet, counted: QuerySet, filters: ReportFilter) -> None:
    """The figures of the people referred in the period: by month and source, triage, first
    contact, and their connections."""
    end = filters.counted_before
    # Counts are aggregates in the database, grouped by month and source in one pass; the medians
    # get plain numbers (milliseconds), never 50,000 datetimes turned into Python objects.
    months = _months(filters.start, filters.end)
    month_ends = [local_midnight((month + timedelta(days=32)).replace(day=1)) for month in months[:-1]]
    groups = (
        base.annotate(month=bucket("received_at", month_ends))
        .values("month", "source")
        .annotate(referred=Count("pk"), contacted=Count("pk", filter=Q(contacted_at__lt=end)),
                  triaged=Count("pk", filter=Q(triaged_at__lt=end)),
                  redirected=Count("pk", filter=Q(redirected_at__lt=end)),
                  not_eligible=Count("pk", filter=Q(not_eligible_at__lt=end)))
        .order_by()
    )
    counts: Counter = Counter()
    by_month: dict[date, Counter] = defaultdict(Counter)
    by_source: Counter = Counter()
    for group in groups:
        month, source = group.pop("month"), group.pop("source")
        counts.update(group)
        by_month[months[month]][source] += group["referred"]
        by_source[source] += group["referred"]
    report.referred = counts["referred"]

    to_contact = []
    # Straight from the cursor: plain integers need none of the ORM's per-row conversion (50,000 rows).
    moments = select_over(base.filter(contacted_at__lt=end).annotate(r=EpochMillis("received_at"),
                                                                     c=EpochMillis("contacted_at")).values("r", "c"),
                          "SELECT t.r, t.c FROM ({inner}) t")
    within = 0
    for received, contacted_at in moments:
        to_contact.append(contacted_at - received)
        if contacted_at <= contact_deadline_millis(received):
            within += 1
    report.contacted_within_target = within

    made = Q(created_at__lt=end)
    activity = made & Q(kind=ConnectionKind.ACTIVITY)
    booked, attended, missed = (Q(first_session_booked_at__lt=end), Q(attended_at__lt=end),
                                Q(did_not_attend_at__lt=end))

    def ended_as(status):
        return Q(status=status, ended_at__lt=end)

    # Every connection figure in one pass: a row per person (their connections counted by what came
    # of them, and their earliest booked first session), added up in the database.
    per_person = counted.values("referral_id").order_by().annotate(
        made=Count("pk", filter=made), activities=Count("pk", filter=activity),
        signposts=Count("pk", filter=made & Q(kind=ConnectionKind.SIGNPOST)),
        sent=Count("pk", filter=Q(sent_to_provider_at__lt=end)),
        declined_by_provider=Count("pk", filter=Q(status=C.DECLINED_BY_PROVIDER, provider_responded_at__lt=end)),
        booked=Count("pk", filter=booked), attended=Count("pk", filter=attended),
        did_not_attend=Count("pk", filter=missed), cancelled=Count("pk", filter=ended_as(C.CANCELLED)),
        withdrawn=Count("pk", filter=ended_as(C.WITHDRAWN)), took_up=Count("pk", filter=ended_as(C.TOOK_UP)),
        did_not_take_up=Count("pk", filter=ended_as(C.DID_NOT_TAKE_UP)),
        to_session=Min(EpochMillis("first_session_at") - EpochMillis("referral__received_at"),
                       filter=made & booked & Q(first_session_at__isnull=False)),
    )
    person_has = lambda column: f"CASE WHEN {column} > 0 THEN 1 ELSE 0 END"
    bands = {f"band_{index}": f"CASE WHEN made >= {max(low, 1)}" + ("" if high is None else f" AND made <= {int(high)}")
             + " THEN 1 ELSE 0 END" for index, (low, high, _label) in enumerate(CONNECTION_BANDS)}
    totals, _count, middle = one_pass(per_person, {
        **{name: name for name in ConnectionCounts.__dataclass_fields__},
        "people_connected": person_has("made"), "people_with_activity": person_has("activities"),
        "people_booked": person_has("booked"), "people_attended": person_has("attended"), **bands,
    }, middle_of="to_session", every=bool(report.spread))
    if report.spread:
        report.spread.to_first_session, middle = middle, middle_of_sorted([middle])
    report.connections = ConnectionCounts(**{name: totals[name] for name in ConnectionCounts.__dataclass_fields__})
    report.people_with_activity = totals["people_with_activity"]
    report.attendance_recorded = totals["attended"] + totals["did_not_attend"]
    report.did_not_attend = totals["did_not_attend"]
    # People by how many connections were made for them (those with none are the rest of the referred).
    report.connections_per_person = [
        (label, totals[f"band_{index}"] + (report.referred - totals["people_connected"] if low == 0 else 0))
        for index, (low, _high, label) in enumerate(CONNECTION_BANDS)
    ]
    days_to_session = [millis / MILLIS_PER_DAY for millis in middle]

    report.self_referrals = by_source.get(Source.SELF, 0)
    report.by_source = {source: by_source.get(source, 0) for source in Source.values}
    report.by_month = [(month, dict(by_month[month])) for month in months]
    report.contacted = counts["contacted"]
    # Triage's answers by the end of the period (received referrals still count as referred, whatever the answer).
    reasons = dict(base.filter(not_eligible_at__lt=end).values("not_eligible_reason").order_by()
                   .annotate(n=Count("pk")).values_list("not_eligible_reason", "n"))
    report.triage_answers = [
        ("Accepted (triaged)", counts["triaged"]),
        ("Redirected to another service", counts["redirected"]),
        ("Not eligible", counts["not_eligible"]),
        *((f"Not eligible: {label}", reasons.get(reason, 0)) for reason, label in NotEligibleReason.choices),
    ]
    report.funnel = [
        Step(name, count, _share(count, report.referred))
        for name, count in [
            ("Referred", report.referred),
            ("Contacted", counts["contacted"]),
            ("Connected to an activity or service", totals["people_connected"]),
            ("First session booked", totals["people_booked"]),
            ("Attended a first session", totals["people_attended"]),
        ]
    ]
    # The middle milliseconds, then in hours: the same as the median of every time in hours.
    to_contact.sort()
    if report.spread:
        report.spread.to_contact = to_contact
    report.median_hours_to_contact = _median(millis / MILLIS_PER_HOUR for millis in middle_of_sorted([to_contact]))
    report.median_days_to_first_session = _median(days_to_session)


def _discharged(report: Report, discharged: QuerySet, end: datetime) -> None:
    """The discharge, contact, plan and goal figures of the people discharged in the period."""
    base = selectors.referrals_among(discharged) if discharged.query.distinct else discharged
    # Counted in the database in one pass: by reason, by whole weeks, after first contact and with a
    # plan, and the middle one or two exact lengths for the median.
    contacted = Q(contacted_at__isnull=False)
    flag = lambda condition: Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())
    rows = base.annotate(
        length=Greatest(EpochMillis("discharged_at") - EpochMillis("received_at"), Value(0)),
        after_contact=flag(contacted),
        with_plan=flag(contacted & selectors.care_plan_started(before=end)),
        **{f"reason_{index}": flag(Q(discharge_reason=value))
           for index, (value, _label) in enumerate(DischargeReason.choices)},
    ).values("length", "after_contact", "with_plan", *(f"reason_{index}" for index in range(len(DischargeReason.choices))))
    weeks = {f"weeks_{index}": f"CASE WHEN length >= {int(low) * MILLIS_PER_WEEK}"
             + ("" if high is None else f" AND length < {(int(high) + 1) * MILLIS_PER_WEEK}") + " THEN 1 ELSE 0 END"
             for index, (low, high, _label) in enumerate(WEEK_BANDS)}
    totals, _count, middle = one_pass(rows, {
        "discharged": "1", "after_contact": "after_contact", "with_plan": "with_plan", **weeks,
        **{f"reason_{index}": f"reason_{index}" for index in range(len(DischargeReason.choices))},
    }, middle_of="length", every=bool(report.spread))
    if report.spread:
        report.spread.to_discharge, middle = middle, middle_of_sorted([middle])
    report.discharged = totals["discharged"]
    report.discharged_after_contact = totals["after_contact"]
    report.with_plan = totals["with_plan"]
    report.discharge_reasons = [(label, totals[f"reason_{index}"])
                                for index, (_value, label) in enumerate(DischargeReason.choices)]
    report.weeks_to_discharge = [(label, totals[f"weeks_{index}"]) for index, (_l, _h, label) in enumerate(WEEK_BANDS)]
    # The median of exact lengths (not of whole weeks), in weeks.
    report.median_weeks_to_discharge = _median(millis / MILLIS_PER_WEEK for millis in middle)

    held: Counter = Counter(counts_of(
        selectors.held_contacts(base.values("pk"), before=end).values("referral_id").order_by()
        .annotate(n=Count("pk")).values_list("n"), "n"
    ))
    held[0] += report.discharged - sum(held.values())
    if report.spread:
        report.spread.held_contacts = dict(held)
    report.held_contacts = _banded(held, CONTACT_BANDS)
    report.median_held_contacts = _median_of_counts(held)

    goals = dict(selectors.goals_of(base.values("pk")).values("status").order_by().annotate(n=Count("pk"))
                 .values_list("status", "n"))
    report.goals = [(status, label, goals.get(status, 0)) for status, label in GoalStatus.choices]


def _caseload(report: Report, referrals: QuerySet, filters: ReportFilter, link_workers: QuerySet | None,
              *, today: date) -> None:
    """New allocations in the period per link worker, annualised, per full-time worker."""
    last = min(filters.end, today)
    days = (last - filters.start).days + 1
    report.caseload_days = max(days, 0)
    if days <= 0:
        return
    allocated = referrals.filter(triaged_at__gte=filters.starts_at, triaged_at__lt=filters.ends_before,
                                 link_worker__isnull=False)
    workers = Q(pk__in=[])
    if link_workers is not None:
        workers |= Q(pk__in=link_workers.values("pk"))
    if filters.link_worker_id:
        allocated = allocated.filter(link_worker_id=filters.link_worker_id)
        workers &= Q(pk=filters.link_worker_id)
    allocations = dict(allocated.values("link_worker_id").order_by().annotate(n=Count("pk"))
                       .values_list("link_worker_id", "n"))
    people = (
        get_user_model().objects.filter(workers | Q(pk__in=list(allocations)))
        .values_list("pk", "first_name", "last_name", "username", "staff_membership__hours_per_week")
        .order_by("first_name", "last_name", "username")
    )
    per_year = 365 / days
    rows = []
    for pk, first, last_name, username, hours in people:
        n = allocations.get(pk, 0)
        hours = float(hours) if hours else None
        full_time = None if not hours else n * per_year / (hours / float(FULL_TIME_HOURS))
        rows.append(CaseloadRow(f"{first} {last_name}".strip() or username, hours, n, n * per_year, full_time))
    report.caseload = rows
    total_hours = sum(row.hours_per_week or 0 for row in rows)
    total = sum(row.allocations for row in rows)
    report.caseload_service = CaseloadRow(
        "All link workers", total_hours or None, total, total * per_year,
        None if not total_hours else total * per_year / (total_hours / float(FULL_TIME_HOURS)),
    )


def _months(start: date, end: date) -> list[date]:
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def _referrals_by_need(cohort: QuerySet, tops: dict[int, tuple[int, str]]) -> list[tuple[str, int]]:
    """Referrals naming each top-level need (or a term under it), most first; counted in the database."""
    names = dict(tops.values())
    rows = (
        selectors.referral_needs(cohort.values("pk"))
        .annotate(top=top_level_need("needterm_id", tops))
        .values("top")
        .annotate(n=Count("referral_id", distinct=True))
        .order_by()
    )
    counts = [(names[row["top"]], row["n"]) for row in rows if row["top"] is not None]
    return sorted(counts, key=lambda item: (-item[1], item[0]))


def _wellbeing(cohort: QuerySet, end: datetime, tops) -> dict[str, list[tuple[int, int, int]]]:
    """The answers' sums of those with answers at both stages (``Spread.wellbeing``): everyone's,
    and each top-level need's."""
    # Paired in the database (one row per person with answers at both stages), rather than every
    # answer of the cohort sent to Python to be paired there.
    scores = selectors.wellbeing_scores(cohort, before=end).values("referral_id", "stage", *ONS4)
    first, review = (f"'{stage.value}'" for stage in (WellbeingStage.FIRST_CONVERSATION, WellbeingStage.REVIEW))
    rows = select_over(scores, "WITH s AS ({inner}) SELECT f.referral_id, "
                       + ", ".join(f"f.{measure}" for measure in ONS4) + ", "
                       + ", ".join(f"r.{measure}" for measure in ONS4)
                       + f" FROM s f JOIN s r ON r.referral_id = f.referral_id WHERE f.stage = {first} AND r.stage = {review}")
    pairs = {pk: (tuple(values[:len(ONS4)]), tuple(values[len(ONS4):])) for pk, *values in rows}
    # The needs of those reviewed only (a fraction of the cohort).
    needs_of: dict[int, set[str]] = defaultdict(set)
    reviewed = selectors.wellbeing_scores(cohort, before=end, stage=WellbeingStage.REVIEW).values("referral_id")
    for referral_id, need_id in selectors.referral_needs(reviewed).values_list(
        "referral_id", "needterm_id"
    ):
        if referral_id in pairs:
            needs_of[referral_id].add(tops[need_id][1])
    grouped: dict[str, list] = defaultdict(list)
    for pk, pair in pairs.items():
        for need in needs_of.get(pk, ()):
            grouped[need].append(pair)
    return {"": _sums(pairs.values()), **{need: _sums(grouped[need]) for need in sorted(grouped)}}


def _sums(pairs) -> list[tuple[int, int, int]]:
    pairs = list(pairs)
    return [(len(pairs), sum(first[index] for first, _ in pairs), sum(review[index] for _, review in pairs))
            for index in range(len(ONS4))]


def _changes_by_need(sums: dict[str, list[tuple[int, int, int]]]) -> tuple[list[WellbeingChange], dict]:
    """Everyone's change and each need's (the needs in order), from the answers' sums."""
    return (_changes(sums.get("") or [(0, 0, 0)] * len(ONS4)),
            {need: _changes(sums[need]) for need in sorted(sums) if need})


def _changes(sums: list[tuple[int, int, int]]) -> list[WellbeingChange]:
    changes = []
    for measure, (people, first_sum, review_sum) in zip(ONS4, sums):
        # Whole-number answers: their sum is exact, and sum / people is the mean fmean would give.
        first = first_sum / people if people else None
        review = review_sum / people if people else None
        change = None if first is None else review - first
        changes.append(WellbeingChange(measure, ONS4_LABELS[measure], people, first, review, change))
    return changes
