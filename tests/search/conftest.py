"""Fixtures shared by the search tests."""

import pytest

from factories.directory import make_activity, make_organisation, make_venue
from search.backends.breaker import reset_breakers
from tests.search.loopback import LoopbackEngine


@pytest.fixture(autouse=True)
def fresh_breakers():
    """Circuit breakers live for the whole process: no test may inherit another's verdict."""
    reset_breakers()
    yield
    reset_breakers()


@pytest.fixture
def silent_server():
    """A loopback server that accepts connections and never answers: a hung search engine."""
    engine = LoopbackEngine()
    yield engine
    engine.close()


@pytest.fixture
def activities(home, needs, postcodes):
    organisation = make_organisation("Dorset Wellbeing")
    poole = make_venue("Poole Quay", postcode="BH15 1HJ", latitude=50.7118, longitude=-1.9860)  # ~0.3 mi
    wimborne = make_venue("Wimborne Minster", postcode="BH21 1HT", latitude=50.7995, longitude=-1.9856)  # ~5.8 mi
    dorchester = make_venue("Dorchester Corn Exchange", postcode="DT1 1HF", latitude=50.7154, longitude=-2.4370)  # ~19.6 mi
    return {
        "quay walk": make_activity(organisation, "Quay walk", needs=[needs["walking"]], venue=poole),
        "minster lunch": make_activity(organisation, "Minster lunch club", needs=[needs["loneliness"]], venue=wimborne),
        "county walk": make_activity(organisation, "County walk", needs=[needs["walking"]], venue=dorchester),
    }


@pytest.fixture
def elasticsearch_backend(settings, needs):
    """The Elasticsearch backend on a fresh, empty index of its own (deleted afterwards)."""
    import uuid

    from search.backends import get_search_backend
    from tests.search.elasticsearch_node import elasticsearch_settings, require_node

    require_node()
    settings.SIGNPOST_SEARCH = elasticsearch_settings(f"test-signpost-{uuid.uuid4().hex[:10]}")
    backend = get_search_backend()
    backend.rebuild()  # an empty index behind the alias; publishing in the tests fills it
    yield backend
    backend.drop()
