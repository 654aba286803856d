"""Connections: the activities and services a person is connected to during their referral.

A referral may have several at once. A connection to an activity in the directory is the
provider's hand-over (sent, accepted or declined, first session booked, attended or not): one
connection is one item in the provider's inbox and one email thread. A connection to a service
outside the directory (Citizens Advice, Talking Therapies) is a signpost, with what came of it.

Its status only ever changes through ``referrals.services``, by ``referrals.workflow.CONNECTION_TRANSITIONS``.
"""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from referrals.choices import ConnectionKind, ConnectionStatus, ProviderDeclineReason


class Connection(models.Model):
    referral = models.ForeignKey("referrals.Referral", on_delete=models.CASCADE, related_name="connections")
    # 1, 2, 3... within the referral: how pages, the API and emails name it ("SP-ABCD234, connection 2").
    number = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=10, choices=ConnectionKind.choices, default=ConnectionKind.ACTIVITY)
    status = models.CharField(max_length=24, choices=ConnectionStatus.choices)

    # An activity in the directory, and (once sent) the one organisation whose editors may see it.
    activity = models.ForeignKey(
        "directory.ActivityPage", null=True, blank=True, on_delete=models.PROTECT, related_name="connections"
    )
    provider = models.ForeignKey(
        "directory.OrganisationPage", null=True, blank=True, on_delete=models.PROTECT, related_name="connections"
    )
    provider_decline_reason = models.CharField(max_length=20, choices=ProviderDeclineReason.choices, blank=True)
    provider_decline_note = models.TextField(blank=True)
    first_session_at = models.DateTimeField(null=True, blank=True)
    first_session = models.ForeignKey(
        "directory.ActivitySession", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    first_session_note = models.TextField(
        blank=True, help_text="Anything the person should know: who will meet them, what to bring."
    )

    # A service outside the directory (a signpost).
    service_name = models.CharField("service", max_length=255, blank=True,
                                    help_text="For example: Citizens Advice Poole, NHS Talking Therapies.")
    service_contact = models.CharField("how to reach it", max_length=255, blank=True)
    outcome_note = models.TextField(blank=True)

    # When each step first happened, except the provider's answer and attendance, which keep the
    # latest (alerts time from them).
    created_at = models.DateTimeField(default=timezone.now)
    sent_to_provider_at = models.DateTimeField(null=True, blank=True)
    provider_responded_at = models.DateTimeField(null=True, blank=True)
    first_session_booked_at = models.DateTimeField(null=True, blank=True)
    resident_notified_at = models.DateTimeField(null=True, blank=True)
    attendance_recorded_at = models.DateTimeField(null=True, blank=True)
    attended_at = models.DateTimeField(null=True, blank=True)
    did_not_attend_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["referral", "number"]
        indexes = [
            models.Index(fields=["provider", "status"]),
            models.Index(fields=["status", "first_session_at"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["referral", "number"], name="one_connection_number_per_referral"),
            models.CheckConstraint(condition=Q(status__in=ConnectionStatus.values), name="connection_status_valid"),
            models.CheckConstraint(
                condition=Q(kind=ConnectionKind.SIGNPOST) | Q(activity__isnull=False),
                name="activity_connection_has_activity",
            ),
            models.CheckConstraint(
                condition=Q(kind=ConnectionKind.ACTIVITY) | ~Q(service_name=""),
                name="signpost_names_its_service",
            ),
        ]

    def __str__(self):
        return f"{self.referral_id and self.referral.reference}, connection {self.number}"

    @property
    def is_signpost(self) -> bool:
        return self.kind == ConnectionKind.SIGNPOST

    @property
    def name(self) -> str:
        """What the person is connected to, in words."""
        return self.service_name if self.is_signpost else (self.activity.title if self.activity_id else "")
