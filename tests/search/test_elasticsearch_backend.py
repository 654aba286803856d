"""The search contract against a real Elasticsearch 8 node (no mocks)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.search.contract import SearchBackendContract

pytestmark = [pytest.mark.django_db, pytest.mark.elasticsearch]


class TestElasticsearchBackend(SearchBackendContract):
    @pytest.fixture
    def backend(self, elasticsearch_backend):
        return elasticsearch_backend

    def test_a_page_of_hits_is_rendered_from_the_index(self, backend, directory):
        """What a hit shows comes from the index; the database only confirms the page is public."""
        self.search(backend)  # warm caches filled once per process
        with CaptureQueriesContext(connection) as queries:
            results = self.search(backend, page_size=5)
        assert len(results.hits) == 5 and results.hits[0].venue.name == "Poole Quay"
        assert results.hits[0].next_session is not None and results.hits[0].needs
        read = " ".join(q["sql"] for q in queries)
        # No sessions, venues, organisations or needs links are read: only the taxonomy (for the
        # facets' and hits' need names) and the page's listed ids (private sections included).
        assert not any(table in read for table in ("directory_activitysession", "directory_venue", "directory_organisationpage", "directory_activitypage_needs"))
        assert len(queries) == 2, [q["sql"] for q in queries]
