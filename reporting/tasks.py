"""Work the reports leave to the task queue (``db_worker``)."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import EmptyResultSet
from django.utils import timezone
from django_tasks import task

from referrals import permissions
from referrals.roles import actor_for_user
from reporting import stored
from reporting.forms import ReportForm
from reporting.models import ReportSnapshot
from reporting.scope import ReportFilter, reader_scope

logger = logging.getLogger(__name__)


@task()
def store_report_months(user_id: int, period: dict, today: str) -> None:
    """The months of a period to date computed and stored for the reader whose view found them
    missing (``stored.report``'s ``months_later``) on ``today``, as their view would: the next view reads them."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return
    scope = reader_scope(actor_for_user(user))
    filters = ReportFilter.from_query(period)
    on = date.fromisoformat(today)
    stored.report(**scope, filters=filters, today=on)
    stored.gaps(referrals=scope["referrals"], filters=filters, today=on)


# What a reader most often opens: the dashboard as it opens (its default period, to date), and the
# closed periods of the presets.
PREPARED = ({}, {"preset": "last_quarter"}, {"preset": "last_12_months"})


def prepare_reports(*, today: date | None = None) -> int:
    """Each report reader's dashboard as it opens (its default period: the months to date) and as the
    closed presets show it, with the gaps, computed and stored in advance, once per distinct scope: the
    day's first views read them from the store and compute only today's month. Returns how many
    reports were prepared."""
    today = today or timezone.localdate()
    prepared: set[tuple] = set()
    for user in get_user_model().objects.filter(is_active=True).order_by("pk"):
        actor = actor_for_user(user)
        if not permissions.may_see_reports(actor):
            continue
        scope = reader_scope(actor)
        try:  # readers with the same scope share the stored figures
            same_scope = (str(scope["referrals"].query), str(scope["connections"].query), scope["casework"])
        except EmptyResultSet:  # a reader who may report on nothing
            continue
        for asked in PREPARED:
            form = ReportForm(asked, actor=actor, referrals=scope["referrals"], today=today)
            if not form.is_valid():
                continue
            filters = form.report_filter()
            if (same_scope, filters) in prepared:
                continue
            stored.report(**scope, filters=filters, today=today)
            stored.gaps(referrals=scope["referrals"], filters=filters, today=today)
            prepared.add((same_scope, filters))
    # Figures as at a moment are shown only while recent, and only of the same day's period.
    ReportSnapshot.objects.filter(as_at__lt=timezone.now() - timedelta(days=1)).delete()
    logger.info("Prepared %d report(s) for %s", len(prepared), today)
    return len(prepared)


@task()
def prepare_reports_task() -> int:
    """``prepare_reports`` for today (daily, from the scheduler: ``pages/scheduler.py``)."""
    return prepare_reports()
