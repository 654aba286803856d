"""What the GP practice was sent about a referral: kept as sent, and shown on the referral."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from referrals.choices import GpMessageKind, GpMessageRoute


class GpMessage(models.Model):
    """The message back to the GP (PRSB Social Prescribing standard): at acknowledgement (if the service
    sends one) and at discharge. ``content`` is exactly what was sent, in every format (email, PDF,
    letter, JSON, FHIR), built by ``referrals.gp_messages``; it never changes once written."""

    referral = models.ForeignKey("referrals.Referral", on_delete=models.CASCADE, related_name="gp_messages")
    kind = models.CharField(max_length=20, choices=GpMessageKind.choices)
    practice = models.ForeignKey(
        "primarycare.GpPractice", null=True, blank=True, on_delete=models.PROTECT, related_name="messages"
    )
    route = models.CharField(max_length=10, choices=GpMessageRoute.choices)
    # The NHSmail address for an email; blank for a letter or a message not sent.
    recipient = models.EmailField(blank=True)
    # Why a message was not sent (no practice known, or the person refused consent): said, never personal.
    not_sent_reason = models.CharField(max_length=255, blank=True)
    content = models.JSONField()
    prepared_at = models.DateTimeField(default=timezone.now)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    prepared_by_label = models.CharField(max_length=255)
    # The outbox row that carries the email (retried until sent), or the letter task.
    notification = models.OneToOneField(
        "referrals.Notification", null=True, blank=True, on_delete=models.SET_NULL, related_name="gp_message"
    )

    class Meta:
        ordering = ["prepared_at", "pk"]
        verbose_name = "message to the GP practice"
        constraints = [
            models.UniqueConstraint(fields=["referral", "kind"], name="one_gp_message_of_each_kind"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.referral} ({self.get_route_display()})"
