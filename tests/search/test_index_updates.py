"""Keeping the Elasticsearch index true: background updates, rebuilds with an alias swap."""

import socket

import pytest
from django.core.management import call_command

from directory.models import ActivityPage
from search.documents import version_now
from search.models import PendingIndexUpdate
from search.selectors import search_activities
from search.types import SearchQuery
from tests.search.contract import HOME
from tests.search.elasticsearch_node import elasticsearch_settings

pytestmark = pytest.mark.django_db


def _dead_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def _is_index_update(callback) -> bool:
    code = callback.__code__
    return "update_search_index" in code.co_names + code.co_freevars


def test_an_editor_can_publish_while_the_search_engine_is_down(settings, activities, django_capture_on_commit_callbacks):
    settings.SIGNPOST_SEARCH = elasticsearch_settings("down", url=_dead_url())
    activity = activities["quay walk"]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        activity.title = "Quay walk and talk"
        activity.save_revision().publish()
    assert any(_is_index_update(c) for c in callbacks), "an index update was queued on commit"
    assert ActivityPage.objects.get(pk=activity.pk).title == "Quay walk and talk"
    assert list(PendingIndexUpdate.objects.values_list("activity_id", flat=True)) == [activity.pk]


@pytest.mark.elasticsearch
def test_updates_missed_during_an_outage_are_caught_up(settings, elasticsearch_backend, activities, django_capture_on_commit_callbacks):
    working = settings.SIGNPOST_SEARCH
    elasticsearch_backend.rebuild()
    settings.SIGNPOST_SEARCH = elasticsearch_settings(elasticsearch_backend.index, url=_dead_url())
    quay = activities["quay walk"]
    with django_capture_on_commit_callbacks(execute=True):  # the engine is down: the edit waits
        quay.title = "Harbour walk"
        quay.save_revision().publish()
    assert PendingIndexUpdate.objects.filter(activity_id=quay.pk).exists()

    settings.SIGNPOST_SEARCH = working  # the engine is back; the next edit carries the backlog
    with django_capture_on_commit_callbacks(execute=True):
        activities["county walk"].save_revision().publish()
    elasticsearch_backend.refresh()
    assert not PendingIndexUpdate.objects.exists()
    document = elasticsearch_backend.client.get(index=elasticsearch_backend.index, id=quay.pk)
    assert document["_source"]["title"] == "Harbour walk"


def test_with_the_database_backend_nothing_is_queued(settings, activities, django_capture_on_commit_callbacks):
    settings.SIGNPOST_SEARCH = {"default": {"BACKEND": "search.backends.database"}}
    with django_capture_on_commit_callbacks() as callbacks:
        activities["quay walk"].save_revision().publish()
    assert not any(_is_index_update(c) for c in callbacks)


@pytest.mark.elasticsearch
def test_rebuild_swaps_the_alias_to_a_complete_new_index(elasticsearch_backend, activities, capsys):
    before = elasticsearch_backend._our_indices()
    call_command("rebuild_search_index", "--no-progress")
    after = elasticsearch_backend._our_indices()
    assert len(after) == 1 and after != before  # the old index is gone, a new one serves
    assert "indexed 3 activities" in capsys.readouterr().out
    aliases = elasticsearch_backend.client.indices.get_alias(name=elasticsearch_backend.index)
    assert list(aliases) == after
    results = search_activities(query=SearchQuery(location=HOME, radius_miles=10))
    assert results.backend == "elasticsearch" and [h.title for h in results.hits] == ["Quay walk", "Minster lunch club"]


@pytest.mark.elasticsearch
def test_an_edit_during_a_rebuild_is_not_overwritten_by_the_rebuilds_older_read(elasticsearch_backend, activities, django_capture_on_commit_callbacks):
    backend = elasticsearch_backend
    activity = activities["quay walk"]
    rebuild_read = list(ActivityPage.objects.filter(pk=activity.pk))  # the rebuild reads the row…
    rebuild_version = version_now()
    with django_capture_on_commit_callbacks(execute=True):  # …an editor publishes a change…
        activity.title = "Harbour walk"
        activity.save_revision().publish()
    backend._bulk(backend._actions(rebuild_read, backend._our_indices(), rebuild_version))  # …the rebuild writes late
    backend.refresh()
    document = backend.client.get(index=backend.index, id=activity.pk)
    assert document["_source"]["title"] == "Harbour walk"


@pytest.mark.elasticsearch
def test_search_health_reports_elasticsearch(client, elasticsearch_backend, activities):
    elasticsearch_backend.rebuild()
    response = client.get("/healthz/search/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["backends"]["default"]["status"] == "ok"
    assert body["backends"]["default"]["documents"] == 3


def test_search_health_is_degraded_and_503_when_elasticsearch_is_down(client, settings, db):
    # Searches still answer (from the database), but monitoring must see that something is wrong.
    settings.SIGNPOST_SEARCH = elasticsearch_settings("down", url=_dead_url(), timeout=0.5)
    response = client.get("/healthz/search/")
    assert response.status_code == 503
    assert response.json()["status"] == "degraded"
    assert response.json()["reason"].startswith("elasticsearch unreachable")
    assert response.json()["searches_answered_by"] == "database"
    assert response.json()["backends"]["default"]["status"] == "unavailable"
