"""Reads of the directory that more than one page needs."""

from django.db.models import QuerySet

from directory.choices import ActivityStatus
from directory.models import ActivityPage, ActivitySession, DirectoryIndexPage, NeedTerm, Postcode

# The cutoffs are defined beside ActivityPage, whose pages (an organisation's list of its
# activities) need them too; they are read from here.
from directory.models.pages import hidden_cutoff, stale_cutoff

__all__ = [
    "activity_needs",
    "activity_places",
    "directory_index",
    "hidden_cutoff",
    "need_terms",
    "need_with_descendants",
    "postcode_positions",
    "public_activities",
    "stale_activities",
    "stale_cutoff",
    "top_level_need_terms",
]


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


# Needs, places and supply: what reports (and other apps) read of the directory -------------


def need_terms():
    """Every term of the needs taxonomy."""
    return NeedTerm.objects.all()


def top_level_need_terms():
    """The needs at the top of the taxonomy, by name (a report's or a form's choice of need)."""
    return NeedTerm.objects.filter(parent__isnull=True).order_by("name")


def need_with_descendants(need_id: int):
    """The term ``need_id`` and every term under it."""
    return NeedTerm.objects.filter(pk=need_id).with_descendants()


def postcode_positions(postcodes: list[str]) -> dict[str, tuple[float, float]]:
    """The centroids (latitude, longitude) of those of ``postcodes`` the postcode table knows."""
    positions = {}
    for offset in range(0, len(postcodes), 500):  # in slices: SQLite limits a query's parameters
        for postcode, lat, lng in Postcode.objects.filter(postcode__in=postcodes[offset:offset + 500]).values_list(
            "postcode", "latitude", "longitude"
        ):
            positions[postcode] = (float(lat), float(lng))
    return positions


def activity_needs(activity_ids) -> QuerySet:
    """The (``activitypage_id``, ``needterm_id``) rows of the needs the activities meet."""
    return ActivityPage.needs.through.objects.filter(activitypage_id__in=activity_ids)


def activity_places(activity_ids) -> QuerySet:
    """The (``activity_id``, latitude, longitude) of each session of the activities held at a located venue."""
    return ActivitySession.objects.filter(activity_id__in=activity_ids, venue__latitude__isnull=False).values_list(
        "activity_id", "venue__latitude", "venue__longitude"
    )
