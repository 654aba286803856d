"""Turning a ranked page of activity ids into the hits people see, from the database.

Every backend ends here, so a page shows the directory as it is now (never a stale copy
from an index), and an activity unpublished a moment ago is dropped even if an index has
not caught up yet. A fixed number of queries, whatever the page size.
"""

from __future__ import annotations

from directory.models import ActivityPage, ActivitySession, OrganisationPage
from directory.schedules import next_occurrences
from directory.selectors import public_activities
from search.backends.base import Taxonomy
from search.backends.database import distance_expression, session_filter
from search.types import Accessibility, DeliveryMode, Hit, NeedSummary, NextSession, SearchQuery, VenueSummary


def _venue_summary(venue) -> VenueSummary:
    return VenueSummary(
        id=venue.pk,
        name=venue.name,
        town=venue.town,
        postcode=venue.postcode,
        latitude=float(venue.latitude) if venue.latitude is not None else None,
        longitude=float(venue.longitude) if venue.longitude is not None else None,
        accessibility=tuple(f.value for f in Accessibility if getattr(venue, f.value)),
    )


def hydrate(query: SearchQuery, ids: list[int], *, taxonomy: Taxonomy, highlights: dict[int, str] | None = None) -> list[Hit]:
    if not ids:
        return []
    highlights = highlights or {}
    activities = {a.pk: a for a in public_activities().filter(pk__in=ids)}
    steplen = ActivityPage.steplen
    organisations = {
        o.path: o for o in OrganisationPage.objects.filter(path__in={a.path[:-steplen] for a in activities.values()}).only("pk", "title", "path")
    }

    # The qualifying sessions: where the hit's venue and next session come from.
    sessions = ActivitySession.objects.filter(activity_id__in=ids).select_related("venue")
    if query.has_session_filters:
        sessions = sessions.filter(session_filter(query))
    if query.location is not None:
        sessions = sessions.annotate(distance=distance_expression(query)).filter(distance__lte=query.radius_miles)
        sessions = sessions.order_by("distance", "pk")
    else:
        sessions = sessions.order_by("sort_order", "pk")
    by_activity: dict[int, list] = {}
    for session in sessions:
        by_activity.setdefault(session.activity_id, []).append(session)

    needs: dict[int, list[NeedSummary]] = {}
    for activity_id, term_id in ActivityPage.needs.through.objects.filter(activitypage_id__in=ids).values_list(
        "activitypage_id", "needterm_id"
    ):
        needs.setdefault(activity_id, []).append(NeedSummary(term_id, taxonomy.names[term_id], taxonomy.slugs[term_id]))

    hits = []
    for activity_id in ids:
        activity = activities.get(activity_id)
        if activity is None:
            continue  # no longer publicly listed: the index has not caught up yet
        qualifying = by_activity.get(activity_id, [])
        if query.location is not None and not qualifying:
            continue
        nearest = qualifying[0] if query.location is not None else next((s for s in qualifying if s.venue_id), None)
        occurrence = next(iter(next_occurrences(qualifying, count=1)), None)
        organisation = organisations.get(activity.path[:-steplen])
        hits.append(
            Hit(
                activity_id=activity.pk,
                title=activity.title,
                summary=activity.summary,
                url=activity.get_url() or "",
                organisation_id=organisation.pk if organisation else 0,
                organisation=organisation.title if organisation else "",
                venue=_venue_summary(nearest.venue) if nearest is not None and nearest.venue_id else None,
                distance_miles=round(nearest.distance, 2) if query.location is not None else None,
                next_session=(
                    NextSession(occurrence.starts, occurrence.ends, occurrence.venue.name if occurrence.venue else "")
                    if occurrence
                    else None
                ),
                needs=tuple(sorted(needs.get(activity_id, []), key=lambda n: n.name)),
                is_free=activity.is_free,
                how_to_join=activity.how_to_join,
                delivery=tuple(mode.value for mode in DeliveryMode if getattr(activity, mode.field)),
                capacity_per_session=activity.capacity_per_session,
                highlight=highlights.get(activity_id, ""),
            )
        )
    return hits
