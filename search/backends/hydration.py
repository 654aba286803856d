"""Turning a ranked page of activity ids into the hits people see, from the database.

The database backend ends here, so its pages show the directory as it is now, and an
activity unpublished a moment ago is dropped. (Elasticsearch renders hits from what its
index stores, ``stored_hits``, which makes the same hits; it comes here only for an index
built before hits were stored.) A fixed number of queries, whatever the page size.
"""

from __future__ import annotations

from wagtail.models import Site

from directory.models import ActivityPage, ActivitySession, OrganisationPage
from directory.schedules import next_occurrences
from directory.selectors import public_activities
from search.backends.base import Taxonomy
from search.backends.orm import distance_expression, session_filter
from search.page_urls import page_urls
from search.types import Accessibility, DeliveryMode, Hit, NeedSummary, NextSession, SearchQuery, VenueSummary

# Only what a hit shows (and what ``Page.get_url`` reads): a page row is wide.
_ACTIVITY_FIELDS = (
    "pk", "title", "path", "url_path", "summary", "is_free", "cost_amount", "cost_description", "how_to_join", "capacity_per_session",
    *(mode.field for mode in DeliveryMode),
)


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
    activities = {a.pk: a for a in public_activities().filter(pk__in=ids).only(*_ACTIVITY_FIELDS)}
    # Wagtail looks the site root paths up once per page: once for the whole page of hits here.
    page_url = page_urls(Site.get_site_root_paths())
    steplen = ActivityPage.steplen
    organisations = {
        path: (pk, title)
        for path, pk, title in OrganisationPage.objects.filter(path__in={a.path[:-steplen] for a in activities.values()}).values_list(
            "path", "pk", "title"
        )
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
                url=page_url(activity),
                organisation_id=organisation[0] if organisation else 0,
                organisation=organisation[1] if organisation else "",
                venue=_venue_summary(nearest.venue) if nearest is not None and nearest.venue_id else None,
                distance_miles=round(nearest.distance, 2) if query.location is not None else None,
                next_session=(
                    NextSession(occurrence.starts, occurrence.ends, occurrence.venue.name if occurrence.venue else "")
                    if occurrence
                    else None
                ),
                needs=tuple(sorted(needs.get(activity_id, []), key=lambda n: n.name)),
                is_free=activity.is_free,
                price=activity.price,
                how_to_join=activity.how_to_join,
                delivery=tuple(mode.value for mode in DeliveryMode if getattr(activity, mode.field)),
                capacity_per_session=activity.capacity_per_session,
                highlight=highlights.get(activity_id, ""),
            )
        )
    return hits
