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
from functools import lru_cache

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from referrals.choices import Source
from referrals.models import Referral, WellbeingScore, WellbeingStage
from referrals.reporting.scope import ReportFilter

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
    from referrals.working_days import LONDON, add_working_days

    probe = datetime.combine(received_on, time(12), tzinfo=LONDON)
    due = add_working_days(probe, working_days)
    return due.date(), due.time() == time(12)


def contact_deadline(received_at: datetime) -> datetime:
    """The alerts' rule (``referrals.working_days``), computed fast for many referrals."""
    from referrals.working_days import LONDON

    local = received_at.astimezone(LONDON)
    day, keeps_time = _contact_due_day(local.date(), settings.SIGNPOST_REFERRALS["CONTACT_WITHIN_WORKING_DAYS"])
    return datetime.combine(day, local.time() if keeps_time else time(0), tzinfo=LONDON)


def top_level_needs() -> dict[int, tuple[int, str]]:
    """Each need term's id to its top-level ancestor's (id, name)."""
    from directory.models import NeedTerm

    terms = {pk: (parent, name) for pk, parent, name in NeedTerm.objects.values_list("pk", "parent_id", "name")}

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

    # Counts are aggregates in the database; only the pairs of moments the medians need come back
    # as rows (at 50,000 referrals, turning every time stamp into Python costs seconds).
    base = Referral.objects.filter(pk__in=cohort.values("pk")) if cohort.query.distinct else cohort
    recorded = Q(attended_at__lt=end) | Q(did_not_attend_at__lt=end)
    # The first recorded outcome of a first session decides: a did-not-attend that was followed
    # by attending another activity still counts as a did-not-attend.
    missed_first = Q(did_not_attend_at__lt=end) & (
        Q(attended_at__isnull=True) | Q(attended_at__gte=end) | Q(did_not_attend_at__lt=F("attended_at"))
    )
    counts = base.aggregate(
        referred=Count("pk"),
        contacted=Count("pk", filter=Q(contacted_at__lt=end)),
        chosen=Count("pk", filter=Q(activity_chosen_at__lt=end)),
        booked=Count("pk", filter=Q(first_session_booked_at__lt=end)),
        attended=Count("pk", filter=Q(attended_at__lt=end)),
        recorded=Count("pk", filter=recorded),
        missed_first=Count("pk", filter=missed_first),
    )
    report.referred = counts["referred"]
    report.attendance_recorded = counts["recorded"]
    report.did_not_attend = counts["missed_first"]

    tz = timezone.get_current_timezone()
    by_month: dict[date, Counter] = defaultdict(Counter)
    by_source: Counter = Counter()
    monthly = (
        base.annotate(month=TruncMonth("received_at", tzinfo=tz))
        .values_list("month", "source")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for month, source, n in monthly:
        month = month.date() if isinstance(month, datetime) else month
        by_month[month][source] += n
        by_source[source] += n

    hours_to_contact = []
    for received, contacted in base.filter(contacted_at__lt=end).values_list("received_at", "contacted_at"):
        hours_to_contact.append((contacted - received).total_seconds() / 3600)
        if contacted <= contact_deadline(received):
            report.contacted_within_target += 1
    days_to_session = [
        (session_at - received).total_seconds() / 86400
        for received, session_at in base.filter(
            first_session_booked_at__lt=end, first_session_at__isnull=False
        ).values_list("received_at", "first_session_at")
    ]
    hours_to_response = [
        (responded - sent).total_seconds() / 3600
        for sent, responded in base.filter(
            sent_to_provider_at__lt=end, provider_responded_at__lt=end,
            provider_responded_at__gte=F("sent_to_provider_at"),
        ).values_list("sent_to_provider_at", "provider_responded_at")
    ]

    report.self_referrals = by_source.get(Source.SELF, 0)
    report.by_source = {source: by_source.get(source, 0) for source in Source.values}
    report.by_month = [(month, dict(by_month[month])) for month in _months(filters.start, filters.end)]
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

    needs_of = _needs_by_referral(cohort)
    need_counts = Counter(name for names in needs_of.values() for name in names)
    report.by_need = sorted(need_counts.items(), key=lambda item: (-item[1], item[0]))
    report.wellbeing, report.wellbeing_by_need = _wellbeing(cohort, end, needs_of)
    return report


def _months(start: date, end: date) -> list[date]:
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def _needs_by_referral(cohort: QuerySet) -> dict[int, set[str]]:
    from referrals.models import Referral

    tops = top_level_needs()
    through = Referral.needs.through
    needs_of: dict[int, set[str]] = defaultdict(set)
    pairs = through.objects.filter(referral__in=cohort.values("pk")).values_list("referral_id", "needterm_id")
    for referral_id, need_id in pairs:
        needs_of[referral_id].add(tops[need_id][1])
    return needs_of


def _wellbeing(cohort: QuerySet, end: datetime, needs_of) -> tuple[list[WellbeingChange], dict]:
    scores = WellbeingScore.objects.filter(referral__in=cohort.values("pk"), recorded_at__lt=end).values_list(
        "referral_id", "stage", *ONS4
    )
    by_referral: dict[int, dict[str, tuple]] = defaultdict(dict)
    for referral_id, stage, *values in scores:
        by_referral[referral_id][stage] = tuple(values)
    pairs = {
        pk: (stages[WellbeingStage.FIRST_CONVERSATION], stages[WellbeingStage.REVIEW])
        for pk, stages in by_referral.items()
        if WellbeingStage.FIRST_CONVERSATION in stages and WellbeingStage.REVIEW in stages
    }
    overall = _changes(pairs.values())
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
