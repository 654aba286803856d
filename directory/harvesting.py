"""Harvesting other directories' Open Referral UK feeds on a schedule.

A ``Feed`` (name, base URL, how often, which needs or areas to take) is managed by
administrators in the admin. ``harvest_due_feeds`` (the worker's job, every 15 minutes)
harvests each active feed whose interval has passed; ``feed_harvest`` harvests one and
leaves a ``HarvestRun``: what was created, updated, unchanged, unpublished, republished and
skipped, each skipped service with why, and the feed's warnings.

A run
=====
* **Incremental**: asks the feed for services modified after the start of its last
  successful run (less ``OVERLAP``, for clocks that disagree; the first run takes
  everything), decides per service (below), and imports the rest with ``skip_invalid``: one
  invalid record does not hold back a council's whole feed; it is reported with why and
  taken on a later run once the feed mends it (its ``last_modified`` then changes).
* **Full pass**, every ``full_pass_every_days``: the same, and first it pages through the
  feed's ``/services`` for ids alone. A listing harvested from this feed whose id is no
  longer listed is **unpublished, never deleted** (its history, referrals and links stay);
  one unpublished that way whose id is listed again is republished. A feed that lists no
  services at all unpublishes nothing (more likely broken than emptied), with a warning.
* **A failure changes nothing.** The feed is read whole before anything is written, and
  the writing (import, provenance, unpublishing) is one transaction. A feed that cannot be
  read (after ``FeedClient``'s retries) or an import that fails leaves a run with the error;
  the job never raises, and the next run asks again from the last successful one.

Which services a feed may change (the conflict rule)
====================================================
* **A harvested listing that no organisation has claimed is the feed's.** The feed's
  update wins: edits made here are overwritten by the next change in the feed, as the
  importer's rules for each field say (``directory.oruk.records``). Editors are told so on
  the listing's edit page, and offered to claim it.
* **A claimed listing is the claiming organisation's.** A VCFSE organisation's editor
  claims a harvested listing of their organisation; a moderator claims one for any
  organisation (it moves under that organisation's page). From then on the feed never
  changes it: its updates are reported as skipped ("claimed by …"), and it is not
  unpublished when it leaves the feed.
* **A listing the feed did not bring in is never touched**: one written here, imported by
  hand (``import_directory``) or harvested from another feed, even if the feed carries
  the same ORUK id (skipped, with why).
* **A listing a moderator unpublished stays unpublished**: harvesting republishes only what
  it unpublished itself.
* Services outside the feed's needs or areas are left out (counted, not listed); listings
  harvested before a filter changed are kept as they are.

Provenance (``HarvestedListing``: which feed, first and last harvested, claimed by whom)
is kept beside the page, not on it, so publishing an old revision cannot bring back old
provenance. The activity's page says "Listing from <feed>, updated <date>".
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import timezone
from wagtail.coreutils import find_available_slug
from wagtail.log_actions import log
from wagtail.models import Page

from directory.models import (
    ActivityPage,
    Feed,
    HarvestedListing,
    HarvestKind,
    HarvestRun,
    NeedTerm,
    OrganisationPage,
)
from directory.oruk.fetching import FeedClient, FeedError, service_ids_from_api
from directory.oruk.importer import (
    ImportFileError,
    Skipped,
    directory_import_apply,
    directory_import_plan,
    no_progress,
    read_feed,
)
from directory.permissions import is_directory_moderator, organisations_edited_by
from directory.selectors import directory_index

logger = logging.getLogger(__name__)

# Modified-after is the start of the last successful run less this: clocks disagree, and a
# service fetched twice is only "unchanged" the second time.
OVERLAP = timedelta(minutes=10)
# A run that has held its feed this long has died (a killed worker): the feed is free again.
STALE_RUN = timedelta(hours=6)

CLAIM_LOG_ACTION = "directory.claim_listing"

_AREA = re.compile(r"[A-Z]{1,2}")  # a postcode's area: the letters its outward code starts with

Progress = Callable[..., Iterable]


# --- Deciding per service --------------------------------------------------------------------


def _oruk_id(record) -> str | None:
    value = record.get("id") if isinstance(record, dict) else None
    return value.strip().lower() if isinstance(value, str) and value.strip() else None


def _dicts(value) -> list[dict]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _term_ids(record: dict) -> set[str]:
    """The ids of a service's taxonomy terms, and of their parents as the feed gives them."""
    ids = set()
    terms = [attribute.get("taxonomy_term") for attribute in _dicts(record.get("attributes"))]
    terms += _dicts(record.get("taxonomy_terms"))
    for term in terms:
        if isinstance(term, dict):
            ids |= {value for value in (term.get("id"), term.get("parent_id")) if isinstance(value, str)}
    ids |= {a["taxonomy_term_id"] for a in _dicts(record.get("attributes")) if isinstance(a.get("taxonomy_term_id"), str)}
    return {value.strip().lower() for value in ids}


def _places(record: dict) -> tuple[set[str], set[str]]:
    """A service's postcodes (compact, upper case) and the names of the areas it covers."""
    postcodes = set()
    for at_location in _dicts(record.get("service_at_locations")):
        location = at_location.get("location")
        for address in _dicts(location.get("addresses") if isinstance(location, dict) else None):
            if isinstance(address.get("postal_code"), str):
                postcodes.add(address["postal_code"].replace(" ", "").upper())
    names = {area["name"].strip().lower() for area in _dicts(record.get("service_areas")) if isinstance(area.get("name"), str)}
    return postcodes, names


def _in_area(entry: str, postcodes: set[str], names: set[str]) -> bool:
    """Whether ``entry`` (a postcode area, district, sector or whole postcode, or the name of
    an area) takes a service at ``postcodes`` covering ``names``."""
    if entry.strip().lower() in names:
        return True
    compact = entry.replace(" ", "").upper()
    for postcode in postcodes:
        if len(postcode) < 5:
            continue
        outward = postcode[:-3]
        area = _AREA.match(outward).group() if _AREA.match(outward) else outward
        if compact in (postcode, postcode[:-2], outward, area):
            return True
    return False


@dataclass
class Decisions:
    """What to do with each record a feed sent, before anything is written."""

    records: list = field(default_factory=list)  # to import
    skipped: list[Skipped] = field(default_factory=list)
    left_out: int = 0  # outside the feed's needs or areas


class _Filters:
    def __init__(self, feed: Feed):
        chosen = NeedTerm.objects.filter(pk__in=feed.needs.values("pk"))
        self.term_ids = (
            {value.lower() for value in chosen.with_descendants().values_list("oruk_id", flat=True)}
            if chosen.exists()
            else None
        )
        self.areas = feed.area_list

    def take(self, record: dict) -> bool:
        if self.term_ids is not None and not (_term_ids(record) & self.term_ids):
            return False
        if self.areas:
            postcodes, names = _places(record)
            return any(_in_area(entry, postcodes, names) for entry in self.areas)
        return True


def _why_not(page: ActivityPage, harvest: HarvestedListing | None, feed: Feed) -> str | None:
    """Why the feed may not change ``page`` (the conflict rule), or None if it may."""
    if harvest is None:
        return "already in the directory and not harvested from a feed: a listing kept here is never overwritten"
    if harvest.feed_id != feed.pk:
        return f"harvested from another feed, {harvest.feed.name}"
    if harvest.claimed:
        by = harvest.claimed_by.title if harvest.claimed_by else "an organisation"
        return f"claimed locally by {by} on {timezone.localtime(harvest.claimed_at):%d %b %Y}: the feed no longer updates it"
    if not page.live and harvest.left_feed_at is None:
        return "unpublished here by a moderator: harvesting does not publish it again"
    return None


def feed_decisions(*, feed: Feed, records: list) -> Decisions:
    """Which of ``records`` the feed may import (see the module's docstring)."""
    decisions = Decisions()
    filters = _Filters(feed)
    ids = [oruk_id for oruk_id in map(_oruk_id, records) if oruk_id]
    pages = {
        page.oruk_id.lower(): page
        for page in ActivityPage.objects.filter(oruk_id__in=ids).select_related(
            "harvest__feed", "harvest__claimed_by"
        )
    }
    for record in records:
        oruk_id = _oruk_id(record)
        if oruk_id is None:
            decisions.records.append(record)  # the importer reports it, with why
            continue
        if not filters.take(record):
            decisions.left_out += 1
            continue
        page = pages.get(oruk_id)
        reason = _why_not(page, getattr(page, "harvest", None), feed) if page else None
        if reason:
            decisions.skipped.append(Skipped(label=f"service {oruk_id}", oruk_id=oruk_id, reasons=(reason,)))
        else:
            decisions.records.append(record)
    return decisions


# --- One run ---------------------------------------------------------------------------------


def _hold(feed: Feed, now: datetime) -> bool:
    """Take the feed for this run; False if another run holds it."""
    free = Q(running_since__isnull=True) | Q(running_since__lt=now - STALE_RUN)
    return Feed.objects.filter(free, pk=feed.pk).update(running_since=now) == 1


def feed_harvest(
    *,
    feed: Feed,
    full: bool | None = None,
    client: FeedClient | None = None,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> HarvestRun | None:
    """Harvest ``feed`` once and return the run's report; ``full`` forces (or with False
    prevents) a full pass, else one is made when due. None if another run holds the feed.
    Never raises for a feed that fails: the run records the error and nothing changes."""
    now = now or timezone.now()
    progress = progress or no_progress
    if not _hold(feed, now):
        return None
    full = feed.full_pass_due(now) if full is None else full
    modified_after = feed.last_success_at - OVERLAP if feed.last_success_at else None
    run = HarvestRun.objects.create(
        feed=feed,
        kind=HarvestKind.FULL if full else HarvestKind.INCREMENTAL,
        started_at=now,
        modified_after=modified_after,
    )
    Feed.objects.filter(pk=feed.pk).update(last_run_at=now)
    try:
        _run(run, feed=feed, full=full, client=client or FeedClient(), progress=progress)
    except (FeedError, ImportFileError) as error:
        _failed(run, str(error))
    except (DatabaseError, ValidationError) as error:
        _failed(run, f"the import failed and was undone, so nothing changed: {error}")
    except Exception as error:  # a bug: recorded on the run too, so the job goes on to the next feed
        logger.exception("Harvesting %s failed", feed.name)
        _failed(run, f"an unexpected error ({type(error).__name__}: {error}); nothing changed")
    finally:
        Feed.objects.filter(pk=feed.pk).update(running_since=None)
    feed.refresh_from_db()
    return run


def _failed(run: HarvestRun, error: str) -> None:
    run.error = error
    run.finished_at = timezone.now()
    run.save()


def _run(run: HarvestRun, *, feed: Feed, full: bool, client: FeedClient, progress: Progress) -> None:
    index = directory_index()
    if index is None:
        raise ImportFileError("The site has no directory to import into yet: run manage.py setup_site first.")
    # Read everything first: a feed that fails half way has changed nothing.
    listed = service_ids_from_api(feed.base_url, client=client) if full else None
    records = read_feed(feed.base_url, modified_after=run.modified_after, progress=progress, client=client).records
    decisions = feed_decisions(feed=feed, records=records)
    plan = directory_import_plan(records=decisions.records, progress=progress, skip_invalid=True)

    with transaction.atomic():
        report = directory_import_apply(plan=plan, index=index, progress=progress)
        harvested = _record_provenance(feed, report.activities, run.started_at)
        back = set(report.activities) | (listed or set())
        republished = _republish_returned(feed, back)
        unpublished, warnings = _unpublish_left(feed, listed) if listed is not None else ([], [])

        run.created, run.updated, run.unchanged = len(report.created), len(report.updated), len(report.unchanged)
        skipped = decisions.skipped + report.skipped
        run.skipped = len(skipped)
        run.skipped_items = [
            {"id": item.oruk_id, "label": item.label, "reasons": list(item.reasons)} for item in skipped
        ]
        run.left_out = decisions.left_out
        run.unpublished, run.unpublished_ids = len(unpublished), unpublished
        run.republished, run.republished_ids = len(republished), republished
        run.warnings = list(report.warnings) + warnings
        run.finished_at = timezone.now()
        run.save()
        done = {"last_success_at": run.started_at}
        if full:
            done["last_full_pass_at"] = run.started_at
        Feed.objects.filter(pk=feed.pk).update(**done)
    logger.info("Harvested %s: %s (%d pages touched)", feed.name, run.outcome, harvested)


def _record_provenance(feed: Feed, activities: dict[str, str], when: datetime) -> int:
    pages = ActivityPage.objects.filter(oruk_id__in=list(activities)).select_related("harvest")
    for page in pages:
        harvest = getattr(page, "harvest", None)
        if harvest is None:
            HarvestedListing.objects.create(activity=page, feed=feed, first_harvested_at=when, last_harvested_at=when)
        else:
            HarvestedListing.objects.filter(pk=harvest.pk).update(last_harvested_at=when)
    return len(pages)


def _republish_returned(feed: Feed, listed: set[str]) -> list[str]:
    """Publish again the listings harvesting unpublished that are back in the feed."""
    republished = []
    returned = HarvestedListing.objects.filter(feed=feed, left_feed_at__isnull=False, claimed_at__isnull=True)
    for harvest in returned.select_related("activity"):
        page = harvest.activity
        if page.oruk_id.lower() not in listed:
            continue
        page.refresh_from_db()
        if not page.live:  # an update in this run has already published it
            page.save_revision(log_action=True).publish()
        harvest.left_feed_at = None
        harvest.save(update_fields=["left_feed_at"])
        republished.append(page.oruk_id)
    return sorted(republished)


def _unpublish_left(feed: Feed, listed: set[str]) -> tuple[list[str], list[str]]:
    """Unpublish (never delete) the feed's live, unclaimed listings it no longer lists."""
    listings = HarvestedListing.objects.filter(feed=feed).select_related("activity", "claimed_by")
    gone = [harvest for harvest in listings if harvest.activity.oruk_id.lower() not in listed]
    if not listed and listings.exists():
        warning = (
            f"The feed listed no services at all, so none of its {listings.count()} listings was unpublished: "
            "a feed that empties itself is more likely broken. Unpublish them by hand if they have really gone."
        )
        return [], [warning]
    unpublished, warnings = [], []
    now = timezone.now()
    for harvest in gone:
        page = harvest.activity
        if harvest.claimed:
            by = harvest.claimed_by.title if harvest.claimed_by else "an organisation"
            warnings.append(f"service {page.oruk_id} is no longer in the feed; kept, as {by} has claimed it.")
            continue
        if not page.live:
            continue  # already unpublished (by harvesting, or by a moderator)
        page.unpublish(log_action=True)
        harvest.left_feed_at = now
        harvest.save(update_fields=["left_feed_at"])
        unpublished.append(page.oruk_id)
    return sorted(unpublished), warnings


# --- The job ----------------------------------------------------------------------------------


def due_feeds(now: datetime | None = None) -> list[Feed]:
    now = now or timezone.now()
    return [feed for feed in Feed.objects.filter(active=True) if feed.is_due(now)]


def harvest_due_feeds(*, now: datetime | None = None, client_factory: Callable[[], FeedClient] = FeedClient) -> list[HarvestRun]:
    """Harvest every active feed that is due (the worker's job); a full pass where due."""
    runs = []
    for feed in due_feeds(now):
        run = feed_harvest(feed=feed, client=client_factory(), now=now)
        if run is not None:
            runs.append(run)
    return runs


# --- Claiming --------------------------------------------------------------------------------


class ClaimError(Exception):
    """The listing cannot be claimed (not harvested, or claimed already)."""


def claimable_organisations(*, user, activity: ActivityPage):
    """The organisations ``user`` may claim ``activity`` for: any, for a moderator; for an
    editor, the activity's own organisation when they edit it."""
    if is_directory_moderator(user):
        return OrganisationPage.objects.order_by("title")
    if not activity.permissions_for_user(user).can_edit():
        return OrganisationPage.objects.none()
    return organisations_edited_by(user).filter(pk=activity.get_parent().pk)


def may_claim(*, user, activity: ActivityPage) -> bool:
    harvest = HarvestedListing.objects.filter(activity=activity).first()
    return harvest is not None and not harvest.claimed and claimable_organisations(user=user, activity=activity).exists()


@transaction.atomic
def listing_claim(*, activity: ActivityPage, organisation: OrganisationPage, user) -> HarvestedListing:
    """``organisation`` claims the harvested ``activity``: it moves under the organisation's
    page (so its editors edit it) and the feed no longer changes or unpublishes it."""
    harvest = HarvestedListing.objects.select_for_update().filter(activity=activity).first()
    if harvest is None:
        raise ClaimError("Only a listing harvested from a feed can be claimed.")
    if harvest.claimed:
        raise ClaimError("This listing has already been claimed.")
    if not claimable_organisations(user=user, activity=activity).filter(pk=organisation.pk).exists():
        raise PermissionDenied("You cannot claim this listing for that organisation.")
    parent = activity.get_parent()
    if parent.pk != organisation.pk:
        slug = find_available_slug(organisation, activity.slug, ignore_page_id=activity.pk)
        if slug != activity.slug:
            Page.objects.filter(pk=activity.pk).update(slug=slug)
            activity.slug = slug
        activity.move(organisation, pos="last-child", user=user)
    harvest.claimed_by = organisation
    harvest.claimed_at = timezone.now()
    harvest.claimed_by_user = user
    harvest.save()
    log(
        instance=activity,
        action=CLAIM_LOG_ACTION,
        user=user,
        data={"organisation": organisation.title, "feed": harvest.feed.name},
    )
    return harvest
