"""The search contract against the database backend (SQLite, and PostgreSQL in the second pass)."""

import pytest

from search.backends import get_search_backend
from tests.search.contract import SearchBackendContract

pytestmark = pytest.mark.django_db


class TestDatabaseBackend(SearchBackendContract):
    @pytest.fixture
    def backend(self, settings):
        settings.SIGNPOST_SEARCH = {"default": {"BACKEND": "search.backends.database"}}
        return get_search_backend()
