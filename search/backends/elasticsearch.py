"""Elasticsearch 8: ranks and filters in the engine, one page of ids at a time.

The index is versioned (``<INDEX>-v<mapping>-<timestamp>``) behind an alias (``<INDEX>``);
``rebuild`` fills a new index and swaps the alias when it is complete. Index updates
write to every index of ours, so edits made during a rebuild land in both.

Searching returns the page of hits with what each shows (the document's stored ``hit``,
rendered by ``stored_hits``), and one query confirms that the page's activities are still
publicly listed. Documents from an index built before ``hit`` was stored are loaded from
the database instead (``hydrate``), until the next rebuild. Any failure to answer in
time raises ``SearchBackendUnavailable`` so that the database backend can answer instead.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor

from django.utils import timezone
from elasticsearch import ApiError, Elasticsearch, TransportError
from elasticsearch.helpers import BulkIndexError, streaming_bulk
from tqdm import tqdm

from directory.choices import HowToJoin, Weekday
from directory.selectors import hidden_cutoff, public_activities
from search.analyzers import ENGLISH, analysis_settings
from search.backends.base import BaseSearchBackend, Capabilities, SearchBackendUnavailable, Taxonomy, half_distance_miles, query_words
from search.backends.hydration import hydrate
from search.backends.stored_hits import hits_from_documents
from search.documents import ACTIVITY_FIELDS, MAPPING_VERSION, TEXT_FIELDS, build_documents, documents_from_rows, mapping, version_now
from search.models import PendingIndexUpdate
from search.types import Accessibility, DeliveryMode, FacetCount, SearchQuery, SearchResults, Sort

logger = logging.getLogger(__name__)
CHUNK_SIZE = 500
# The rebuild: activities read from the database per chunk (a few queries each), and bulk
# requests cut by size in bytes rather than by count (documents vary with their sessions),
# sent by two threads so the next chunk is built while Elasticsearch indexes the last. (The
# database is read in the caller's thread only, on its connection and in its transaction.)
REBUILD_CHUNK = 2000
# Small enough for a node with a small heap (its circuit breaker refuses a request that would
# not fit: 429, retried after a pause).
BULK_BYTES = 4 * 1024 * 1024
BULK_THREADS = 2
# Only the parts of a search response we read: ids, what each hit shows, highlights, totals
# and facet buckets.
SEARCH_FILTER_PATH = [
    "took",
    "hits.total.value",
    "hits.hits._id",
    "hits.hits._source.hit",
    "hits.hits.highlight",
    "aggregations.*.buckets.key",
    "aggregations.*.buckets.key_as_string",
    "aggregations.*.buckets.doc_count",
]


class ElasticsearchSearchBackend(BaseSearchBackend):
    name = "elasticsearch"
    capabilities = Capabilities(misspellings=True, stemming=True, highlighting=True, needs_indexing=True)

    def __init__(self, alias: str, params: dict):
        super().__init__(alias, params)
        self.index = params.get("INDEX", "signpost-activities")
        self.timeout = float(params.get("TIMEOUT", 1.5))
        urls = params.get("URLS", ["http://127.0.0.1:9200"])
        # Copies of each shard on other nodes (0 for a single node; 1 in a cluster of two).
        self.replicas = int(params.get("REPLICAS", 0))
        # With several nodes, a request that cannot connect, times out or meets a 502/503/504 is
        # tried again on the next node (which the client then prefers while the first is dead),
        # so losing one node loses no search. With one node there is nowhere else to go: no retry,
        # and the fallback answers after TIMEOUT seconds.
        self.client = Elasticsearch(
            urls,
            request_timeout=self.timeout,
            max_retries=int(params.get("MAX_RETRIES", len(urls) - 1)),
            retry_on_timeout=bool(params.get("RETRY_ON_TIMEOUT", len(urls) > 1)),
        )
        # One client (and its connection pool) for every search this backend answers.
        self._search_client = self.client.options(request_timeout=self.timeout)

    # -- searching ------------------------------------------------------------------------
    # The request body is built as plain dicts (the query DSL the engine reads): building it
    # with elasticsearch-dsl's objects cost more per search than the engine took to answer.
    def _session_filter(self, query: SearchQuery) -> list[dict]:
        today = timezone.localdate().isoformat()
        clauses = [{"bool": {"should": [
            {"bool": {"must_not": [{"exists": {"field": "sessions.valid_to"}}]}},
            {"range": {"sessions.valid_to": {"gte": today}}},
        ]}}]
        if query.location is not None:
            clauses.append({"geo_distance": {"distance": f"{query.radius_miles}mi", "distance_type": "arc",
                                             "sessions.location": {"lat": query.location.latitude, "lon": query.location.longitude}}})
        if query.weekdays:
            clauses.append({"terms": {"sessions.weekday": sorted(query.weekdays)}})
        if query.times_of_day:
            windows = []
            for period in query.times_of_day:
                bounds = {"gte": period.starts_from.hour * 60 + period.starts_from.minute}
                if period.starts_before is not None:
                    bounds["lt"] = period.starts_before.hour * 60 + period.starts_before.minute
                windows.append({"range": {"sessions.start_minute": bounds}})
            clauses.append({"bool": {"should": windows, "minimum_should_match": 1}})
        for feature in query.accessibility:
            clauses.append({"term": {f"sessions.{feature.value}": True}})
        return clauses

    def _activity_filter(self, query: SearchQuery, taxonomy: Taxonomy) -> list[dict]:
        clauses = [{"range": {"last_reviewed": {"gt": hidden_cutoff().isoformat()}}}]
        if query.needs:
            clauses.append({"terms": {"needs": sorted(taxonomy.with_descendants(query.needs))}})
        if query.free_only:
            clauses.append({"term": {"is_free": True}})
        if query.delivery:
            clauses.append({"terms": {"delivery": sorted(mode.value for mode in query.delivery)}})
        if query.age is not None:
            clauses.append({"bool": {"must_not": [{"range": {"min_age": {"gt": query.age}}}]}})
            clauses.append({"bool": {"must_not": [{"range": {"max_age": {"lt": query.age}}}]}})
        if query.how_to_join:
            clauses.append({"terms": {"how_to_join": sorted(query.how_to_join)}})
        if query.has_capacity:
            clauses.append({"term": {"has_capacity": True}})
        return clauses

    def _text_query(self, query: SearchQuery, taxonomy: Taxonomy, prefix: str = "", need_terms: set[int] | None = None) -> dict | None:
        """Relevance: exact and stemmed words with synonyms, plus misspellings at a lower weight."""
        words = " ".join(query_words(query.text))
        if need_terms is None:
            need_terms = taxonomy.terms_matching(query.text)
        if not words and not need_terms:
            return None
        fields = [f"{prefix}{name}^{boost:g}" for name, boost in TEXT_FIELDS.items()]
        should = []
        if words:
            should.append({"multi_match": {"query": words, "fields": fields, "type": "most_fields"}})
            # Misspellings: only in the short fields people name things by (fuzzy matching over
            # long descriptions costs more than it finds), and without the synonym graph.
            fuzzy_fields = [f"{prefix}{name}^{TEXT_FIELDS[name]:g}" for name in ("title", "needs_text", "summary")]
            should.append({"multi_match": {"query": words, "fields": fuzzy_fields, "fuzziness": "AUTO", "prefix_length": 1,
                                           "max_expansions": 10, "analyzer": ENGLISH, "boost": 0.5}})
        if need_terms and not prefix:
            should.append({"constant_score": {"filter": {"terms": {"needs": sorted(need_terms)}}, "boost": 0.5}})
        elif need_terms:
            names = " ".join(taxonomy.names[t] for t in need_terms)
            should.append({"constant_score": {"filter": {"match": {f"{prefix}needs_text": names}}, "boost": 0.5}})
        return {"bool": {"should": should, "minimum_should_match": 1}}

    def _build(self, query: SearchQuery, taxonomy: Taxonomy) -> dict:
        """The search request's body."""
        filters = [{"bool": {"filter": self._activity_filter(query, taxonomy)}}]
        must = []
        need_terms = taxonomy.terms_matching(query.text) if query.text else set()
        text = self._text_query(query, taxonomy, need_terms=need_terms)
        session_filter = self._session_filter(query)
        ranked_by_text = query.sort == Sort.BEST and text is not None

        if query.has_session_filters:
            if ranked_by_text and query.location is not None:
                # relevance × 0.5 ** (distance / half distance), for the best qualifying session.
                nested_text = self._text_query(query, taxonomy, prefix="sessions.", need_terms=need_terms)
                scored = {"function_score": {
                    "query": {"bool": {"must": [nested_text], "filter": session_filter}},
                    "functions": [{"exp": {"sessions.location": {
                        "origin": {"lat": query.location.latitude, "lon": query.location.longitude},
                        "scale": f"{half_distance_miles(query.radius_miles)}mi", "offset": "0mi", "decay": 0.5,
                    }}}],
                    "boost_mode": "multiply",
                }}
                must.append({"nested": {"path": "sessions", "score_mode": "max", "query": scored}})
            else:
                filters.append({"nested": {"path": "sessions", "query": {"bool": {"filter": session_filter}}}})
                if text is not None:
                    must.append(text)
        elif text is not None:
            must.append(text)

        nearest = []
        if query.location is not None:
            nearest = [{"_geo_distance": {
                "sessions.location": {"lat": query.location.latitude, "lon": query.location.longitude},
                "order": "asc", "unit": "mi", "distance_type": "arc", "mode": "min",
                "nested": {"path": "sessions", "filter": {"bool": {"filter": session_filter}}},
            }}]
        tail = [*nearest, {"title.sort": "asc"}, {"id": "asc"}]
        if query.sort == Sort.SOONEST:
            now = timezone.localtime()
            now_minute = now.weekday() * 1440 + now.hour * 60 + now.minute
            later_this_week = {"bool": {"filter": [*session_filter, {"range": {"sessions.week_minute": {"gte": now_minute}}}]}}
            sort = [
                {"sessions.week_minute": {"order": "asc", "mode": "min", "missing": "_last",
                                          "nested": {"path": "sessions", "filter": later_this_week}}},
                {"sessions.week_minute": {"order": "asc", "mode": "min", "missing": "_last",
                                          "nested": {"path": "sessions", "filter": {"bool": {"filter": session_filter}}}}},
                *tail,
            ]
        elif ranked_by_text:
            sort = [{"_score": "desc"}, *tail]
        else:
            sort = tail
        body = {
            "query": {"bool": {"filter": filters, **({"must": must} if must else {})}},
            "sort": sort,
            "_source": ["hit"],
            "from": query.offset,
            "size": query.page_size,
            "track_total_hits": True,
            "aggs": {
                "needs": {"terms": {"field": "needs", "size": 200}},
                "days": {"terms": {"field": "days", "size": 7}},
                "cost": {"terms": {"field": "is_free", "size": 2}},
                "delivery": {"terms": {"field": "delivery", "size": len(DeliveryMode)}},
                "how_to_join": {"terms": {"field": "how_to_join", "size": len(HowToJoin.values)}},
                "access": {"terms": {"field": "access", "size": len(Accessibility)}},
            },
        }
        if text is not None:
            body["highlight"] = {
                "fields": {name: {} for name in ("summary", "description")},
                "fragment_size": 160, "number_of_fragments": 1, "pre_tags": ["<mark>"], "post_tags": ["</mark>"],
                "encoder": "html", "highlight_query": text,
            }
        return body

    def search(self, query: SearchQuery) -> SearchResults:
        taxonomy = Taxonomy.load()
        body = self._build(query, taxonomy)
        try:
            # The raw response, trimmed by filter_path: no per-hit wrapper objects to build.
            response = self._search_client.search(index=self.index, body=body, filter_path=SEARCH_FILTER_PATH).body
        except (TransportError, ApiError) as error:
            raise SearchBackendUnavailable(str(error)) from error
        found = response.get("hits", {})
        ids = []
        highlights = {}
        stored = {}
        for hit in found.get("hits", ()):
            activity_id = int(hit["_id"])
            ids.append(activity_id)
            stored[activity_id] = hit.get("_source", {}).get("hit")
            fragments = hit.get("highlight")
            if fragments:
                highlights[activity_id] = next(iter(fragments.values()))[0]
        aggs = response.get("aggregations", {})

        def counts(name):
            key = "key_as_string" if name == "cost" else "key"
            return {str(b[key]): b["doc_count"] for b in aggs.get(name, {}).get("buckets", ())}

        needs = counts("needs")
        days = counts("days")
        cost = counts("cost")
        delivery, joins, access = counts("delivery"), counts("how_to_join"), counts("access")
        facets = {
            "needs": tuple(
                FacetCount(taxonomy.slugs[int(t)], taxonomy.names[int(t)], n)
                for t, n in sorted(needs.items(), key=lambda item: (-item[1], taxonomy.names[int(item[0])]))
                if int(t) in taxonomy.names
            ),
            "days": tuple(FacetCount(d, Weekday(int(d)).label, days[d]) for d in sorted(days, key=int)),
            "cost": (FacetCount("free", "Free", cost.get("true", 0)), FacetCount("paid", "Costs money", cost.get("false", 0))),
            "delivery": tuple(FacetCount(m.value, m.label, delivery.get(m.value, 0)) for m in DeliveryMode),
            "how_to_join": tuple(FacetCount(v, label, joins.get(v, 0)) for v, label in HowToJoin.choices),
            "accessibility": tuple(FacetCount(f.value, f.label, access.get(f.value, 0)) for f in Accessibility),
        }
        if all(hit and "price" in hit for hit in stored.values()):
            hits = hits_from_documents(query, ids, stored, taxonomy=taxonomy, highlights=highlights)
        else:  # an index from before hits (with their price) were stored, until it is rebuilt
            hits = hydrate(query, ids, taxonomy=taxonomy, highlights=highlights)
        return SearchResults(
            query=query, hits=tuple(hits), total=found["total"]["value"], facets=facets, backend=self.name, took_ms=response["took"]
        )

    # -- keeping the index true -----------------------------------------------------------
    def _our_indices(self) -> list[str]:
        return sorted(self.client.options(request_timeout=10).indices.get(index=f"{self.index}-v*", expand_wildcards="open"))

    def _create_index(self) -> str:
        name = f"{self.index}-v{MAPPING_VERSION}-{time.strftime('%Y%m%d%H%M%S')}-{time.time_ns() % 1_000_000:06d}"
        self.client.options(request_timeout=30).indices.create(
            index=name,
            # No refreshes, replicas or per-request fsync while the bulk load runs (rebuild
            # restores them before the swap).
            settings={"number_of_shards": 1, "number_of_replicas": 0, "refresh_interval": "-1", "translog.durability": "async",
                      "analysis": analysis_settings(Taxonomy.load().synonym_rules())},
            mappings=mapping(),
        )
        return name

    def _actions(self, activities, indices, version):
        for document in build_documents(activities):
            for index in indices:
                yield {"_op_type": "index", "_index": index, "_id": document["id"], "version": version,
                       "version_type": "external_gte", "_source": document}

    def _bulk(self, actions) -> int:
        written = 0
        for ok, item in streaming_bulk(self.client.options(request_timeout=60), actions, chunk_size=CHUNK_SIZE, raise_on_error=False):
            result = next(iter(item.values()))
            # A version conflict means a newer read already reached the index: that is correct.
            if not ok and result.get("status") != 409:
                raise BulkIndexError("Elasticsearch refused a document", [item])
            written += ok
        return written

    def index_activities(self, activity_ids: list[int]) -> None:
        """Bring these activities up to date in every index of ours (or remove them)."""
        try:
            self._index_activities(activity_ids)
        except (TransportError, ApiError, BulkIndexError) as error:
            raise SearchBackendUnavailable(str(error)) from error

    def _index_activities(self, activity_ids: list[int]) -> None:
        version = version_now()
        indices = self._our_indices()
        if not indices:
            return  # nothing to update until the first rebuild
        listed = list(public_activities().filter(pk__in=activity_ids))
        gone = set(activity_ids) - {a.pk for a in listed}
        actions = list(self._actions(listed, indices, version))
        actions += [
            {"_op_type": "delete", "_index": index, "_id": activity_id, "version": version, "version_type": "external_gte"}
            for activity_id in gone
            for index in indices
        ]
        for ok, item in streaming_bulk(self.client.options(request_timeout=30), actions, chunk_size=CHUNK_SIZE, raise_on_error=False):
            result = next(iter(item.values()))
            if not ok and result.get("status") not in (404, 409):
                raise BulkIndexError("Elasticsearch refused an update", [item])

    def index_activity(self, activity_id: int) -> None:
        self.index_activities([activity_id])

    def _rebuild_chunks(self, index: str, chunk_size: int):
        """Index actions for every publicly listed activity, a list per chunk of ``chunk_size`` read by id."""
        activities = public_activities().order_by("pk")
        last_pk = 0
        while True:
            version = version_now()  # taken before the chunk is read: a later edit's update wins
            rows = list(activities.filter(pk__gt=last_pk).values(*ACTIVITY_FIELDS)[:chunk_size])
            if not rows:
                return
            last_pk = rows[-1]["id"]
            yield [{"_op_type": "index", "_index": index, "_id": document["id"], "version": version,
                    "version_type": "external_gte", "_source": document} for document in documents_from_rows(rows)]

    @staticmethod
    def _send(client, actions: list[dict]) -> int:
        """One chunk's actions, in bulk requests of at most ``BULK_BYTES`` (run in a sending thread)."""
        written = 0
        for ok, item in streaming_bulk(client, actions, chunk_size=len(actions), max_chunk_bytes=BULK_BYTES, raise_on_error=False,
                                    max_retries=5, initial_backoff=1):
            if not ok and next(iter(item.values())).get("status") != 409:  # 409: a newer edit is already there
                raise BulkIndexError("Elasticsearch refused a document", [item])
            written += ok
        return written

    def rebuild(self, *, progress: bool = False, chunk_size: int = REBUILD_CHUNK, threads: int = BULK_THREADS) -> int:
        """Fill a new index from the database and point the alias at it when complete."""
        started = timezone.now()
        new_index = self._create_index()
        total = public_activities().count()
        written = 0
        client = self.client.options(request_timeout=120)
        with tqdm(total=total, unit="activities", disable=not progress, mininterval=2) as bar, ThreadPoolExecutor(threads) as pool:
            sending: deque = deque()
            for actions in self._rebuild_chunks(new_index, chunk_size):
                sending.append((pool.submit(self._send, client, actions), len(actions)))
                while len(sending) > threads:  # a chunk in flight per thread while the next is built: memory stays flat
                    future, size = sending.popleft()
                    written += future.result()
                    bar.update(size)
            for future, size in sending:
                written += future.result()
                bar.update(size)
        self.client.options(request_timeout=30).indices.put_settings(
            index=new_index,
            settings={"index": {"refresh_interval": "1s", "number_of_replicas": self.replicas, "translog.durability": "request"}},
        )
        self.client.options(request_timeout=60).indices.refresh(index=new_index)
        if self.replicas:
            # Copied once, after the bulk load (cheaper than replicating every bulk request);
            # the alias moves when every copy is ready, so losing a node then loses no search.
            health = self.client.options(request_timeout=130).cluster.health(index=new_index, wait_for_status="green", timeout="120s")
            if health["status"] != "green":
                logger.warning("Index %s has %s replica(s) but is %s: too few nodes?", new_index, self.replicas, health["status"])
        old = [name for name in self._our_indices() if name != new_index]
        actions = [{"add": {"index": new_index, "alias": self.index}}]
        actions += [{"remove": {"index": name, "alias": self.index}} for name in old if self.client.options(request_timeout=30).indices.exists_alias(index=name, name=self.index)]
        self.client.options(request_timeout=30).indices.update_aliases(actions=actions)
        for name in old:
            self.client.options(request_timeout=30).indices.delete(index=name)
        # The new index read the database after these failed updates: they are caught up.
        PendingIndexUpdate.objects.filter(first_failed_at__lt=started).delete()
        return written

    def drop(self) -> None:
        """Delete every index of ours (tests)."""
        for name in self._our_indices():
            self.client.options(request_timeout=30).indices.delete(index=name)

    def refresh(self) -> None:
        self.client.options(request_timeout=30).indices.refresh(index=f"{self.index}-v*")

    def health(self) -> dict:
        try:
            health = self.client.options(request_timeout=self.timeout).cluster.health()
            count = self.client.options(request_timeout=self.timeout).count(index=self.index)["count"]
        except (TransportError, ApiError) as error:
            return {"status": "unavailable", "error": error.__class__.__name__}
        return {"status": "ok" if health["status"] in ("green", "yellow") else "degraded", "cluster": health["status"], "documents": count}


SearchBackend = ElasticsearchSearchBackend
