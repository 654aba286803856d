"""The transactional outbox: every message Signpost owes someone, written with the change that caused it.

A row is created in the same transaction as the referral's state change and sent afterwards
by a background task (``referrals.tasks``, through ``referrals.notifications.delivery``), with retries and back-off. A
failed send leaves the row pending (or failed, after the last attempt); the referral is
never rolled back. Tasks for people (a phone call, a letter) are rows too, done by hand.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from referrals.choices import Channel, DeliveryStatus, NotificationKind
from referrals.models.referrals import ReferralEvent


class NotificationQuerySet(models.QuerySet):
    def due(self, now=None):
        now = now or timezone.now()
        return self.filter(
            status=DeliveryStatus.PENDING, channel__in=[Channel.EMAIL, Channel.TEXT], next_attempt_at__lte=now
        )

    def open_tasks(self):
        return self.filter(status=DeliveryStatus.PENDING, channel__in=[Channel.PHONE_TASK, Channel.LETTER_TASK])


class Notification(models.Model):
    # Also the reference given to mail servers and SMS gateways: nothing personal in it.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    referral = models.ForeignKey("referrals.Referral", on_delete=models.CASCADE, related_name="notifications")
    # The connection a provider's message or a first-session message is about (one email thread each).
    connection = models.ForeignKey(
        "referrals.Connection", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=40, choices=NotificationKind.choices)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    # An email address or phone number for email and text; blank for inbox items and tasks.
    recipient = models.CharField(max_length=255, blank=True)
    # Whose inbox or task list it is on: a person, or a provider organisation's inbox.
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    recipient_organisation = models.ForeignKey(
        "directory.OrganisationPage", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    recipient_service = models.ForeignKey(
        "referrals.SocialPrescribingService", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    subject = models.CharField(max_length=255)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    last_error = models.CharField(max_length=500, blank=True)
    gateway_reference = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self):
        return f"{self.get_kind_display()} by {self.get_channel_display()} ({self.get_status_display()})"

    def is_about_an_earlier_booking(self) -> bool:
        """Whether the first session was booked again after this message was written (so it is out of date).

        The event log has every booking; the referral's stamp only the first.
        """
        latest = (
            ReferralEvent.objects.filter(referral_id=self.referral_id, connection_id=self.connection_id,
                                         action="book_first_session")
            .order_by("-at").values_list("at", flat=True).first()
        )
        return latest is not None and self.created_at < latest
