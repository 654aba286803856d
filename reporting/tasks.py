"""Work the reports leave to the task queue (``db_worker``)."""

from __future__ import annotations

from datetime import date

from django.contrib.auth import get_user_model
from django_tasks import task

from referrals.roles import actor_for_user
from reporting import stored
from reporting.scope import ReportFilter, reader_scope


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
