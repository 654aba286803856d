"""Single-use, expiring links that let a provider act on one referral from an email, without signing in."""

import uuid

from django.db import models
from django.utils import timezone


class ActionLink(models.Model):
    # The token in the URL is this id, signed: see referrals.links.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    referral = models.ForeignKey("referrals.Referral", on_delete=models.CASCADE, related_name="action_links")
    # The connection it acts on: one activity's hand-over.
    connection = models.ForeignKey("referrals.Connection", null=True, on_delete=models.CASCADE, related_name="action_links")
    organisation = models.ForeignKey("directory.OrganisationPage", on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=40)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.action} link for {self.referral}"

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at
