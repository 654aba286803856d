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
    # Why, where the action needs a reason on record (an erasure's grounds); never personal data.
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name_plural = "audit entries"

    def __str__(self):
        return f"{self.actor_label} {self.get_action_display().lower()} {self.what} at {self.at:%Y-%m-%d %H:%M}"


class RoleChange(models.Model):
    """A change to who may do what: a group, superuser or staff status, a staff membership,
    an active flag, a group's permissions, or a second factor reset. Kept for good."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_by_label = models.CharField(max_length=255)
    # The account whose access changed (none for a change to a group's permissions).
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    subject_label = models.CharField(max_length=255, blank=True)
    what = models.CharField(max_length=500)
    # Whether the person making it had proved their second factor in that session.
    verified = models.BooleanField(default=False)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.changed_by_label}: {self.what} at {self.at:%Y-%m-%d %H:%M}"
