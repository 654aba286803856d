"""Reads of the directory that more than one page needs."""

from directory.choices import ActivityStatus
from directory.models import ActivityPage, DirectoryIndexPage

# The cutoffs are defined beside ActivityPage, whose pages (an organisation's list of its
# activities) need them too; they are read from here.
from directory.models.pages import hidden_cutoff, stale_cutoff

__all__ = ["directory_index", "hidden_cutoff", "public_activities", "stale_activities", "stale_cutoff"]


def directory_index() -> DirectoryIndexPage | None:
    """The directory's index page, under which organisations are created (None before ``setup_site``)."""
    return DirectoryIndexPage.objects.first()


def public_activities(today=None):
    """Activities the public may see: published, public, active and not hidden as stale."""
    return ActivityPage.objects.publicly_listed(today)


def stale_activities(today=None):
    """Live activities overdue for review, oldest first (the moderators' report)."""
    return (
        ActivityPage.objects.live()
        .exclude(status=ActivityStatus.CLOSED)
        .filter(last_reviewed__lte=stale_cutoff(today))
        .order_by("last_reviewed", "title")
    )
