"""The search contract against the database backend (SQLite, and PostgreSQL in the second pass)."""

import pytest
from django.db import connection
from wagtail.models import Page

from directory.models import ActivityPage
from search.backends import get_search_backend
from tests.search.contract import SearchBackendContract

pytestmark = pytest.mark.django_db


class TestDatabaseBackend(SearchBackendContract):
    @pytest.fixture
    def backend(self, settings):
        settings.SIGNPOST_SEARCH = {"default": {"BACKEND": "search.backends.database"}}
        return get_search_backend()

    def test_postgresql_keeps_each_activity_s_words_in_step_with_every_write(self, backend, directory):
        # The stored document (directory migration 0007) follows writes that bypass save(), as bulk
        # imports do: a description's word is found, and a title changed on Wagtail's table alone is in it.
        if connection.vendor != "postgresql":
            pytest.skip("the stored document is PostgreSQL's")
        activity = directory["activities"]["quay walk"]
        assert self.search(backend, location=None, text="xylophone").total == 0
        ActivityPage.objects.filter(pk=activity.pk).update(description="<p>Bring a xylophone.</p>")
        assert self.titles(self.search(backend, location=None, text="xylophone")) == ["Quay walking group"]
        Page.objects.filter(pk=activity.pk).update(title="Zebra crossing club")
        with connection.cursor() as cursor:
            cursor.execute("SELECT search_document @@ plainto_tsquery('english', 'zebra'), "
                           "search_document @@ plainto_tsquery('english', 'quay') "
                           "FROM directory_activitypage WHERE page_ptr_id = %s", [activity.pk])
            assert cursor.fetchone() == (True, False)
