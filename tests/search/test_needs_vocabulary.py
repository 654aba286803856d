"""The needs vocabulary a search reads (``Taxonomy.load``): built once per edit, never stale.

Each process keeps the vocabulary it last built and, on every search, reads the terms (one
query) to check it still holds: an edit shows on the next search whether it was made in this
process, by any means, or in another process that cannot tell this one.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from directory.models import NeedTerm
from search.backends.base import Taxonomy

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)


def search(client, **params):
    return client.get("/api/v1/activities/", {"postcode": "BH15 1AB", "radius_miles": 25, **params})


def facet_names(response) -> set[str]:
    return {facet["label"] for facet in response.json()["facets"]["needs"]}


def test_a_need_renamed_in_this_process_shows_on_the_next_search(client, activities, needs):
    assert search(client, needs="walking").status_code == 200  # the vocabulary is now built
    walking = needs["walking"]
    walking.name, walking.slug = "Walking groups", "walking-groups"
    walking.save()
    assert search(client, needs="walking").status_code == 400
    renamed = search(client, needs="walking-groups")
    assert [hit["name"] for hit in renamed.json()["results"]] == ["Quay walk", "County walk"]
    assert renamed.json()["results"][0]["needs"] == [{"id": walking.pk, "name": "Walking groups", "slug": "walking-groups"}]
    assert "Walking groups" in facet_names(renamed)


def test_an_edit_no_signal_announces_shows_on_the_next_search(client, activities, needs):
    """As another process's edit looks to this one: the rows change, nothing here is told."""
    assert "Walking" in facet_names(search(client))
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {NeedTerm._meta.db_table} SET name = %s, synonyms = %s WHERE id = %s",
                       ["Rambling", "hiking", needs["walking"].pk])
    after = search(client)
    assert "Rambling" in facet_names(after) and "Walking" not in facet_names(after)
    # Its new synonym finds it; its old name is no longer a need's name (so no need match).
    assert Taxonomy.load().terms_matching("hiking") == {needs["walking"].pk}
    assert Taxonomy.load().terms_matching("walking") == set()
    NeedTerm.objects.filter(pk=needs["loneliness"].pk).update(slug="lonely")  # no signals either
    assert search(client, needs="lonely").json()["count"] == 1
    NeedTerm.objects.bulk_create([NeedTerm(name="Gardening", slug="gardening", parent=needs["physical"])])
    assert search(client, needs="gardening").status_code == 200


def test_a_request_reads_the_terms_once(client, activities):
    search(client)
    with CaptureQueriesContext(connection) as queries:
        assert search(client).status_code == 200
    terms = [q["sql"] for q in queries if NeedTerm._meta.db_table in q["sql"] and "activitypage" not in q["sql"]]
    assert len(terms) == 1, terms


def test_outside_a_request_every_load_reads_the_terms(needs):
    first = Taxonomy.load()
    assert Taxonomy.load() is first  # nothing changed: the same vocabulary, not built again
    with CaptureQueriesContext(connection) as queries:
        Taxonomy.load()
    assert len(queries) == 1
    NeedTerm.objects.filter(pk=needs["walking"].pk).update(name="Strolling")
    assert Taxonomy.load().names[needs["walking"].pk] == "Strolling"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_edit_committed_by_another_process_shows_on_the_next_search(client, activities, needs, on_postgres):
    """A second process (a web worker, the admin) renames a need: this process's next search shows it."""
    if not on_postgres:
        pytest.skip("another process can reach the test database only on PostgreSQL")
    assert "Walking" in facet_names(search(client))
    database = connection.settings_dict
    url = f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
    edit = f"from directory.models import NeedTerm; NeedTerm.objects.filter(pk={needs['walking'].pk}).update(name='Rambling')"
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    if database.get("PASSWORD"):
        env["DATABASE_URL"] = url.replace(f"{database['USER']}@", f"{database['USER']}:{database['PASSWORD']}@")
    subprocess.run([sys.executable, str(ROOT / "manage.py"), "shell", "-c", edit], cwd=ROOT, env=env, check=True, timeout=120)
    assert "Rambling" in facet_names(search(client))
