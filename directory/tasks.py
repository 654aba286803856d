"""The directory's background jobs, for the worker (the scheduler enqueues them)."""

from django_tasks import task

from directory.freshness import send_stale_reminders
from directory.harvesting import harvest_due_feeds


@task()
def send_stale_reminders_task() -> None:
    send_stale_reminders()


@task()
def harvest_due_feeds_task() -> None:
    # Each feed runs when its own interval has passed; a failing feed is recorded on its run.
    harvest_due_feeds()
