"""Sending what the outbox holds: email through Django's email backend, texts through the SMS gateway.

This module only sends. ``deliver`` sends one pending, due email or text at most once: the
row is locked (``select_for_update``) and only a pending, due row is sent, so the task queued
on commit, a retry and the periodic sweep can all reach the same row and only one of them
sends it. A failure is written on the row (attempts, when to try next, a short error without
personal data) and never raised, so no referral is rolled back and no message is dropped;
after ``NOTIFICATION_MAX_ATTEMPTS`` (or an error that will never get better, like a landline
number for a text) the row is marked failed, and shows so on the referral.

What a sent message means for its connection (the person now knows of their first session) is
a step of the pathway, taken by ``referrals.tasks`` after a successful send, through
``referrals.services``; so are the task queued for each message and the sweep of everything due.

Logs carry notification ids and references only: never addresses, numbers or names.
"""

from __future__ import annotations

import logging
import re
import smtplib
from datetime import datetime, timedelta
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone

from referrals import gp_letter_pdf
from referrals.choices import Channel, DeliveryStatus, NotificationKind
from referrals.models import Connection, GpMessage, Notification, Referral
from referrals.workflow import FIRST_SESSION_PENDING
from referrals.notifications.sms import get_sms_gateway

logger = logging.getLogger(__name__)

# What became of one attempt to deliver.
SENT = "sent"
DEFERRED = "deferred"  # not sent this time; tried again after a back-off
FAILED = "failed"  # not sent, and will not be tried again
SKIPPED = "skipped"  # nothing to do: already sent, not due yet, being sent by another worker, or not a message
OUTCOMES = (SENT, DEFERRED, FAILED, SKIPPED)

SENDABLE = (Channel.EMAIL, Channel.TEXT)

# Emails to GP practices, which carry the summary as a PDF.
GP_KINDS = (NotificationKind.GP_ACKNOWLEDGEMENT, NotificationKind.GP_DISCHARGE_SUMMARY)

# Seconds to wait for the mail server when the settings do not say (Django waits for ever).
DEFAULT_EMAIL_TIMEOUT = 30


class Undeliverable(Exception):
    """This notification can never be sent as it stands (no address, or the message it carried is out of date)."""

    permanent = True
    safe_to_show = True  # our own words, with nothing personal in them


def deliver(notification_id, *, now: datetime | None = None) -> str:
    """Send one pending, due email or text, exactly once; return what happened (``SENT``, ``DEFERRED``...).

    ``now`` is the time the back-off is measured from (the sweep passes its own).
    """
    now = now or timezone.now()
    with transaction.atomic():
        # skip_locked: a row locked by another worker is being sent by it right now.
        notification = Notification.objects.select_for_update(skip_locked=True).filter(pk=notification_id).first()
        if (
            notification is None
            or notification.status != DeliveryStatus.PENDING
            or notification.channel not in SENDABLE
            or notification.next_attempt_at > now
        ):
            return SKIPPED
        try:
            _check_still_wanted(notification)
            notification.gateway_reference = _send(notification)[:255]
        except Exception as error:  # noqa: BLE001 - any failure to send is recorded for a retry, never raised
            return _record_failure(notification, error, now=now)
        notification.status, notification.sent_at = DeliveryStatus.SENT, timezone.now()
        notification.attempts += 1
        notification.save(update_fields=["status", "sent_at", "attempts", "gateway_reference"])
    logger.info("Notification %s sent (%s by %s, attempt %d)", notification.pk, notification.kind,
                notification.channel, notification.attempts)
    return SENT


def _send(notification: Notification) -> str:
    """Hand the message to the mail server or SMS gateway; return their id for it."""
    if not notification.recipient:
        raise Undeliverable("There is no address or number to send to.")
    if notification.channel == Channel.EMAIL:
        return _send_email(notification)
    gateway = get_sms_gateway()
    return gateway.send_text(to=notification.recipient, body=notification.body, reference=str(notification.pk))


def _send_email(notification: Notification) -> str:
    message_id = email_message_id(notification)
    timeout = getattr(settings, "EMAIL_TIMEOUT", None) or DEFAULT_EMAIL_TIMEOUT
    message = EmailMessage(
        subject=notification.subject,
        body=notification.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient],
        headers={
            # The same id on every attempt: a mail system that saw the message already can drop the repeat.
            "Message-ID": message_id,
            "X-Signpost-Notification": str(notification.pk),
            "Auto-Submitted": "auto-generated",
        },
        connection=get_connection(timeout=timeout),
    )
    if notification.kind in GP_KINDS:
        _attach_gp_summary(message, notification)
    message.send()
    return message_id


def _attach_gp_summary(message: EmailMessage, notification: Notification) -> None:
    """The message to the GP practice carries its summary as a PDF, rendered from what was kept as sent
    (``GpMessage.content``): the same content on every attempt."""
    gp_message = GpMessage.objects.filter(notification=notification).only("content").first()
    if gp_message is None:
        raise Undeliverable("Not sent: the summary for the GP practice it carries is missing.")
    message.attach(gp_letter_pdf.filename(gp_message.content), gp_letter_pdf.render_pdf(gp_message.content),
                   "application/pdf")


def email_message_id(notification: Notification) -> str:
    """``<notification id@sender's domain>``: the id is a random UUID, so nothing personal is in it."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "signpost.localhost"
    return f"<{notification.pk}@{domain}>"


def _check_still_wanted(notification: Notification) -> None:
    """A first-session message sent late must not tell the person about a session that was moved or cancelled."""
    if notification.kind != NotificationKind.FIRST_SESSION_FOR_RESIDENT:
        return
    if notification.connection_id is None:
        raise Undeliverable("Not sent: it does not say which activity's first session it is about.")
    status = Connection.objects.values_list("status", flat=True).get(pk=notification.connection_id)
    referral_open = Referral.objects.get(pk=notification.referral_id).is_open
    still_booked = status in FIRST_SESSION_PENDING and referral_open
    if not still_booked or notification.is_about_an_earlier_booking():
        raise Undeliverable("Not sent: the first session changed before this message went, so it was out of date.")


def _record_failure(notification: Notification, error: Exception, *, now: datetime) -> str:
    config = settings.SIGNPOST_REFERRALS
    max_attempts = config["NOTIFICATION_MAX_ATTEMPTS"]
    notification.attempts += 1
    notification.last_error = describe_error(error, recipient=notification.recipient)[:500]
    if is_permanent(error) or notification.attempts >= max_attempts:
        notification.status = DeliveryStatus.FAILED
        outcome = FAILED
    else:
        delay = config["NOTIFICATION_RETRY_SECONDS"] * 2 ** (notification.attempts - 1)
        notification.next_attempt_at = now + timedelta(seconds=delay)
        outcome = DEFERRED
    notification.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
    then = "giving up" if outcome == FAILED else f"next try after {notification.next_attempt_at:%Y-%m-%d %H:%M:%S%z}"
    logger.warning(
        "Notification %s (%s by %s, referral id %s) not sent, attempt %d of %d: %s; %s",
        notification.pk, notification.kind, notification.channel, notification.referral_id, notification.attempts,
        max_attempts, type(error).__name__, then,
    )
    return outcome


def is_permanent(error: Exception) -> bool:
    """Will trying again never help? A refused address or number, or a message that is out of date."""
    if getattr(error, "permanent", False):
        return True
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    return False


_EMAIL = re.compile(r"[^\s<>\"'()\[\],;:]+@[^\s<>\"'()\[\],;:]+")
_NUMBER = re.compile(r"\+?\d[\d \-]{6,}\d")


def describe_error(error: Exception, *, recipient: str = "") -> str:
    """The error's class and a short reason, with addresses and phone numbers taken out (it is shown and logged)."""
    name = type(error).__name__
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = sorted({str(code) for code, _ in error.recipients.values()})
        reason = f"the mail server refused the address ({', '.join(codes)})"
    elif isinstance(error, smtplib.SMTPResponseException):
        text = error.smtp_error
        text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
        reason = f"the mail server answered {error.smtp_code}: {text}"
    elif isinstance(error, OSError) and error.strerror:
        reason = error.strerror
    elif getattr(error, "safe_to_show", False):
        return f"{name}: {error}"[:300].rstrip()
    else:
        reason = str(error)
    return f"{name}: {_scrub(reason, recipient)}"[:300].rstrip()


def _scrub(text: str, recipient: str) -> str:
    if recipient:
        text = re.sub(re.escape(recipient), "[recipient]", text, flags=re.IGNORECASE)
    text = _EMAIL.sub("[address]", text)
    return _NUMBER.sub("[number]", " ".join(text.split()))
