"""Every figure on the commissioners' dashboard, defined once, in words and in code.

The cohort is the referrals *received* in the period (and matching the filters). Each later
step counts if it had happened by the end of the period, so a closed period's figures do
not move as time passes: a referral received on 31 March and contacted on 2 April counts as
referred but not contacted in the January–March return, and its contact does not count in
April's either (April's cohort is April's referrals).

- referrals by month, source and need: the cohort, by the month it was received, where it
  came from, and each top-level need it named (a referral naming two needs counts under each).
- the funnel: referred, contacted, an activity chosen, a first session booked, attended (the
  first time each happened); each step's share is of those referred. The attendance share is
  compared with the target (50% in the specifications).
- time to first contact: the median, in hours, of those contacted; the share of those contacted
  within the target (the alerts' rule: N working days, 2 by default — the specifications' 48 hours).
- time to first session: the median, in days, from receipt to the booked first session.
- provider response: the median, in hours, from the (latest) sending to the provider's answer.
- did-not-attend rate: of those whose first-session attendance was recorded, the share who
  did not attend the first time.
- ONS4 wellbeing: for referrals with answers at both the first conversation and review (by
  the end of the period), the mean of each measure at each stage and the mean change (review
  minus first; for anxiety a fall is an improvement), overall and by top-level need.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from datetime import timezone as dt_timezone
from functools import lru_cache

from django.conf import settings
from django.db.models import Case, Count, F, Q, QuerySet, When

from directory import selectors as directory
from referrals import selectors
from referrals.choices import Source, WellbeingStage
from referrals.working_days import LONDON, add_working_days
from reporting.scope import ReportFilter, local_midnight
from reporting.sql import EpochMillis, bucket, top_level_need

MILLIS_PER_HOUR = 3_600_000
MILLIS_PER_DAY = 86_400_000
ONS4 = ("life_satisfaction", "worthwhile", "happiness", "anxiety")
ONS4_LABELS = {
    "life_satisfaction": "Life satisfaction",
    "worthwhile": "Things you do are worthwhile",
    "happiness": "Happiness yesterday",
    "anxiety": "Anxiety yesterday (lower is better)",
}


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


@dataclass
class Report:
    filters: ReportFilter
    referred: int = 0
    self_referrals: int = 0
    by_month: list[tuple[date, dict[str, int]]] = field(default_factory=list)
    by_source: dict[str, int] = field(default_factory=dict)
    by_need: list[tuple[str, int]] = field(default_factory=list)
    funnel: list[Step] = field(default_factory=list)
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

    @property
    def attended(self) -> int:
        return self.funnel[-1].count if self.funnel else 0

    @property
    def attendance_share(self) -> float | None:
        return _share(self.attended, self.referred)

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


def _share(part: int, whole: int) -> float | None:
    return None if not whole else part / whole


def _median(values) -> float | None:
    values = list(values)
    return statistics.median(values) if values else None


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
    day = datetime.fromtimestamp(received_millis / 1000, tz=LONDON).date()
    shift, at_midnight = _deadline_on(day, settings.SIGNPOST_REFERRALS["CONTACT_WITHIN_WORKING_DAYS"])
    if at_midnight is not None:
        return at_midnight
    if shift is not None:
        return received_millis + shift
    received = datetime.fromtimestamp(received_millis / 1000, tz=dt_timezone.utc)
    return round(contact_deadline(received).timestamp() * 1000)


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


def build_report(*, referrals: QuerySet, filters: ReportFilter) -> Report:
    """The figures for ``filters`` over ``referrals`` (already scoped to what the person may see)."""
    cohort = filters.apply(referrals)
    end = filters.ends_before
    report = Report(filters=filters, attendance_target=settings.SIGNPOST_REPORTING["ATTENDANCE_TARGET"])

    # Counts are aggregates in the database, grouped by month and source in one pass; the medians
    # get plain numbers (milliseconds), never 50,000 datetimes turned into Python objects.
    base = selectors.referrals_among(cohort) if cohort.query.distinct else cohort
    recorded = Q(attended_at__lt=end) | Q(did_not_attend_at__lt=end)
    # The first recorded outcome of a first session decides: a did-not-attend that was followed
    # by attending another activity still counts as a did-not-attend.
    missed_first = Q(did_not_attend_at__lt=end) & (
        Q(attended_at__isnull=True) | Q(attended_at__gte=end) | Q(did_not_attend_at__lt=F("attended_at"))
    )
    months = _months(filters.start, filters.end)
    month_ends = [local_midnight((month + timedelta(days=32)).replace(day=1)) for month in months[:-1]]
    groups = (
        base.annotate(month=bucket("received_at", month_ends))
        .values("month", "source")
        .annotate(
            referred=Count("pk"),
            contacted=Count("pk", filter=Q(contacted_at__lt=end)),
            chosen=Count("pk", filter=Q(activity_chosen_at__lt=end)),
            booked=Count("pk", filter=Q(first_session_booked_at__lt=end)),
            attended=Count("pk", filter=Q(attended_at__lt=end)),
            recorded=Count("pk", filter=recorded),
            missed_first=Count("pk", filter=missed_first),
        )
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
    report.attendance_recorded = counts["recorded"]
    report.did_not_attend = counts["missed_first"]

    # One pass for the three medians: each column is null where its step does not count.
    hours_to_contact, days_to_session, hours_to_response = [], [], []
    contacted = Q(contacted_at__lt=end)
    booked = Q(first_session_booked_at__lt=end, first_session_at__isnull=False)
    responded = Q(sent_to_provider_at__lt=end, provider_responded_at__lt=end,
                  provider_responded_at__gte=F("sent_to_provider_at"))
    moments = base.filter(contacted | booked | responded).values_list(
        EpochMillis("received_at"),
        Case(When(contacted, then=EpochMillis("contacted_at"))),
        Case(When(booked, then=EpochMillis("first_session_at") - EpochMillis("received_at"))),
        Case(When(responded, then=EpochMillis("provider_responded_at") - EpochMillis("sent_to_provider_at"))),
    )
    for received, contacted_at, to_session, to_response in moments:
        if contacted_at is not None:
            hours_to_contact.append((contacted_at - received) / MILLIS_PER_HOUR)
            if contacted_at <= contact_deadline_millis(received):
                report.contacted_within_target += 1
        if to_session is not None:
            days_to_session.append(to_session / MILLIS_PER_DAY)
        if to_response is not None:
            hours_to_response.append(to_response / MILLIS_PER_HOUR)

    report.self_referrals = by_source.get(Source.SELF, 0)
    report.by_source = {source: by_source.get(source, 0) for source in Source.values}
    report.by_month = [(month, dict(by_month[month])) for month in months]
    report.contacted = counts["contacted"]
    report.funnel = [
        Step(name, count, _share(count, report.referred))
        for name, count in [
            ("Referred", report.referred),
            ("Contacted", counts["contacted"]),
            ("Activity chosen", counts["chosen"]),
            ("First session booked", counts["booked"]),
            ("Attended", counts["attended"]),
        ]
    ]
    report.median_hours_to_contact = _median(hours_to_contact)
    report.median_days_to_first_session = _median(days_to_session)
    report.provider_responses = len(hours_to_response)
    report.median_hours_to_provider_response = _median(hours_to_response)

    tops = top_level_needs()
    report.by_need = _referrals_by_need(cohort, tops)
    report.wellbeing, report.wellbeing_by_need = _wellbeing(cohort, end, tops)
    return report


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


def _wellbeing(cohort: QuerySet, end: datetime, tops) -> tuple[list[WellbeingChange], dict]:
    scores = selectors.wellbeing_scores(cohort, before=end).values_list("referral_id", "stage", *ONS4)
    by_referral: dict[int, dict[str, tuple]] = defaultdict(dict)
    for referral_id, stage, *values in scores:
        by_referral[referral_id][stage] = tuple(values)
    pairs = {
        pk: (stages[WellbeingStage.FIRST_CONVERSATION], stages[WellbeingStage.REVIEW])
        for pk, stages in by_referral.items()
        if WellbeingStage.FIRST_CONVERSATION in stages and WellbeingStage.REVIEW in stages
    }
    overall = _changes(pairs.values())
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
    return overall, {need: _changes(grouped[need]) for need in sorted(grouped)}


def _changes(pairs) -> list[WellbeingChange]:
    pairs = list(pairs)
    changes = []
    for index, measure in enumerate(ONS4):
        firsts = [first[index] for first, _ in pairs]
        reviews = [review[index] for _, review in pairs]
        first = statistics.fmean(firsts) if firsts else None
        review = statistics.fmean(reviews) if reviews else None
        change = None if first is None else review - first
        changes.append(WellbeingChange(measure, ONS4_LABELS[measure], len(pairs), first, review, change))
    return changes
