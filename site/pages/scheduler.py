"""The periodic jobs, enqueued on the task queue for the worker to run.

django-tasks has no scheduler of its own, so one small process (``run_scheduler``) keeps
this table: every interval it enqueues the job; the worker (``db_worker``) does the work.
A job that is already waiting is not enqueued again, so a slow worker does not pile up copies.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult


@dataclass(frozen=True)
class Job:
    task: str  # the dotted path of a django-tasks task taking no arguments
    every: timedelta


SCHEDULE = (
    # Retry emails and texts whose back-off has passed (the outbox's safety net).
    Job("referrals.tasks.deliver_due_notifications_task", timedelta(minutes=1)),
    # Alerts: not contacted, no provider response, attendance not recorded, did not attend.
    Job("referrals.alerts.raise_alerts_task", timedelta(minutes=15)),
    Job("referrals.contacts.queue_contact_reminders_task", timedelta(hours=1)),
    Job("directory.tasks.send_stale_reminders_task", timedelta(days=1)),
    # Harvest the ORUK feeds that are due (each has its own interval; directory/harvesting.py).
    Job("directory.tasks.harvest_due_feeds_task", timedelta(minutes=15)),
    # Retention: personal data leaves finished referrals past the retention period (docs/retention.md).
    Job("referrals.retention.anonymise_closed_referrals_task", timedelta(days=1)),
    # The readers' dashboards prepared in advance: the day's first view reads its months from the store.
    Job("reporting.tasks.prepare_reports_task", timedelta(days=1)),
    # Expired sessions go, with any self-referral's answers never sent (pages/tasks.py).
    Job("pages.tasks.clear_expired_sessions_task", timedelta(hours=1)),
)


def enqueue_due(last_run: dict[str, datetime], *, now: datetime | None = None, schedule=SCHEDULE) -> list[str]:
    """Enqueue each job whose interval has passed since ``last_run`` (updated in place); return their names."""
    now = now or timezone.now()
    enqueued = []
    for job in schedule:
        previous = last_run.get(job.task)
        if previous is not None and now - previous < job.every:
            continue
        if _waiting(job.task):
            continue
        import_string(job.task).enqueue()
        last_run[job.task] = now
        enqueued.append(job.task)
    return enqueued


def _waiting(task_path: str) -> bool:
    """Whether the database queue already holds this job, not yet started."""
    # With another queue backend the table stays empty, so the job is simply enqueued.
    return DBTaskResult.objects.filter(task_path=task_path, status=TaskResultStatus.READY).exists()
