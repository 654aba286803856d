"""Reads of the directory that more than one page needs."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from directory.choices import ActivityStatus
from directory.models import ActivityPage


def stale_cutoff(today=None):
    """Listings last reviewed before this date are stale."""
    today = today or timezone.localdate()
    return today - timedelta(days=settings.SIGNPOST["STALE_AFTER_DAYS"])


def hidden_cutoff(today=None):
    """Listings last reviewed before this date are hidden from the public directory."""
    return stale_cutoff(today) - timedelta(days=settings.SIGNPOST["STALE_GRACE_DAYS"])


def public_activities(today=None):
    """Activities the public may see: published, public, active and not hidden as stale."""
    return (
        ActivityPage.objects.live()
        .public()
        .filter(status=ActivityStatus.ACTIVE, last_reviewed__gt=hidden_cutoff(today))
    )


def stale_activities(today=None):
    """Live activities overdue for review, oldest first (the moderators' report)."""
    return (
        ActivityPage.objects.live()
        .exclude(status=ActivityStatus.CLOSED)
        .filter(last_reviewed__lte=stale_cutoff(today))
        .order_by("last_reviewed", "title")
    )
