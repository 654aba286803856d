"""The referral pathway's background work, for the worker: sending each notification, and the sweep.

Each email or text is sent by its own task (``deliver_notification``), queued when the change
that wrote it commits (``referrals.signal_handlers``). The sweep (``deliver_due_notifications``:
every minute in the worker, see site/pages/scheduler.py, and the ``send_notifications``
command) is the safety net: retries after their back-off, and anything whose task was never
queued or never ran.

``referrals.notifications.delivery`` only sends; what a sent message means for its referral
(the person now knows of their first session) is a step taken here, after the send, through
``referrals.services``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django_tasks import task

from referrals import services
from referrals.models import Notification
from referrals.notifications.delivery import OUTCOMES, SENT, deliver

logger = logging.getLogger(__name__)


def send_notification(notification_id, *, now: datetime | None = None) -> str:
    """Send one notification (``deliver``: at most once), then take the step its going means, if any.

    Returns what became of the send (``referrals.notifications.delivery.SENT``, ``DEFERRED``...).
    """
    outcome = deliver(notification_id, now=now)
    if outcome == SENT:
        services.referral_mark_resident_notified_by_message(notification=Notification.objects.get(pk=notification_id))
    return outcome


@task()
def deliver_notification(notification_id: str) -> str:
    """Send one notification. A failed send is recorded on the row for a retry, not raised."""
    return send_notification(notification_id)


def schedule_delivery(notification_ids: Iterable[str]) -> None:
    """Queue a task to send each notification (on commit of the change that wrote them)."""
    for notification_id in notification_ids:
        try:
            deliver_notification.enqueue(str(notification_id))
        except Exception as error:  # noqa: BLE001 - the sweep sends it instead; the change that queued it stands
            logger.warning("Could not queue notification %s (%s); the periodic sweep will send it",
                           notification_id, type(error).__name__)


@dataclass(frozen=True)
class Progress:
    index: int
    total: int
    notification_id: str
    kind: str
    channel: str
    outcome: str


def deliver_due_notifications(
    now: datetime | None = None, *, limit: int | None = None, on_each: Callable[[Progress], None] | None = None
) -> dict[str, int]:
    """Send every pending email and text that is due; return how many were sent, deferred, failed and skipped.

    Also moves to "resident notified" any referral whose first-session message went but
    whose step was not recorded (the process stopped in between).
    """
    now = now or timezone.now()
    due = Notification.objects.due(now).order_by("next_attempt_at", "created_at").values_list("pk", "kind", "channel")
    rows = list(due[:limit] if limit else due)
    counts = dict.fromkeys(OUTCOMES, 0) | {"errors": 0}
    for index, (pk, kind, channel) in enumerate(rows, start=1):
        try:
            outcome = send_notification(pk, now=now)
        except Exception as error:  # noqa: BLE001 - one bad row must not stop the others; it stays pending
            logger.error("Notification %s could not be processed: %s", pk, type(error).__name__)
            outcome = "errors"
        counts[outcome] += 1
        if on_each is not None:
            on_each(Progress(index, len(rows), str(pk), kind, channel, outcome))
    counts["resident_notified"] = services.resident_notified_repairs()
    return counts


@task()
def deliver_due_notifications_task() -> dict[str, int]:
    """Send every email and text that is due; the counts are kept as the task's result."""
    return deliver_due_notifications()
