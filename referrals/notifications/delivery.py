"""Sending what the outbox holds, in the background: email by SMTP, texts through the SMS gateway."""

import logging

from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from referrals.choices import Channel, DeliveryStatus, NotificationKind
from referrals.models import Notification

logger = logging.getLogger(__name__)


def schedule_delivery(notification_ids: list[str]) -> None:
    for notification_id in notification_ids:
        deliver_notification.enqueue(notification_id)


@task()
def deliver_notification(notification_id: str) -> None:
    deliver(notification_id)


def deliver(notification_id) -> bool:
    """Send one pending notification; True if it went. A failure leaves it pending for a retry."""
    from referrals.notifications.sms import get_sms_gateway

    with transaction.atomic():
        notification = Notification.objects.select_for_update().filter(pk=notification_id).first()
        if notification is None or notification.status != DeliveryStatus.PENDING:
            return False
        try:
            if notification.channel == Channel.EMAIL:
                message = EmailMessage(notification.subject, notification.body, to=[notification.recipient])
                message.extra_headers["X-Signpost-Notification"] = str(notification.pk)
                message.send()
            elif notification.channel == Channel.TEXT:
                notification.gateway_reference = get_sms_gateway().send_text(
                    to=notification.recipient, body=notification.body, reference=str(notification.pk)
                )
            else:
                return False
        except Exception as error:  # noqa: BLE001 - any failure to send is retried, never raised
            notification.attempts += 1
            notification.last_error = f"{type(error).__name__}"[:500]
            notification.save(update_fields=["attempts", "last_error"])
            logger.warning("Notification %s not sent (attempt %d): %s", notification.pk, notification.attempts,
                           type(error).__name__)
            return False
        notification.status, notification.sent_at = DeliveryStatus.SENT, timezone.now()
        notification.attempts += 1
        notification.save(update_fields=["status", "sent_at", "attempts", "gateway_reference"])
    if notification.kind == NotificationKind.FIRST_SESSION_FOR_RESIDENT:
        from referrals.roles import SYSTEM
        from referrals.services import referral_mark_resident_notified

        try:
            referral_mark_resident_notified(referral=notification.referral, actor=SYSTEM)
        except Exception:  # noqa: BLE001 - the session may have been rebooked or cancelled meanwhile
            logger.info("Referral %s not marked notified: it has moved on", notification.referral.reference)
    return True
