"""Closed periods' figures, computed once and read again.

A period is closed once its last day is over. Every figure counts what had happened by the end of
the period (``reporting.figures``), so a closed period's figures do not move as time passes: they
are stored (``StoredReport``) the first time they are read and read from there afterwards. A period
that is not over yet is put together from its months (``figures.combine``): each month's referrals
counted up to the end of the whole period. A month whose last day is over is stored, with the day
it was counted up to and the first moment after that of anything it counts (``unchanged_until``:
only a step dated ahead has one), and read again for a period counted up to a later day that ends by
that moment (the next day's "to date" as well) until a change to one of its referrals forgets it;
the month that includes today is always computed live. So a commissioner's "12 months to date"
computes this month afresh, not twelve. The stored figures are the unsuppressed counts, exactly
as ``build_report`` returns them; suppression is applied when they are shown, to the whole period's
figures, so stored figures and live ones give the same page and the same files.

What is stored is keyed by everything the figures depend on: the reader's scope (the SQL of the
referrals and connections they may report on), the period and filters (an area by its postcode
districts as they are now), the settings the figures use, the need taxonomy, the holiday calendar
and the code that computes them. A change to any of those is a new key; the old row is never read
again. The caseload figures depend on link workers' current contracted hours, so they are always
computed live (one grouped query).

Corrections. A change to a referral, or to anything of it, forgets the stored figures it could move,
in the same transaction as the change (``reporting.corrections``): those of the periods holding the day
the referral was received or discharged, counted up to the change's moment or later. A correction
dated back into a period forgets it; day-to-day work, dated today, leaves closed periods stored.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from array import array
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import holidays
from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db.models import QuerySet
from django.utils import timezone

from reporting import figures as figures_module
from reporting.figures import (
    ConnectionCounts,
    Report,
    Spread,
    Step,
    WellbeingChange,
    _caseload,
    build_report,
    combine,
    top_level_needs,
    unchanged_until,
)
from reporting.gaps import AreaNeed, gaps_demand, gaps_from, gaps_in_provision
from reporting.models import ReportSnapshot, StoredReport
from reporting.scope import ReportFilter

# The code whose figures are stored: a change to it is a new key, so nothing computed by older code is read.
_CODE = hashlib.sha256(b"".join(
    (Path(figures_module.__file__).parent / name).read_bytes()
    for name in ("figures.py", "gaps.py", "scope.py", "sql.py")
)).hexdigest()
# More months missing from the store than this, a reader waits for the whole period at once instead.
MONTHS_COMPUTED_AT_ONCE = 2
# What build_report fills in that the store keeps; the caseload is computed live.
_LIVE = {"filters", "caseload", "caseload_service", "caseload_days", "spread"}
# A month's medians' values, in this order, stored as 64-bit integers (``StoredReport.values``).
_SPREAD_VALUES = ("to_contact", "to_first_session", "to_provider_response", "to_discharge")


def is_closed(filters: ReportFilter, *, today: date) -> bool:
    """Whether the period's last day is over, so its figures no longer move."""
    return filters.end < today


def report(*, referrals: QuerySet, filters: ReportFilter, connections: QuerySet | None = None,
           link_workers: QuerySet | None = None, casework: bool = True, today: date | None = None,
           months_later: Callable[[datetime | None], object] | None = None, as_at_allowed: bool = False) -> Report:
    """``build_report``'s figures: read from the store for a closed period (computed and stored the
    first time), put together from its months for a period that includes today.

    With ``months_later``, when more months are missing from the store than are worth computing one
    by one (``MONTHS_COMPUTED_AT_ONCE``: one month costs a quarter to a third of the whole period),
    ``months_later`` is called to have them computed and stored away from the reader (the task queue),
    and the reader gets the whole period computed at once (the same figures). With ``as_at_allowed``
    (the page), the reader gets instead the figures last computed for the period if that was recent
    (``ReportSnapshot``), and so too when fewer months are missing but they hold more referrals than
    a reader should wait for (``_shown_as_at``); ``months_later`` is given the moment those figures
    are as at (None for figures computed now)."""
    today = today or timezone.localdate()
    if not is_closed(filters, today=today) and len(months := months_of(filters)) > 1:
        keys, shown = _month_keys(referrals, connections, filters, months, casework, today, "month",
                                  "report as shown" if months_later else None)
        stored = _stored_months(keys)
        missing = [month for month, key in zip(months, keys) if key and not _holds(stored.get(key), month)]
        earlier = _shown_as_at(shown, referrals, missing) if as_at_allowed else None
        if earlier is not None:
            months_later(earlier[1])
            result = decode(earlier[0], filters)
        elif months_later is not None and len(missing) > MONTHS_COMPUTED_AT_ONCE:
            months_later(None)
            started = timezone.now()
            result = build_report(referrals=referrals, filters=filters, connections=connections,
                                  link_workers=link_workers, casework=casework, today=today)
            _keep_snapshot(shown, encode(result), started)
            return result
        else:
            started = timezone.now()
            result = combine(_months_reports(referrals, connections, months, casework, today, keys, stored),
                             filters, casework=casework)
            _keep_snapshot(shown, encode(result), started)
        if casework:
            _caseload(result, referrals, filters, link_workers, today=today)
        return result
    key = _keys(referrals, connections, [filters], casework)[0] if is_closed(filters, today=today) else None
    if key is None:
        return build_report(referrals=referrals, filters=filters, connections=connections,
                            link_workers=link_workers, casework=casework, today=today)
    stored = StoredReport.objects.filter(key=key).values_list("figures", flat=True).first()
    if stored is None:
        # The caseload is not stored (it is computed below, on every read, as for a stored period).
        stored = encode(build_report(referrals=referrals, filters=filters, connections=connections,
                                     casework=casework, today=today))
        _store(key, filters, stored)
    result = decode(stored, filters)
    if casework:
        _caseload(result, referrals, filters, link_workers, today=today)
    return result


def gaps(*, referrals: QuerySet, filters: ReportFilter, today: date | None = None,
         months_later: Callable[[datetime | None], object] | None = None, as_at_allowed: bool = False) -> list[AreaNeed]:
    """``gaps_in_provision``: the cohort's demand read from the store for a closed period (computed
    and stored the first time), added up from its months for a period that includes today (with
    ``months_later`` and ``as_at_allowed``, as ``report``); what the directory offers is always read now."""
    today = today or timezone.localdate()
    if not is_closed(filters, today=today) and len(months := months_of(filters)) > 1:
        keys, shown = _month_keys(referrals, None, filters, months, False, today, "gaps",
                                  "gaps as shown" if months_later else None)
        have = dict(StoredReport.objects.filter(key__in=[key for key in keys if key]).values_list("key", "figures"))
        missing = [month for month, key in zip(months, keys) if key and key not in have]
        earlier = _shown_as_at(shown, referrals, missing) if as_at_allowed else None
        if earlier is not None:
            months_later(earlier[1])
            return gaps_from(*_demand_of(earlier[0]))
        if months_later is not None and len(missing) > MONTHS_COMPUTED_AT_ONCE:
            months_later(None)
            started = timezone.now()
            demand, at_postcode = gaps_demand(referrals=referrals, filters=filters)
        else:
            # Demand counts referrals (per district and need, per postcode): a month's add up.
            started = timezone.now()
            demand, at_postcode = Counter(), Counter()
            for month, key in zip(months, keys):
                month_demand, month_at_postcode = _demand(referrals, month, key, have.get(key))
                demand.update(month_demand)
                at_postcode.update(month_at_postcode)
        _keep_snapshot(shown, _demand_figures(demand, at_postcode), started)
        return gaps_from(dict(demand), dict(at_postcode))
    key = _keys(referrals, None, [filters], False, kind="gaps")[0] if is_closed(filters, today=today) else None
    if key is None:
        return gaps_in_provision(referrals=referrals, filters=filters)
    stored = StoredReport.objects.filter(key=key).values_list("figures", flat=True).first()
    return gaps_from(*_demand(referrals, filters, key, stored))


def _demand(referrals: QuerySet, filters: ReportFilter, key: str | None, stored: dict | None) -> tuple[dict, dict]:
    """``gaps_demand``: as ``stored`` (the figures stored under ``key``), else computed (and stored under ``key``)."""
    if key is None:
        return gaps_demand(referrals=referrals, filters=filters)
    if stored is None:
        stored = _demand_figures(*gaps_demand(referrals=referrals, filters=filters))
        _store(key, filters, stored)
    return _demand_of(stored)


def _demand_figures(demand: dict, at_postcode: dict) -> dict:
    return {"demand": [[district, need, n] for (district, need), n in demand.items()],
            "at_postcode": [[postcode, n] for postcode, n in at_postcode.items()]}


def _demand_of(figures: dict) -> tuple[dict, dict]:
    return ({(district, need): n for district, need, n in figures["demand"]},
            {postcode: n for postcode, n in figures["at_postcode"]})


def _keep_snapshot(key: str | None, figures: dict, as_at: datetime) -> None:
    """The figures just computed for a period to date, as at the moment their computing began (the
    key holds the period's last day: they are only ever shown for the same day's period)."""
    if key is not None:
        ReportSnapshot.objects.update_or_create(key=key, defaults={"figures": figures, "as_at": as_at})


def _shown_as_at(key: str | None, referrals: QuerySet, missing: list[ReportFilter]) -> tuple[dict, datetime] | None:
    """The figures last computed under ``key`` and the moment they are as at, to show instead of making
    the reader wait for the ``missing`` months: if they were computed recently, and the months are
    more than are worth computing one by one or hold more referrals than a reader should wait for."""
    if key is None or not missing:
        return None
    options = settings.SIGNPOST_REPORTING
    since = timezone.now() - timedelta(minutes=options["SHOWN_AS_AT_WITHIN_MINUTES"])
    earlier = ReportSnapshot.objects.filter(key=key, as_at__gte=since).values_list("figures", "as_at").first()
    if earlier is None or len(missing) > MONTHS_COMPUTED_AT_ONCE:
        return earlier
    received = sum(month.apply(referrals).count() for month in missing)  # from the cohort's covering index
    return earlier if received > options["SHOWN_AS_AT_ABOVE_REFERRALS"] else None


def months_of(filters: ReportFilter) -> list[ReportFilter]:
    """``filters`` cut at the turn of each month, each month counting up to the end of the whole period."""
    months, start = [], filters.start
    while start <= filters.end:
        following = (start.replace(day=1) + timedelta(days=32)).replace(day=1)
        end = min(following - timedelta(days=1), filters.end)
        months.append(dataclasses.replace(filters, start=start, end=end, counted_to=filters.counted_to or filters.end))
        start = following
    return months


def _month_keys(referrals: QuerySet, connections: QuerySet | None, filters: ReportFilter, months: list[ReportFilter],
                casework: bool, today: date, kind: str, shown_kind: str | None) -> tuple[list[str | None], str | None]:
    """Each month's key (None for the month of today, never stored), and with ``shown_kind`` the key of
    the whole period's figures as shown (``ReportSnapshot``): what they share is read once."""
    *keys, shown = _keys(referrals, connections, [*(month if month.end < today else None for month in months),
                                                  filters if shown_kind else None], casework,
                         kinds=[kind] * len(months) + [shown_kind or ""])
    return keys, shown


def _stored_months(keys: list[str | None]) -> dict[str, dict]:
    """The stored months' rows, by key."""
    return {row["key"]: row for row in StoredReport.objects.filter(key__in=[key for key in keys if key])
            .values("key", "figures", "values", "counted_to", "unchanged_until")}


def _months_reports(referrals: QuerySet, connections: QuerySet | None, months: list[ReportFilter], casework: bool,
                    today: date, keys: list[str | None], stored: dict[str, dict]) -> list[Report]:
    """Each month's report with its spread: read from the store once the month is over, else computed."""
    reports = []
    for month, key in zip(months, keys):
        row = stored.get(key)
        if row and _holds(row, month):
            reports.append(_decode_month(row["figures"], row["values"], month))
            continue
        computed = build_report(referrals=referrals, filters=month, connections=connections, casework=casework,
                                today=today, spread=True)
        if key is not None:
            figures, values = _encode_month(computed)
            StoredReport.objects.update_or_create(key=key, defaults={
                "period_start": month.start, "period_end": month.end, "figures": figures, "values": values,
                "counted_to": month.counted_to,
                "unchanged_until": unchanged_until(referrals=referrals, filters=month, connections=connections)})
        reports.append(computed)
    return reports


def _holds(row: dict | None, month: ReportFilter) -> bool:
    """Whether a stored month's figures are the month's counted up to ``month.counted_to``: nothing
    it counts happened between the day it was counted up to and then."""
    if row is None or row["counted_to"] is None or row["counted_to"] > month.counted_to:
        return False
    return row["unchanged_until"] is None or month.counted_before <= row["unchanged_until"]


def _store(key: str, filters: ReportFilter, figures: dict) -> None:
    StoredReport.objects.get_or_create(key=key, defaults={
        "period_start": filters.start, "period_end": filters.end, "figures": figures})


def _encode_month(report_: Report) -> tuple[dict, bytes]:
    spread = report_.spread
    values = array("q")
    for name in _SPREAD_VALUES:
        values.extend(getattr(spread, name))
    figures = {**encode(report_), "spread": {
        "lengths": [len(getattr(spread, name)) for name in _SPREAD_VALUES],
        "held_contacts": [[held, n] for held, n in spread.held_contacts.items()],
        "wellbeing": spread.wellbeing,
    }}
    return figures, values.tobytes()


def _decode_month(figures: dict, values: bytes, filters: ReportFilter) -> Report:
    figures = dict(figures)
    meta = figures.pop("spread")
    numbers = array("q")
    numbers.frombytes(bytes(values))
    runs, at = {}, 0
    for name, length in zip(_SPREAD_VALUES, meta["lengths"]):
        runs[name] = numbers[at:at + length]  # still in order, as stored
        at += length
    result = decode(figures, filters)
    result.spread = Spread(**runs, held_contacts={held: n for held, n in meta["held_contacts"]},
                           wellbeing={need: [tuple(sums) for sums in measures]
                                      for need, measures in meta["wellbeing"].items()})
    return result


def _keys(referrals: QuerySet, connections: QuerySet | None, periods: list[ReportFilter | None], casework: bool,
          kind: str = "report", kinds: list[str] | None = None) -> list[str | None]:
    """For each of ``periods`` (the same filters, periods apart), everything its stored figures depend
    on, hashed with ``kind`` (or its own of ``kinds``); None for a period not to store, and for all when
    the scope cannot be written as SQL (it is empty). What the periods share (the scope, area, needs) is
    read once, not once per month."""
    first = next((filters for filters in periods if filters is not None), None)
    try:
        scope = [str(referrals.query), None if connections is None else str(connections.query)]
    except EmptyResultSet:
        first = None
    if first is None:
        return [None] * len(periods)
    shared = {
        "scope": scope,
        "casework": casework,
        "area": first.area_prefixes(),
        "filters": [first.need_id, first.source, first.provider_id, first.link_worker_id],
        "settings": [settings.SIGNPOST_REPORTING["ATTENDANCE_TARGET"],
                     settings.SIGNPOST_REFERRALS["CONTACT_WITHIN_WORKING_DAYS"], settings.TIME_ZONE],
        "needs": sorted(top_level_needs().items()),
        "holidays": getattr(holidays, "__version__", ""),
        "code": _CODE,
    }
    # Not the day a month is counted up to: ``unchanged_until`` says for which days it holds.
    return [None if filters is None else hashlib.sha256(json.dumps(
        {**shared, "kind": kind, "period": [filters.start.isoformat(), filters.end.isoformat()]}, default=str,
        sort_keys=True).encode()).hexdigest() for filters, kind in zip(periods, kinds or [kind] * len(periods))]


def encode(report_: Report) -> dict:
    """The stored form of a report's figures (JSON: floats round-trip exactly)."""
    out = {}
    for name in Report.__dataclass_fields__:
        if name in _LIVE:
            continue
        value = getattr(report_, name)
        if name == "by_month":
            value = [[month.isoformat(), counts] for month, counts in value]
        elif name == "funnel":
            value = [[step.name, step.count, step.share] for step in value]
        elif name == "wellbeing":
            value = [_change(change) for change in value]
        elif name == "wellbeing_by_need":
            value = {need: [_change(change) for change in changes] for need, changes in value.items()}
        elif name == "connections":
            value = {field: getattr(value, field) for field in ConnectionCounts.__dataclass_fields__}
        out[name] = value
    return out


def decode(stored: dict, filters: ReportFilter) -> Report:
    """A report from its stored figures (``encode``), for ``filters``; the caseload is left to compute."""
    values = dict(stored)
    values["by_month"] = [(date.fromisoformat(month), counts) for month, counts in values["by_month"]]
    values["funnel"] = [Step(*step) for step in values["funnel"]]
    values["wellbeing"] = [WellbeingChange(*change) for change in values["wellbeing"]]
    # The needs in order, as computed: PostgreSQL's jsonb keeps an object's keys in an order of its own.
    values["wellbeing_by_need"] = {need: [WellbeingChange(*change) for change in changes]
                                   for need, changes in sorted(values["wellbeing_by_need"].items())}
    values["connections"] = ConnectionCounts(**values["connections"])
    for name in ("by_need", "triage_answers", "connections_per_person", "discharge_reasons",
                 "weeks_to_discharge", "held_contacts", "goals"):
        values[name] = [tuple(item) for item in values[name]]
    return Report(filters=filters, **values)


def _change(change: WellbeingChange) -> list:
    return [change.measure, change.label, change.people, change.first, change.review, change.change]
