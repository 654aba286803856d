"""Background work queued when the referral domain says something happened (connected in ``ReferralsConfig.ready``)."""

from referrals import tasks
from referrals.models import Notification
from referrals.notifications.outbox import notifications_queued


def queue_delivery(sender, notification_ids, **kwargs) -> None:
    """The outbox's emails and texts are committed: queue a task to send each."""
    tasks.schedule_delivery(notification_ids)


def connect() -> None:
    notifications_queued.connect(queue_delivery, sender=Notification, dispatch_uid="referrals.queue_delivery")
