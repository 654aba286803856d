"""Writing the demo plan to the database, through the same factories the tests use.

Idempotent: organisations, venues and activities are recognised by their ORUK ids (derived
from their keys in the plan), so a second run creates nothing, and a run that was stopped
part-way picks up where it left off.
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from wagtail.models import WorkflowState

from demo.places import POSTCODE_AREAS
from demo.plan import ActivityPlan, DemoPlan, VenuePlan
from directory.models import ActivityPage, NeedTerm, OrganisationPage, Postcode, Venue
from directory.vocabulary import ensure_needs_vocabulary
from factories import directory as factories

# About a kilometre: how far from a neighbourhood's centre a venue's postcode may be.
_NEAR_LATITUDE = 0.009
_NEAR_LONGITUDE = 0.014


class DemoBuildError(Exception):
    """The demo cannot be built as things stand (for example, postcodes are missing)."""


@dataclass(frozen=True)
class Missing:
    organisations: tuple
    venues: tuple
    activities: tuple

    @property
    def count(self) -> int:
        return len(self.organisations) + len(self.venues) + len(self.activities)


def missing_content(plan: DemoPlan) -> Missing:
    """What of ``plan`` is not in the database yet (three queries)."""
    def absent(model, items):
        ids = [item.oruk_id for item in items]
        present = set(model.objects.filter(oruk_id__in=ids).values_list("oruk_id", flat=True))
        return tuple(item for item in items if item.oruk_id not in present)

    return Missing(
        organisations=absent(OrganisationPage, plan.organisations),
        venues=absent(Venue, plan.venues),
        activities=absent(ActivityPage, plan.activities),
    )


def missing_postcode_areas() -> list[str]:
    """The postcode areas the demo needs that have no rows in the Postcode table."""
    return [
        area
        for area in POSTCODE_AREAS
        if not Postcode.objects.filter(_starts_area(area)).exists()
    ]


def _starts_area(area: str) -> Q:
    # "B" must not match "BH15 1AB": an area is followed by its district's first digit.
    query = Q()
    for digit in range(10):
        query |= Q(postcode__startswith=f"{area}{digit}")
    return query


class PostcodeChooser:
    """Real postcodes for venues: sorted candidates near the neighbourhood, then the plan's pick."""

    def __init__(self, districts: set[str]):
        by_district: dict[str, list[tuple[str, Decimal, Decimal]]] = {district: [] for district in districts}
        query = Q()
        for district in districts:
            query |= Q(postcode__startswith=f"{district} ")
        for postcode, latitude, longitude in Postcode.objects.filter(query).values_list(
            "postcode", "latitude", "longitude"
        ):
            by_district[postcode.split(" ")[0]].append((postcode, latitude, longitude))
        self._by_district = by_district

    def choose(self, venue: VenuePlan) -> tuple[str, Decimal, Decimal]:
        candidates = sorted(row for district in venue.districts for row in self._by_district.get(district, ()))
        if not candidates:
            raise DemoBuildError(
                f"No postcodes for {', '.join(venue.districts)} in the Postcode table: run "
                f"`manage.py load_postcodes --areas {' '.join(POSTCODE_AREAS)}`."
            )
        latitude, longitude = venue.near
        near = [
            row
            for row in candidates
            if abs(float(row[1]) - latitude) <= _NEAR_LATITUDE and abs(float(row[2]) - longitude) <= _NEAR_LONGITUDE
        ]
        rows = near or candidates
        return rows[venue.pick % len(rows)]


@dataclass(frozen=True)
class BuildCounts:
    organisations: int
    venues: int
    activities: int


@transaction.atomic
def build_content(
    plan: DemoPlan, missing: Missing, *, progress: Callable[[int], object] = lambda n: None
) -> BuildCounts:
    """Create what is missing of ``plan``, in one transaction (all of it, or none of it)."""
    needs = _needs_by_slug()
    with factories.deferred_indexing():
        organisations = _organisations_by_key(plan)
        for item in missing.organisations:
            organisations[item.key] = factories.make_organisation(
                item.title,
                trusted=item.trusted,
                oruk_id=item.oruk_id,
                description=item.description,
                website=item.website,
                email=item.email,
                phone=item.phone,
                safeguarding_contact_name=item.safeguarding_contact_name,
                safeguarding_contact_email=item.safeguarding_contact_email,
                safeguarding_contact_phone=item.safeguarding_contact_phone,
            )
            progress(1)

        venues = _venues_by_key(plan)
        chooser = PostcodeChooser({district for venue in missing.venues for district in venue.districts})
        for item in missing.venues:
            postcode, latitude, longitude = chooser.choose(item)
            venues[item.key] = factories.make_venue(
                item.name,
                postcode=postcode,
                latitude=latitude,
                longitude=longitude,
                oruk_id=item.oruk_id,
                organisation=organisations[item.organisation] if item.organisation else None,
                address_1=item.address_1,
                town=item.town,
                step_free=item.step_free,
                accessible_toilet=item.accessible_toilet,
                hearing_loop=item.hearing_loop,
                parking=item.parking,
                accessibility_notes=item.accessibility_notes,
                bus_stops=item.bus_stops,
                bus_routes=item.bus_routes,
                directions=item.directions,
            )
            progress(1)

        for item in missing.activities:
            make_planned_activity(item, organisations=organisations, venues=venues, needs=needs)
            progress(1)
    return BuildCounts(len(missing.organisations), len(missing.venues), len(missing.activities))


def make_planned_activity(item: ActivityPlan, *, organisations, venues, needs, live: bool = True) -> ActivityPage:
    sessions = [
        {
            "oruk_id": session.oruk_id,
            "venue": venues[session.venue] if session.venue else None,
            "frequency": session.frequency,
            "weekday": session.weekday,
            "week_of_month": session.week_of_month,
            "start_time": session.start_time,
            "end_time": session.end_time,
            "valid_from": session.valid_from,
            "valid_to": session.valid_to,
            "notes": session.notes,
        }
        for session in item.sessions
    ]
    return factories.make_activity(
        organisations[item.organisation],
        item.title,
        needs=[needs[slug] for slug in item.needs],
        sessions=sessions,
        live=live,
        **item.page_fields(),
    )


class ModerationUnavailable(DemoBuildError):
    """The directory's moderation workflow has no active task, so a submission would publish at once."""


@transaction.atomic
def build_moderation_examples(plan: DemoPlan, *, editor) -> int:
    """A new listing and a change to a live one, submitted by ``editor``, waiting for a moderator.

    Returns how many it started (0 when they are already there). Raises
    ``ModerationUnavailable``, having changed nothing, when the organisation's workflow has
    no active task: Wagtail would then publish the submissions straight away (and refuse,
    as the editor may not publish).
    """
    started = 0
    organisations = _organisations_by_key(plan)
    organisation = organisations[plan.editor_organisation]
    workflow = organisation.get_workflow()
    if workflow is None or not workflow.tasks.filter(active=True).exists():
        raise ModerationUnavailable(
            f"The moderation workflow {workflow.name if workflow else ''!r} for {organisation.title} has no "
            "active task, so the listings awaiting moderation were not created."
        )

    new = ActivityPage.objects.filter(oruk_id=plan.pending_new.oruk_id).first()
    if new is None:
        with factories.deferred_indexing():
            new = make_planned_activity(
                plan.pending_new,
                organisations=organisations,
                venues=_venues_by_key(plan),
                needs=_needs_by_slug(),
                live=False,
            )
        _submit(new, editor)
        started += 1

    changed_key, new_summary = plan.pending_change
    changed_oruk_id = next(a.oruk_id for a in plan.activities if a.key == changed_key)
    changed = ActivityPage.objects.child_of(organisation).filter(oruk_id=changed_oruk_id).first()
    if changed is not None and not WorkflowState.objects.for_instance(changed).exists():
        changed.summary = new_summary
        changed.save_revision(user=editor)
        _submit(changed, editor)
        started += 1
    return started


def _submit(page, user) -> None:
    page.get_workflow().start(page, user)


def _needs_by_slug() -> dict[str, NeedTerm]:
    # The plan names the default vocabulary's slugs; a moderator may have renamed a term's
    # slug since, and the vocabulary finds it by its ORUK id.
    return ensure_needs_vocabulary()


def _organisations_by_key(plan: DemoPlan) -> dict[str, OrganisationPage]:
    ids = [o.oruk_id for o in plan.organisations]
    by_oruk_id = {o.oruk_id: o for o in OrganisationPage.objects.filter(oruk_id__in=ids)}
    return {item.key: by_oruk_id[item.oruk_id] for item in plan.organisations if item.oruk_id in by_oruk_id}


def _venues_by_key(plan: DemoPlan) -> dict[str, Venue]:
    by_oruk_id = {v.oruk_id: v for v in Venue.objects.filter(oruk_id__in=[v.oruk_id for v in plan.venues])}
    return {item.key: by_oruk_id[item.oruk_id] for item in plan.venues if item.oruk_id in by_oruk_id}

