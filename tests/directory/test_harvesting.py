"""Harvesting ORUK feeds on a schedule (issue 14, item 4): incremental runs, full passes that
unpublish what left, reports for moderators, provenance, claiming and the conflict rule.
The feed is a real HTTP server on localhost (``FakeFeed``), as for the importer's tests."""

import json
from datetime import datetime, timedelta
from io import StringIO

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from pages.scheduler import SCHEDULE, enqueue_due
from wagtail.models import PageLogEntry

from directory.harvesting import OVERLAP, feed_harvest, harvest_due_feeds
from directory.models import ActivityPage, Feed, HarvestedListing, HarvestRun, NeedTerm
from directory.permissions import organisation_sync_editor_permissions
from factories.directory import make_activity, make_organisation
from tests.directory.test_oruk_feeds import (
    FEED,
    HOME_VISITS,
    INVALID,
    NORDIC,
    WALKING,
    FakeFeed,
    _client,
)
from tests.directory.test_permissions import make_editor, make_moderator

pytestmark = pytest.mark.django_db

T0 = timezone.now().replace(microsecond=0)


def _services(modified=T0 - timedelta(days=1)) -> list[dict]:
    services = json.loads((FEED / "council_page.json").read_text())["contents"]
    for service in services:
        service["last_modified"] = modified.isoformat()
    return services


@pytest.fixture
def server():
    feed = FakeFeed(_services())
    yield feed
    feed.close()


@pytest.fixture
def council(server) -> Feed:
    return Feed.objects.create(name="Poole Council", base_url=server.url, every_hours=6, full_pass_every_days=7)


def _harvest(feed: Feed, *, at=T0, full=None) -> HarvestRun:
    run = feed_harvest(feed=feed, client=_client(), now=at, full=full)
    feed.refresh_from_db()
    return run


def _touch(server, oruk_id, *, at, **changes):
    """The feed changes one service, last modified ``at``."""
    [service] = [s for s in server.services if s["id"] == oruk_id]
    service.update(changes, last_modified=at.isoformat())


def _provenance(client, page) -> str:
    response = client.get(page.url)
    assert response.status_code == 200
    found = BeautifulSoup(response.content, "html.parser").find(class_="signpost-provenance")
    return found.get_text(" ", strip=True) if found else ""


# --- Runs and their reports -------------------------------------------------------------------


def test_a_first_run_takes_everything_and_each_listing_says_where_it_came_from(home, postcodes, council, client):
    run = _harvest(council)

    assert run.error == "" and run.finished_at is not None
    assert (run.kind, run.modified_after) == ("full", None)  # never had a full pass: the first is one
    assert (run.created, run.updated, run.unchanged, run.unpublished, run.skipped) == (3, 0, 0, 0, 0)
    assert set(HarvestedListing.objects.values_list("activity__oruk_id", flat=True)) == {WALKING, NORDIC, HOME_VISITS}
    assert (council.last_success_at, council.last_full_pass_at) == (T0, T0)

    walking = ActivityPage.objects.get(oruk_id=WALKING)
    today = timezone.localtime(T0)
    assert _provenance(client, walking) == f"Listing from Poole Council, updated {today.day} {today:%B %Y}."
    # A listing written here says nothing of the kind.
    local = make_activity(walking.get_parent().specific, "Knit and natter")
    assert _provenance(client, local) == ""


def test_incremental_runs_ask_for_what_changed_since_the_last_successful_run(home, postcodes, council, server):
    _harvest(council)
    server.requests.clear()
    later = T0 + timedelta(hours=7)
    _touch(server, NORDIC, at=T0 + timedelta(hours=1), name="Nordic walking at Baiter Park (new time)")

    run = _harvest(council, at=later)

    assert run.kind == "incremental" and run.modified_after == T0 - OVERLAP
    asked = {query.get("modified_after") for path, query in server.requests if path == "/services"}
    assert {datetime.fromisoformat(value) for value in asked} == {T0 - OVERLAP}
    # The fake ignores modified_after, as some feeds do: only the changed service is fetched in full.
    assert [path for path, _ in server.requests if path != "/services"] == [f"/services/{NORDIC}"]
    assert (run.created, run.updated, run.unchanged) == (0, 1, 0)
    assert ActivityPage.objects.get(oruk_id=NORDIC).title == "Nordic walking at Baiter Park (new time)"

    # A failed run does not move the point the next one asks from.
    server.failures, server.status = {"/services": 99}, 500
    failed = _harvest(council, at=later + timedelta(hours=7))
    assert failed.error
    server.failures = {}
    after_failure = _harvest(council, at=later + timedelta(hours=14))
    assert after_failure.modified_after == later - OVERLAP


def test_a_feed_that_keeps_failing_leaves_a_run_with_the_error_and_changes_nothing(home, postcodes, council, server):
    _harvest(council)
    before = list(ActivityPage.objects.order_by("pk").values_list("title", "live", "latest_revision_id"))
    _touch(server, WALKING, at=T0 + timedelta(hours=1), name="Renamed")
    server.failures, server.status = {f"/services/{WALKING}": 99}, 500

    [run] = harvest_due_feeds(now=T0 + timedelta(days=8), client_factory=_client)  # never raises

    assert run.kind == "full" and run.finished_at is not None
    assert run.error == (f"{server.url}/services/{WALKING} failed 3 times; the last time it answered 500 "
                         "Internal Server Error.")
    assert run.outcome.startswith("Failed: ")
    assert list(ActivityPage.objects.order_by("pk").values_list("title", "live", "latest_revision_id")) == before
    council.refresh_from_db()
    assert (council.last_success_at, council.last_full_pass_at) == (T0, T0)
    assert council.last_run_at == T0 + timedelta(days=8) and council.running_since is None


def test_the_report_counts_what_happened_and_names_each_skipped_service_with_why(home, postcodes, council, server):
    server.services = json.loads((FEED / "with_invalid_record.json").read_text())
    for service in server.services:
        service["last_modified"] = (T0 - timedelta(days=1)).isoformat()
    local = make_organisation("Poole Walkers")
    make_activity(local, "Our own walk", oruk_id=HOME_VISITS)  # written here, same id as the feed's

    run = _harvest(council)

    assert (run.created, run.skipped) == (1, 2)
    reasons = {item["id"]: item["reasons"] for item in run.skipped_items}
    assert reasons[HOME_VISITS] == [
        "already in the directory and not harvested from a feed: a listing kept here is never overwritten"
    ]
    assert "schedules[0].byday: 'XX' is not a weekday (use MO, TU, WE, TH, FR, SA or SU)" in reasons[INVALID]
    assert ActivityPage.objects.get(oruk_id=HOME_VISITS).title == "Our own walk"
    lines = run.report_lines()
    assert lines[0] == "1 created, 0 updated, 0 unchanged, 0 unpublished, 0 republished, 2 skipped"
    assert any(line.startswith(f"Skipped service {INVALID}: schedules[0].byday") for line in lines)
    assert any(line.startswith("Warning: Timestamps") or "Warning: " in line for line in lines)


def test_a_feeds_needs_and_areas_decide_which_services_it_takes(home, postcodes, server):
    by_area = Feed.objects.create(name="Poole by area", base_url=server.url, areas="BH15\nBroadstone")
    run = _harvest(by_area)
    assert set(ActivityPage.objects.values_list("oruk_id", flat=True)) == {WALKING, HOME_VISITS}
    assert (run.created, run.left_out) == (2, 1)  # the Nordic walk has coordinates and no postcode
    assert "1 outside the feed's needs or areas" in run.outcome

    ActivityPage.objects.all().delete()
    loneliness = NeedTerm.objects.get(oruk_id="7c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e41")  # the council's, imported
    by_need = Feed.objects.create(name="Poole by need", base_url=server.url + "/")
    by_need.needs.set([loneliness])
    _harvest(by_need)
    assert set(ActivityPage.objects.values_list("oruk_id", flat=True)) == {HOME_VISITS}


def test_a_feed_is_an_http_or_https_url_and_its_areas_are_places(home):
    feed = Feed(name="Files", base_url="ftp://example.org/oruk", areas="BH15, 12345")
    with pytest.raises(ValidationError) as raised:
        feed.full_clean()
    assert set(raised.value.message_dict) == {"base_url", "areas"}
    Feed(name="Poole", base_url="https://example.org/oruk", areas="BH, BH15 1, Poole").full_clean()


# --- Leaving the feed and coming back -----------------------------------------------------------


def test_a_full_pass_unpublishes_a_listing_that_left_and_republishes_it_when_it_returns(
    home, postcodes, council, server, client
):
    _harvest(council)
    nordic = ActivityPage.objects.get(oruk_id=NORDIC)
    gone = [s for s in server.services if s["id"] == NORDIC]
    server.services = [s for s in server.services if s["id"] != NORDIC]

    incremental = _harvest(council, at=T0 + timedelta(hours=7))
    assert incremental.kind == "incremental" and incremental.unpublished == 0  # only a full pass looks for leavers

    run = _harvest(council, at=T0 + timedelta(days=7, hours=1))
    assert run.kind == "full" and run.unpublished_ids == [NORDIC] and run.unpublished == 1
    nordic.refresh_from_db()
    assert not nordic.live  # unpublished, not deleted
    assert client.get(nordic.url or f"/organisations/{nordic.get_parent().slug}/{nordic.slug}/").status_code == 404
    assert PageLogEntry.objects.filter(page=nordic, action="wagtail.unpublish").exists()

    server.services += gone  # back, unchanged since before it left
    back = _harvest(council, at=T0 + timedelta(days=7, hours=8), full=True)
    assert back.republished_ids == [NORDIC] and back.unpublished == 0
    nordic.refresh_from_db()
    assert nordic.live and nordic.harvest.left_feed_at is None
    assert client.get(nordic.url).status_code == 200


def test_a_feed_that_lists_nothing_unpublishes_nothing(home, postcodes, council, server):
    _harvest(council)
    server.services = []
    run = _harvest(council, at=T0 + timedelta(days=8))
    assert run.error == "" and run.unpublished == 0
    assert ActivityPage.objects.live().count() == 3
    assert any("listed no services at all" in warning for warning in run.warnings)


# --- Who wins: the feed or a local edit -----------------------------------------------------------


def _edit_locally(page, **changes):
    for name, value in changes.items():
        setattr(page, name, value)
    page.save_revision().publish()


def test_the_feed_overwrites_local_edits_to_a_listing_nobody_has_claimed(home, postcodes, council, server):
    _harvest(council)
    walking = ActivityPage.objects.get(oruk_id=WALKING)
    _edit_locally(walking, title="Walking in Poole Park (edited here)")

    _touch(server, WALKING, at=T0 + timedelta(hours=1), name="Walking for Health: Poole Park (summer)")
    run = _harvest(council, at=T0 + timedelta(hours=7))

    assert run.updated == 1
    assert ActivityPage.objects.get(oruk_id=WALKING).title == "Walking for Health: Poole Park (summer)"


def test_a_listing_a_moderator_unpublished_stays_unpublished(home, postcodes, council, server):
    _harvest(council)
    walking = ActivityPage.objects.get(oruk_id=WALKING)
    walking.unpublish()
    _touch(server, WALKING, at=T0 + timedelta(hours=1), name="Walking for Health (new)")

    run = _harvest(council, at=T0 + timedelta(days=8))

    assert run.skipped_items == [{"id": WALKING, "label": f"service {WALKING}", "reasons": [
        "unpublished here by a moderator: harvesting does not publish it again"]}]
    walking.refresh_from_db()
    assert not walking.live and walking.title == "Walking for Health: Poole Park"


def test_a_claimed_listing_is_no_longer_changed_or_unpublished_by_the_feed(
    home, postcodes, council, server, sign_in, client
):
    _harvest(council)
    walking = ActivityPage.objects.get(oruk_id=WALKING)
    organisation = walking.get_parent().specific
    organisation_sync_editor_permissions(organisation=organisation)
    editor = make_editor(organisation, "poole-editor")
    sign_in(editor)

    # The editor is told the listing is the feed's, and offered to claim it.
    edit = client.get(reverse("wagtailadmin_pages:edit", args=[walking.pk])).content.decode()
    assert "This listing is harvested from Poole Council" in edit
    assert reverse("directory_claim_listing", args=[walking.pk]) in edit
    response = client.post(reverse("directory_claim_listing", args=[walking.pk]), {"organisation": organisation.pk})
    assert response.status_code == 302
    harvest = HarvestedListing.objects.get(activity=walking)
    assert harvest.claimed and harvest.claimed_by == organisation and harvest.claimed_by_user == editor
    assert PageLogEntry.objects.filter(page=walking, action="directory.claim_listing", user=editor).exists()

    _edit_locally(walking, title="Walking in Poole Park with the Poole Walkers")
    _touch(server, WALKING, at=T0 + timedelta(hours=1), name="Walking for Health: Poole Park (summer)")
    run = _harvest(council, at=T0 + timedelta(hours=7))
    assert run.updated == 0
    [skipped] = run.skipped_items
    assert skipped["id"] == WALKING
    assert skipped["reasons"][0].startswith("claimed locally by Poole Community Connect on ")
    assert ActivityPage.objects.get(oruk_id=WALKING).title == "Walking in Poole Park with the Poole Walkers"

    server.services = [s for s in server.services if s["id"] != WALKING]
    left = _harvest(council, at=T0 + timedelta(days=8))
    assert left.unpublished == 0 and ActivityPage.objects.get(oruk_id=WALKING).live
    assert any("kept, as Poole Community Connect has claimed it" in warning for warning in left.warnings)
    assert _provenance(client, walking) == (
        "Listing first from Poole Council; now kept up to date by Poole Community Connect."
    )


def test_a_moderator_claims_a_listing_for_another_organisation_and_it_moves_there(
    home, postcodes, council, sign_in, client
):
    _harvest(council)
    visits = ActivityPage.objects.get(oruk_id=HOME_VISITS)
    walkers = make_organisation("Poole Walkers")
    outsider = make_editor(walkers, "walkers-editor")
    url = reverse("directory_claim_listing", args=[visits.pk])

    sign_in(outsider)  # an editor of another organisation cannot see it, let alone claim it
    assert client.get(url).status_code == 404
    assert client.post(url, {"organisation": walkers.pk}).status_code == 404

    sign_in(make_moderator())
    assert client.get(url).status_code == 200
    assert client.post(url, {"organisation": walkers.pk}).status_code == 302
    visits.refresh_from_db()
    assert visits.get_parent().pk == walkers.pk
    assert visits.permissions_for_user(outsider).can_edit()  # now the claiming organisation's to edit
    assert client.get(url).status_code == 404  # claimed once only


# --- The admin, the job and the command ------------------------------------------------------------


def test_moderators_read_each_runs_report_and_nobody_writes_one(home, postcodes, council, server, sign_in, client):
    server.services[0]["schedules"][0]["byday"] = "XX"
    run = _harvest(council)
    sign_in(make_moderator())

    listing = client.get(reverse("wagtailsnippets_directory_harvestrun:list"))
    assert listing.status_code == 200
    assert "Poole Council" in listing.content.decode()
    report = client.get(reverse("wagtailsnippets_directory_harvestrun:inspect", args=[run.pk])).content.decode()
    assert f"Skipped service {WALKING}: schedules[0].byday: &#x27;XX&#x27; is not a weekday" in report
    assert client.get(reverse("wagtailsnippets_directory_harvestrun:add")).status_code in (302, 403)
    assert client.get(reverse("wagtailsnippets_directory_harvestrun:edit", args=[run.pk])).status_code in (302, 403, 404)
    # Feeds are the administrators': moderators read them.
    assert client.get(reverse("wagtailsnippets_directory_feed:list")).status_code == 200
    assert client.get(reverse("wagtailsnippets_directory_feed:add")).status_code in (302, 403)


def test_the_scheduler_enqueues_the_harvest_and_each_feed_runs_when_due(home, postcodes, council):
    [job] = [job for job in SCHEDULE if job.task == "directory.tasks.harvest_due_feeds_task"]
    assert job.every == timedelta(minutes=15)
    paused = Feed.objects.create(name="Paused", base_url="http://127.0.0.1:9/none", active=False)

    assert job.task in enqueue_due({}, schedule=[job])  # run at once by the tests' task backend
    assert ActivityPage.objects.count() == 3
    assert list(HarvestRun.objects.values_list("feed__name", flat=True)) == ["Poole Council"]
    council.refresh_from_db()
    assert not council.is_due(council.last_run_at + timedelta(hours=5)) and council.is_due(council.last_run_at + timedelta(hours=6))
    assert not paused.is_due()


def test_the_command_harvests_a_feed_by_name_with_a_report(home, postcodes, council, server):
    out = StringIO()
    call_command("harvest_feeds", "--feed", "Poole Council", "--full", "--retries", "0", stdout=out, stderr=StringIO())
    assert "Poole Council (Full pass (also finds listings that left the feed)): 3 created" in out.getvalue()

    server.failures, server.status = {"/services": 99}, 500
    with pytest.raises(CommandError, match="Harvesting failed for Poole Council; nothing changed"):
        call_command("harvest_feeds", "--feed", "Poole Council", "--retries", "0", stdout=StringIO(), stderr=StringIO())
    with pytest.raises(CommandError, match="No feed called 'Leeds'"):
        call_command("harvest_feeds", "--feed", "Leeds", stdout=StringIO())
