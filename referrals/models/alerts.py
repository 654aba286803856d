"""Alerts: the tracking the specifications ask for, raised by a scheduled job, cleared by action."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from referrals.choices import AlertKind


class AlertQuerySet(models.QuerySet):
    def open(self):
        return self.filter(cleared_at__isnull=True)


class Alert(models.Model):
    referral = models.ForeignKey("referrals.Referral", on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=30, choices=AlertKind.choices)
    # For a connection's alert (no provider answer, attendance not recorded, did not attend): which one.
    connection = models.ForeignKey(
        "referrals.Connection", null=True, blank=True, on_delete=models.CASCADE, related_name="alerts"
    )
    raised_at = models.DateTimeField(default=timezone.now)
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    # The action that cleared it ("record_contact", "provider_accept", ...).
    cleared_by_action = models.CharField(max_length=40, blank=True)

    objects = AlertQuerySet.as_manager()

    class Meta:
        ordering = ["raised_at", "pk"]
        constraints = [
            # At most one open alert of each kind per referral: the job can run as often as it likes.
            models.UniqueConstraint(
                fields=["referral", "kind"], condition=Q(cleared_at__isnull=True), name="one_open_alert_per_kind"
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.referral})"
