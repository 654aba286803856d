"""New pages from an import are published in bulk (``directory.page_tree``): the page tree, the
revisions, the log and search must be what publishing one by one leaves; importing the same
feed again writes nothing."""

import json
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import Page, PageLogEntry, ReferenceIndex, Revision

from directory.models import ActivityPage, OrganisationPage
from factories.directory import make_activity, make_organisation
from search.selectors import search_activities
from search.types import SearchQuery

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
