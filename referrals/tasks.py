"""The referral pathway's background work, for the worker: sending each notification, and the sweep.

Each email or text is sent by its own task (``deliver_notification``), queued when the change
that wrote it commits (``referrals.signal_handlers``). The sweep (``deliver_due_notifications``:
every minute in the worker, see site/pages/scheduler.py, and the ``send_notifications``
command) is the safety net: retries after their back-off, and anything whose task was never
queued or never ran.

``referrals.notifications.delivery`` only sends; what a sent message means for its referral
(the person now knows of the first session of one connection) is a step taken here, after the
send, through ``referrals.services``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from referrals import services
from referrals.models import Notification, RoleChange
from referrals.notifications.delivery import OUTCOMES, SENT, deliver

logger = logging.getLogger(__name__)


def send_notification(notification_id, *, now: datetime | None = None) -> str:
    """Send one notification (``deliver``: at most once), then take the step its going means, if any.

    Returns what became of the send (``referrals.notifications.delivery.SENT``, ``DEFERRED``...).
    """
    outcome = deliver(notification_id, now=now)
    if outcome == SENT:
        services.connection_mark_resident_notified_by_message(
            notification=Notification.objects.get(pk=notification_id))
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

    Also moves to "resident notified" any connection whose first-session message went but
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


@task()
def email_administrators_of_role_change(role_change_id: int) -> int:
    """Tell every administrator (active superuser with an email address) of a change of access.

    The person whose second factor was reset is told too: if they did not ask for it, they
    should say so at once. Returns how many people were emailed.
    """
    change = RoleChange.objects.select_related("subject").get(pk=role_change_id)
    recipients = set(
        get_user_model()
        .objects.filter(is_superuser=True, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if change.what.startswith("second factor reset") and change.subject is not None and change.subject.email:
        recipients.add(change.subject.email)
    if not recipients:
        logger.warning("Access change %s: no administrator has an email address to tell", change.pk)
        return 0
    context = {
        "change": change,
        "trail_url": settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse("referrals_access_changes"),
    }
    subject = f"Signpost: access changed for {change.subject_label or 'a group'}"
    send_mail(subject, render_to_string("referrals/account/role_change_email.txt", context), None, sorted(recipients))
    return len(recipients)
