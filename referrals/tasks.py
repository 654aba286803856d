"""The referral pathway's periodic jobs, for the worker (``run_scheduler`` enqueues them; see site/pages/scheduler.py).

Each one-off message is sent by its own task, queued when the change that caused it commits
(``referrals.notifications.delivery.deliver_notification``); the sweep below is the safety
net: retries after their back-off, and anything whose task was never queued or never ran.
"""

from django_tasks import task

from referrals.notifications.delivery import deliver_due_notifications


@task()
def deliver_due_notifications_task() -> dict[str, int]:
    """Send every email and text that is due; the counts are kept as the task's result."""
    return deliver_due_notifications()
