"""New pages from an import are published in bulk (``directory.page_tree``): the page tree, the
revisions, the log and search must be what publishing one by one leaves, and new organisations'
editors, groups and image collections what saving them one by one leaves; importing the same
feed again writes nothing, and skips the records it imported before unchanged."""

import json
import re
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from jsonschema import Draft202012Validator
from wagtail.images import get_image_model
from wagtail.models import (
    Collection,
    GroupCollectionPermission,
    GroupPagePermission,
    Page,
    PageLogEntry,
    ReferenceIndex,
    Revision,
)
from wagtail.permissions import policy_registry

from directory.models import ActivityPage, OrganisationPage
from directory.permissions import organisation_sync_editor_permissions
from factories.directory import make_activity, make_organisation
from search.selectors import search_activities
from search.types import SearchQuery
from tests.accounts import sign_in_verified
from tests.directory.test_permissions import assert_denied, form_data, make_editor

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "oruk"


def _feed(tmp_path, *, organisations: int, per_organisation: int) -> Path:
    """Services in ``organisations`` organisations, two of each organisation's named alike."""
    example = json.loads((FIXTURES / "service_full.json").read_text())[0]
    services, today = [], date.today().isoformat()
    for o in range(organisations):
        for s in range(per_organisation):
            service = json.loads(json.dumps(example))
            number = f"{o:04d}{s:04d}"
            service["id"] = f"00000000-0000-4000-8000-0000{number}"
            service["name"] = "Befriending walk" if s < 2 else f"Befriending walk {s}"
            service["organization"]["id"] = f"00000000-0000-4000-9000-00000000{o:04d}"
            service["organization"]["name"] = f"Walking friends {o}"
            service["organization_id"] = service["organization"]["id"]
            service["last_modified"] = service["assured_date"] = today  # listed, not stale
            for n, schedule in enumerate(service["schedules"]):
                schedule["id"] = f"00000000-0000-4000-a000-{number}{n:04d}"
                schedule["service_id"] = service["id"]
            services.append(service)
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(services))
    return path


def _import(path) -> str:
    out = StringIO()
    call_command("import_directory", str(path), stdout=out, stderr=StringIO())
    return out.getvalue()


def test_pages_published_in_bulk_form_a_valid_tree_beside_existing_pages(home, postcodes, tmp_path):
    existing = make_organisation("Already here")
    make_activity(existing, title="An older activity")

    _import(_feed(tmp_path, organisations=3, per_organisation=4))

    assert Page.find_problems() == ([], [], [], [], [])
    organisations = OrganisationPage.objects.filter(oruk_id__isnull=False).exclude(pk=existing.pk)
    assert organisations.count() == 3
    for organisation in organisations:
        children = ActivityPage.objects.child_of(organisation)
        assert organisation.numchild == children.count() == 4
        # Siblings with the same name get slugs of their own; URLs follow the tree.
        assert len({page.slug for page in children}) == 4
        for page in children:
            assert page.url_path == f"{organisation.url_path}{page.slug}/"
            assert page.get_parent().pk == organisation.pk
    index = Page.objects.get(pk=existing.get_parent().pk)
    assert index.numchild == index.get_children().count() == 4


def test_pages_published_in_bulk_are_live_with_one_revision_history_and_references(home, postcodes, tmp_path):
    _import(_feed(tmp_path, organisations=2, per_organisation=2))

    for page in ActivityPage.objects.all():
        assert page.live and not page.has_unpublished_changes
        assert page.latest_revision_id == page.live_revision_id
        assert Revision.page_revisions.filter(object_id=str(page.pk)).count() == 1
        # The revision holds the sessions and needs as saved, so publishing it again changes nothing.
        revision = page.latest_revision.as_object()
        assert [s.pk for s in revision.sessions.all()] == list(page.sessions.values_list("pk", flat=True))
        assert set(revision.needs.all()) == set(page.needs.all())
        actions = set(PageLogEntry.objects.filter(page=page).values_list("action", flat=True))
        assert actions == {"wagtail.create", "wagtail.publish"}
        assert ReferenceIndex.get_references_for_object(page).filter(model_path="sessions.item.venue").exists()
    for organisation in OrganisationPage.objects.filter(oruk_id__isnull=False):
        # What saving an organisation does: its editors group, with permissions on its own pages.
        assert organisation.editors is not None
        assert organisation.editors.page_permissions.filter(page=organisation).exists()
        assert organisation.live and organisation.live_revision_id


def test_pages_published_in_bulk_are_found_by_search(home, postcodes, tmp_path):
    _import(_feed(tmp_path, organisations=1, per_organisation=3))

    found = search_activities(query=SearchQuery(text="Befriending walk")).hits
    assert {hit.activity_id for hit in found} == set(ActivityPage.objects.values_list("pk", flat=True))
    # Wagtail's own index (the admin's page search) has them too.
    assert ActivityPage.objects.search("Befriending").count() == 3


def test_importing_the_same_feed_again_writes_nothing(home, postcodes, tmp_path):
    feed = _feed(tmp_path, organisations=2, per_organisation=3)
    _import(feed)

    with CaptureQueriesContext(connection) as queries:
        out = _import(feed)

    writes = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}]
    assert writes == []
    assert "6 unchanged" in out


# Editors of new organisations, made in bulk ------------------------------------------------


def test_collections_and_editor_groups_made_in_bulk_are_a_valid_tree_in_name_order(home, postcodes, tmp_path):
    # Existing collections on both sides of the new names, one with a collection inside it.
    zebra = make_organisation("Zebra club")
    apple = make_organisation("Apple growers")
    zebra_collection = Collection.objects.get(name=f"Zebra club ({zebra.pk})")
    zebra_collection.add_child(name="Zebra photos")

    _import(_feed(tmp_path, organisations=3, per_organisation=1))

    assert Collection.find_problems() == ([], [], [], [], [])
    root = Collection.get_first_root_node()
    names = [collection.name for collection in root.get_children()]
    assert names == sorted(names)  # Wagtail keeps collections in name order
    assert len(names) == 5
    assert [c.name for c in Collection.objects.get(pk=zebra_collection.pk).get_children()] == ["Zebra photos"]
    assert f"Apple growers ({apple.pk})" in names
    for organisation in OrganisationPage.objects.filter(oruk_id__startswith="00000000"):
        group = organisation.editors
        assert group.name == f"Editors: {organisation.title} ({organisation.pk})"
        collection = Collection.objects.get(name=f"{organisation.title} ({organisation.pk})")
        assert set(
            GroupCollectionPermission.objects.filter(group=group, collection=collection).values_list(
                "permission__codename", flat=True
            )
        ) == {"add_image", "choose_image", "change_image"}
        assert set(group.permissions.values_list("codename", flat=True)) == {
            "access_admin", "add_venue", "change_venue", "delete_venue", "view_venue"
        }
        assert set(group.page_permissions.filter(page=organisation).values_list("permission__codename", flat=True)) == {
            "add_page", "change_page"
        }
    # What saving the organisation one by one would leave: syncing it again changes nothing.
    organisation = OrganisationPage.objects.filter(oruk_id__startswith="00000000").first()
    before = (
        GroupCollectionPermission.objects.count(),
        GroupPagePermission.objects.count(),
        Collection.objects.count(),
    )
    organisation_sync_editor_permissions(organisation=organisation)
    assert (
        GroupCollectionPermission.objects.count(),
        GroupPagePermission.objects.count(),
        Collection.objects.count(),
    ) == before
    # A collection added afterwards, as Wagtail adds one, finds its place in the order.
    root = Collection.get_first_root_node()
    root.add_child(name="Middle")
    assert Collection.find_problems() == ([], [], [], [], [])
    names = [collection.name for collection in Collection.get_first_root_node().get_children()]
    assert names == sorted(names)


def test_an_editor_of_an_organisation_made_in_bulk_edits_its_pages_and_no_others(home, postcodes, tmp_path, client):
    _import(_feed(tmp_path, organisations=2, per_organisation=2))
    mine, theirs = OrganisationPage.objects.filter(oruk_id__startswith="00000000").order_by("title")
    editor = make_editor(mine, "bulk-editor")
    sign_in_verified(client, editor)
    activity = ActivityPage.objects.child_of(mine).first()
    other = ActivityPage.objects.child_of(theirs).first()

    url = reverse("wagtailadmin_pages:edit", args=[activity.pk])
    data = form_data(client.get(url), "page-edit-form")
    data.update(title=["Befriending walk by the sea"], **{"action-submit": ["1"]})
    response = client.post(url, data)
    assert response.status_code == 302

    activity.refresh_from_db()
    assert activity.get_latest_revision().as_object().title == "Befriending walk by the sea"
    assert_denied(client.get(reverse("wagtailadmin_pages:edit", args=[other.pk])))
    assert client.get(reverse("wagtailadmin_pages:edit", args=[mine.pk])).status_code == 200
    # Images go to the organisation's own collection.
    images = policy_registry.get_by_type(get_image_model())
    assert list(images.collections_user_has_permission_for(editor, "add")) == [
        Collection.objects.get(name=f"{mine.title} ({mine.pk})")
    ]


# Unchanged records -------------------------------------------------------------------------


@pytest.fixture
def validated(monkeypatch):
    """The ids of the service records checked against the JSON Schema (a spy: the check still runs)."""
    seen = []
    original = Draft202012Validator.iter_errors

    def iter_errors(self, instance, *args, **kwargs):
        if isinstance(instance, dict) and str(instance.get("id", "")).startswith("00000000-0000-4000-8000"):
            seen.append(instance["id"])
        return original(self, instance, *args, **kwargs)

    monkeypatch.setattr(Draft202012Validator, "iter_errors", iter_errors)
    return seen


def _with_a_warning(path: Path) -> Path:
    services = json.loads(path.read_text())
    for service in services:
        service["x_ward"] = "Poole Town"  # a field the schema does not define: a feed-wide warning
    path.write_text(json.dumps(services))
    return path


def _import_with_warnings(path) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_directory", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_an_unchanged_record_is_skipped_without_checking_it_again_and_warns_as_before(home, postcodes, tmp_path, validated):
    feed = _with_a_warning(_feed(tmp_path, organisations=2, per_organisation=2))
    first_out, first_err = _import_with_warnings(feed)
    assert len(validated) == 4
    validated.clear()

    out, err = _import_with_warnings(feed)

    assert validated == []
    assert "Imported 4 services" in out
    # Everything the first import created is counted unchanged, as checking it again would.
    for line in first_out.splitlines()[1:]:
        kind, created = re.match(r"\s+(\w+)\s+(\d+) created", line).groups()
        assert re.search(rf"{kind}\s+0 created, 0 updated, {created} unchanged", out), (line, out)
    assert "activities     0 created, 0 updated, 4 unchanged" in out
    assert "x_ward (in 4 services)" in first_err
    assert err == first_err  # the same warnings, though nothing was read again

    # One record changed: only it is checked and applied.
    services = json.loads(feed.read_text())
    services[1]["description"] = "Now on Thursdays too."
    feed.write_text(json.dumps(services))
    out, _ = _import_with_warnings(feed)
    assert validated == [services[1]["id"]]
    assert "activities     0 created, 1 updated, 3 unchanged" in out
    assert "Now on Thursdays too." in ActivityPage.objects.get(oruk_id=services[1]["id"]).description


def test_a_page_edited_here_is_not_skipped_and_the_feed_wins_as_before(home, postcodes, tmp_path, validated):
    feed = _feed(tmp_path, organisations=1, per_organisation=2)
    _import(feed)
    validated.clear()
    edited = ActivityPage.objects.order_by("pk").first()
    edited.title = "Renamed here"
    edited.save_revision().publish()

    out = _import(feed)

    assert validated == [edited.oruk_id]  # the other record is skipped
    edited.refresh_from_db()
    assert edited.title == "Befriending walk"  # the importer's rule: the feed's name wins
    assert "activities     0 created, 1 updated, 1 unchanged" in out
    # The next import finds both as they were left.
    validated.clear()
    _import(feed)
    assert validated == []


def test_an_organisation_edited_here_is_not_skipped(home, postcodes, tmp_path, validated):
    feed = _feed(tmp_path, organisations=1, per_organisation=2)
    _import(feed)
    validated.clear()
    organisation = OrganisationPage.objects.get(oruk_id="00000000-0000-4000-9000-000000000000")
    organisation.title = "Renamed here"
    organisation.save_revision().publish()

    out = _import(feed)

    assert len(validated) == 2
    organisation.refresh_from_db()
    assert organisation.title == "Walking friends 0"
    assert "organisations  0 created, 1 updated, 0 unchanged" in out
