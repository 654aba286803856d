"""The audit trail of residents' records: every view and every change, by whom and when."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from referrals.choices import AuditAction


class AuditEntry(models.Model):
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_label = models.CharField(max_length=255)
    action = models.CharField(max_length=10, choices=AuditAction.choices)
    # Plain ids, not foreign keys: the trail outlives anonymisation and must not cascade.
    resident_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    referral_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    # What was seen or changed, in words ("referral page", "provider inbox", "API: referral detail").
    what = models.CharField(max_length=255)
    path = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name_plural = "audit entries"

    def __str__(self):
        return f"{self.actor_label} {self.get_action_display().lower()} {self.what} at {self.at:%Y-%m-%d %H:%M}"
