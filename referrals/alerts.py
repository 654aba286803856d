"""The tracking the specifications ask for: alerts raised by a scheduled job and cleared by action.

``raise_alerts`` (the ``raise_alerts`` command, and ``raise_alerts_task`` which the scheduler
in ``pages.scheduler`` enqueues for the worker) looks at every open referral and:

- raises an alert for each condition that holds and has no open alert yet;
- clears every open alert whose condition no longer holds (``cleared_by_action="raise_alerts"``),
  so a dashboard never shows an alert for something already dealt with. The service functions
  clear alerts as they act (``referrals.services._CLEARS``); this is the safety net. A discharged
  referral, or one the person declined, needs no alerts: every one still open on it is cleared.

The conditions on the referral:

- not contacted: received or triaged, and ``CONTACT_WITHIN_WORKING_DAYS`` working days have
  passed since it was received (2 working days: the 48 hours of the specifications);
- past expected length: open, and more weeks have passed since the first held contact than the
  service expects for the referral's tier (``ContactExpectation.within_weeks``), with no review
  contact held (none is raised for a tier with no expectation set);
- plan review due: a goal in the person's care and support plan has passed its review date and
  has not ended (achieved, not achieved, no longer wanted); cleared when the date moves or the
  goal ends (``referrals.care_plans`` clears it at once when a change leaves no goal due).

The conditions on each of its connections (the alert names the connection, ``Alert.connection``):

- no provider response: sent to the provider ``PROVIDER_RESPONSE_WORKING_DAYS`` working days
  ago and still neither accepted nor declined;
- attendance not recorded: the first session has started and nobody has said whether the
  person went (a first session still to come raises nothing);
- did not attend: the person missed the first session and no activity or service has been
  chosen for them since (a later connection), and they are still in support.

There is at most one open alert of each kind per referral (the partial unique constraint on
``Alert``): when several connections need the same alert, it names the first of them (by number),
and once that one is dealt with the next run raises it again naming the next. An open alert whose
connection no longer needs it is cleared, so it never names a connection that is fine.

It runs a fixed number of queries whatever the number of referrals and connections, and can run as
often as anyone likes: the constraint makes a second run, or two at once, raise nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django_tasks import task

from referrals.choices import AlertKind, ContactStatus, GoalStatus
from referrals.choices import ConnectionStatus as C
from referrals.choices import ReferralStatus as S
from referrals.models import Alert, Connection, Contact, Goal, Referral
from referrals.permissions import referrals_visible_to
from referrals.roles import Actor
from referrals.selectors import contact_progress
from referrals.workflow import FIRST_SESSION_PENDING, OPEN
from referrals.working_days import add_working_days

logger = logging.getLogger(__name__)

CLEARED_BY_JOB = "raise_alerts"
# A goal with one of these statuses needs no review (as ``referrals.care_plans.ENDED``, a layer above).
GOALS_ENDED = (GoalStatus.ACHIEVED, GoalStatus.NOT_ACHIEVED, GoalStatus.NO_LONGER_WANTED)
# Rows per UPDATE when clearing: keeps the IN list well inside every database's limits.
_BATCH = 500

# What a condition found: for each referral that needs the alert, the connections that need it in
# number order (empty for a condition on the referral itself).
Due = dict[int, tuple[int, ...]]


@dataclass
class AlertRun:
    """What one run of the job did, by alert kind."""

    raised: dict[str, int] = field(default_factory=lambda: {kind: 0 for kind in AlertKind.values})
    cleared: dict[str, int] = field(default_factory=lambda: {kind: 0 for kind in AlertKind.values})
    open: dict[str, int] = field(default_factory=lambda: {kind: 0 for kind in AlertKind.values})


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, "SIGNPOST_REFERRALS", {}).get(name, default))


def _candidates(**conditions) -> QuerySet:
    """Referrals that may need an alert, locked until this kind is done.

    The lock closes a race with the pathway: a step that moves one of them (or one of its
    connections) on, and clears its alerts, waits for the job to commit, then clears what the job
    raised; or the job waits for the step and sees the referral as it now is. Locked in id order,
    as the retention job does; only referrals are locked (the steps lock the referral before its
    connection, so the job never holds a connection a step is waiting for).
    """
    return Referral.objects.select_for_update().filter(**conditions).order_by("pk")


def _overdue(rows: Iterable[tuple[int, datetime | None]], *, working_days: int, now: datetime) -> set[int]:
    """The ids whose clock (started at the time stamp beside each) ran out before ``now``."""
    return {pk for pk, started in rows if started is not None and now > add_working_days(started, working_days)}


def _referral_wide(ids: Iterable[int]) -> Due:
    return {pk: () for pk in ids}


def _connections_due(connections: QuerySet, *, stamp: str | None = None, working_days: int = 0,
                     now: datetime) -> Due:
    """The open referrals with a connection in ``connections``, locked, each with its connections that
    need the alert (with ``stamp``: only those whose clock of ``working_days`` from it ran out).

    Two queries: the referrals, locked (no join, so no connection row is locked); then their
    connections, which cannot change while their referral is locked."""
    locked = set(_candidates(status__in=sorted(OPEN), pk__in=connections.values("referral_id"))
                 .values_list("pk", flat=True))
    fields = ["referral_id", "pk"] + ([stamp] if stamp else [])
    rows = connections.filter(referral__status__in=sorted(OPEN)).order_by("referral_id", "number").values_list(*fields)
    due: dict[int, list[int]] = {}
    for referral_id, pk, *started in rows:
        if referral_id not in locked:
            continue  # it moved on between the two queries: the next run sees it as it is
        if stamp and not (started[0] is not None and now > add_working_days(started[0], working_days)):
            continue
        due.setdefault(referral_id, []).append(pk)
    return {referral_id: tuple(pks) for referral_id, pks in due.items()}


def _due_not_contacted(now: datetime) -> Due:
    days = _setting("CONTACT_WITHIN_WORKING_DAYS", 2)
    # N working days are never fewer than N calendar days: only older referrals can be due.
    rows = _candidates(
        status__in=[S.RECEIVED, S.TRIAGED], received_at__lt=now - timedelta(days=days)
    ).values_list("pk", "received_at")
    return _referral_wide(_overdue(rows, working_days=days, now=now))


def _due_no_provider_response(now: datetime) -> Due:
    days = _setting("PROVIDER_RESPONSE_WORKING_DAYS", 3)
    sent = Connection.objects.filter(status=C.SENT_TO_PROVIDER, sent_to_provider_at__lt=now - timedelta(days=days))
    return _connections_due(sent, stamp="sent_to_provider_at", working_days=days, now=now)


def _due_attendance_not_recorded(now: datetime) -> Due:
    started = Connection.objects.filter(status__in=sorted(FIRST_SESSION_PENDING), first_session_at__lt=now)
    return _connections_due(started, now=now)


def _due_did_not_attend(now: datetime) -> Due:
    # Another activity or service chosen since the person missed this one is the link worker acting on it.
    chosen_since = Connection.objects.filter(
        referral=OuterRef("referral"), created_at__gt=OuterRef("attendance_recorded_at")
    )
    missed = Connection.objects.filter(status=C.DID_NOT_ATTEND).filter(
        Q(attendance_recorded_at__isnull=True) | ~Exists(chosen_since)
    )
    return _connections_due(missed, now=now)


def _due_past_expected_length(now: datetime) -> Due:
    # Only referrals with a held contact can be past their length: the first held contact starts the clock.
    held = Contact.objects.filter(referral=OuterRef("pk"), status=ContactStatus.HELD)
    candidates = _candidates(status__in=sorted(OPEN), tier__gt="").filter(Exists(held))
    return _referral_wide(
        pk for pk, progress in contact_progress(candidates, now=now).items() if progress.past_expected_length
    )


def _due_plan_review(now: datetime) -> Due:
    """Open referrals with a goal whose review date has passed and that has not ended (achieved, not
    achieved, no longer wanted). Cleared when the date moves on or the goal ends."""
    goals_due = Goal.objects.filter(review_on__lt=timezone.localdate(now)).exclude(status__in=GOALS_ENDED)
    return _referral_wide(
        _candidates(status__in=sorted(OPEN), anonymised_at__isnull=True,
                    pk__in=goals_due.values("plan__referral_id")).values_list("pk", flat=True)
    )


CONDITIONS = {
    AlertKind.NOT_CONTACTED: _due_not_contacted,
    AlertKind.NO_PROVIDER_RESPONSE: _due_no_provider_response,
    AlertKind.ATTENDANCE_NOT_RECORDED: _due_attendance_not_recorded,
    AlertKind.DID_NOT_ATTEND: _due_did_not_attend,
    AlertKind.PLAN_REVIEW_DUE: _due_plan_review,
    AlertKind.PAST_EXPECTED_LENGTH: _due_past_expected_length,
}


def _sync_kind(kind: str, *, now: datetime, run: AlertRun) -> None:
    due = CONDITIONS[kind](now)
    open_alerts = {
        referral_id: (alert_pk, connection_id)
        for referral_id, alert_pk, connection_id in Alert.objects.open().filter(kind=kind).values_list(
            "referral_id", "pk", "connection_id"
        )
    }
    # Still needed: its referral needs it and (for a connection's alert) the connection it names still does.
    kept = {
        referral_id for referral_id, (_, connection_id) in open_alerts.items()
        if referral_id in due and (not due[referral_id] or connection_id in due[referral_id])
    }
    stale = sorted(alert_pk for referral_id, (alert_pk, _) in open_alerts.items() if referral_id not in kept)
    cleared = 0
    # Cleared first: an alert naming a connection that is fine now is replaced by one naming the next.
    for start in range(0, len(stale), _BATCH):
        cleared += (
            Alert.objects.open()
            .filter(pk__in=stale[start : start + _BATCH])
            .update(cleared_at=now, cleared_by=None, cleared_by_action=CLEARED_BY_JOB)
        )
    missing = sorted(due.keys() - kept)
    if missing:
        # ignore_conflicts: a run alongside this one may have inserted first.
        Alert.objects.bulk_create(
            [Alert(referral_id=pk, kind=kind, raised_at=now, connection_id=(due[pk] or (None,))[0]) for pk in missing],
            ignore_conflicts=True,
            batch_size=_BATCH,
        )
    run.raised[kind] = len(missing)
    run.cleared[kind] = cleared
    run.open[kind] = len(due)


def run_alerts(*, now: datetime | None = None) -> AlertRun:
    """Raise every alert that is due and clear every alert that no longer applies."""
    now = now or timezone.now()
    run = AlertRun()
    for kind in CONDITIONS:
        with transaction.atomic():
            _sync_kind(kind, now=now, run=run)
    logger.info("Alerts raised %s, cleared %s", run.raised, run.cleared)
    return run


def raise_alerts(*, now: datetime | None = None) -> dict[str, int]:
    """Run the alert job; returns how many alerts of each kind it raised (none the second time)."""
    return run_alerts(now=now).raised


@task()
def raise_alerts_task() -> dict[str, int]:
    """The periodic job for the worker (enqueued by ``pages.scheduler``)."""
    return raise_alerts()


def open_alerts_for(actor: Actor, queryset: QuerySet | None = None) -> QuerySet:
    """Open alerts on the referrals ``actor`` may see, oldest first: for the dashboards."""
    alerts = Alert.objects.open() if queryset is None else queryset.filter(cleared_at__isnull=True)
    return alerts.filter(referral__in=referrals_visible_to(actor)).select_related(
        "referral", "referral__resident", "referral__link_worker", "connection", "connection__activity"
    ).order_by("raised_at", "pk")
