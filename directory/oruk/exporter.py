"""Exporting the public directory as Open Referral UK 3.0 service objects.

One query each for the activities, their sessions (with venues), their needs (with
parents) and their organisations, however many activities there are. Writing each service
is ``directory.oruk.writing``; what maps to what, and why, is in ``directory.oruk.records``.
"""

from django.db.models import Prefetch

from directory.models import ActivityPage, ActivitySession, NeedTerm, OrganisationPage
from directory.oruk.writing import service_to_oruk
from directory.selectors import public_activities


def with_service_relations(activities):
    """``activities`` with what a fully nested service needs: sessions (with venues) and needs
    (with parents), two queries however many activities there are."""
    return activities.prefetch_related(
        Prefetch("sessions", queryset=ActivitySession.objects.select_related("venue").order_by("sort_order", "pk")),
        Prefetch("needs", queryset=NeedTerm.objects.select_related("parent")),
    )


def organisations_of(activities) -> dict[int, OrganisationPage]:
    """Each activity's organisation (its parent page) by activity id, in one query by tree path."""
    parent_paths = {activity.path[: -ActivityPage.steplen] for activity in activities}
    organisations = {page.path: page for page in OrganisationPage.objects.filter(path__in=parent_paths)}
    return {activity.pk: organisations[activity.path[: -ActivityPage.steplen]] for activity in activities}


def directory_export(*, activities=None) -> list[dict]:
    """ORUK services for ``activities`` (by default every publicly listed activity), by path."""
    activities = list(with_service_relations(activities if activities is not None else public_activities()).order_by("path"))
    organisations = organisations_of(activities)
    return [
        service_to_oruk(activity, organisation=organisations[activity.pk], url=activity.get_full_url())
        for activity in activities
    ]
