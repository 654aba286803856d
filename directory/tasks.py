"""The directory's background jobs, for the worker (the scheduler enqueues them)."""

from django_tasks import task

from directory.freshness import send_stale_reminders


@task()
def send_stale_reminders_task() -> None:
    send_stale_reminders()
