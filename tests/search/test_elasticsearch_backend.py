"""The search contract against a real Elasticsearch 8 node (no mocks)."""

import pytest

from tests.search.contract import SearchBackendContract

pytestmark = [pytest.mark.django_db, pytest.mark.elasticsearch]


class TestElasticsearchBackend(SearchBackendContract):
    @pytest.fixture
    def backend(self, elasticsearch_backend):
        return elasticsearch_backend
