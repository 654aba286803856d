"""The tracking the specifications ask for: alerts raised by a scheduled job and cleared by action.

``raise_alerts`` (the ``raise_alerts`` command, and ``raise_alerts_task`` which the scheduler
in ``pages.scheduler`` enqueues for the worker) looks at every open referral and:

- raises an alert for each condition that holds and has no open alert yet;
- clears every open alert whose condition no longer holds (``cleared_by_action="raise_alerts"``),
  so a dashboard never shows an alert for something already dealt with. The service functions
  clear alerts as they act (``referrals.services._CLEARS``); this is the safety net.

The conditions:

- not contacted: received or triaged, and ``CONTACT_WITHIN_WORKING_DAYS`` working days have
  passed since it was received (2 working days: the 48 hours of the specifications);
- no provider response: sent to the provider ``PROVIDER_RESPONSE_WORKING_DAYS`` working days
  ago and still neither accepted nor declined;
- attendance not recorded: the first session has started and nobody has said whether the
  person went;
- did not attend: the person missed the first session and nobody has chosen another activity
  or closed the referral yet;
- past expected length: open, and more weeks have passed since the first held contact than the
  service expects for the referral's tier (``ContactExpectation.within_weeks``), with no review
  contact held (none is raised for a tier with no expectation set);
- plan review due: a goal in the person's care and support plan has passed its review date and
  has not ended (achieved, not achieved, no longer wanted); cleared when the date moves or the
  goal ends (``referrals.care_plans`` clears it at once when a change leaves no goal due).

It runs a fixed number of queries whatever the number of referrals, and can run as often as
anyone likes: the partial unique constraint on ``Alert`` (one open alert of each kind per
referral) makes a second run, or two at once, raise nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django_tasks import task

from referrals.choices import AlertKind, ContactStatus, GoalStatus
from referrals.choices import ReferralStatus as S
from referrals.models import Alert, Contact, Goal, Referral
from referrals.permissions import referrals_visible_to
from referrals.roles import Actor
from referrals.selectors import contact_progress
from referrals.workflow import OPEN
from referrals.working_days import add_working_days

logger = logging.getLogger(__name__)

CLEARED_BY_JOB = "raise_alerts"
# A goal with one of these statuses needs no review (as ``referrals.care_plans.ENDED``, a layer above).
GOALS_ENDED = (GoalStatus.ACHIEVED, GoalStatus.NOT_ACHIEVED, GoalStatus.NO_LONGER_WANTED)
# Rows per UPDATE when clearing: keeps the IN list well inside every database's limits.
_BATCH = 500


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

    The lock closes a race with the pathway: a step that moves one of them on (and clears its
    alerts) waits for the job to commit, then clears what the job raised; or the job waits for
    the step and sees the referral as it now is. Locked in id order, as the retention job does.
    """
    return Referral.objects.select_for_update().filter(**conditions).order_by("pk")


def _overdue(rows: Iterable[tuple[int, datetime | None]], *, working_days: int, now: datetime) -> set[int]:
    """The ids whose clock (started at the time stamp beside each) ran out before ``now``."""
    return {pk for pk, started in rows if started is not None and now > add_working_days(started, working_days)}


def _due_not_contacted(now: datetime) -> set[int]:
    days = _setting("CONTACT_WITHIN_WORKING_DAYS", 2)
    # N working days are never fewer than N calendar days: only older referrals can be due.
    rows = _candidates(
        status__in=[S.RECEIVED, S.TRIAGED], received_at__lt=now - timedelta(days=days)
    ).values_list("pk", "received_at")
    return _overdue(rows, working_days=days, now=now)


def _due_no_provider_response(now: datetime) -> set[int]:
    days = _setting("PROVIDER_RESPONSE_WORKING_DAYS", 3)
    rows = _candidates(
        status=S.SENT_TO_PROVIDER, sent_to_provider_at__lt=now - timedelta(days=days)
    ).values_list("pk", "sent_to_provider_at")
    return _overdue(rows, working_days=days, now=now)


def _due_attendance_not_recorded(now: datetime) -> set[int]:
    return set(
        _candidates(status__in=[S.FIRST_SESSION_BOOKED, S.RESIDENT_NOTIFIED], first_session_at__lt=now).values_list(
            "pk", flat=True
        )
    )


def _due_did_not_attend(now: datetime) -> set[int]:
    return set(_candidates(status=S.DID_NOT_ATTEND).values_list("pk", flat=True))


def _due_past_expected_length(now: datetime) -> set[int]:
    # Only referrals with a held contact can be past their length: the first held contact starts the clock.
    held = Contact.objects.filter(referral=OuterRef("pk"), status=ContactStatus.HELD)
    candidates = _candidates(status__in=sorted(OPEN), tier__gt="").filter(Exists(held))
    return {pk for pk, progress in contact_progress(candidates, now=now).items() if progress.past_expected_length}


def _due_plan_review(now: datetime) -> set[int]:
    """Open referrals with a goal whose review date has passed and that has not ended (achieved, not
    achieved, no longer wanted). Cleared when the date moves on or the goal ends."""
    goals_due = Goal.objects.filter(review_on__lt=timezone.localdate(now)).exclude(status__in=GOALS_ENDED)
    return set(
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
    open_alerts = dict(Alert.objects.open().filter(kind=kind).values_list("referral_id", "pk"))
    missing = sorted(due - open_alerts.keys())
    stale = [alert_pk for referral_id, alert_pk in open_alerts.items() if referral_id not in due]
    if missing:
        # ignore_conflicts: a run alongside this one may have inserted first.
        Alert.objects.bulk_create(
            [Alert(referral_id=pk, kind=kind, raised_at=now) for pk in missing],
            ignore_conflicts=True,
            batch_size=_BATCH,
        )
    cleared = 0
    for start in range(0, len(stale), _BATCH):
        cleared += (
            Alert.objects.open()
            .filter(pk__in=stale[start : start + _BATCH])
            .update(cleared_at=now, cleared_by=None, cleared_by_action=CLEARED_BY_JOB)
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
        "referral", "referral__resident", "referral__link_worker"
    ).order_by("raised_at", "pk")
