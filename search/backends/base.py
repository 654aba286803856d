"""What every search backend promises, and the ranking rule they all honour.

THE RANKING RULE (written once; ``rank_key`` below is the same rule in code)

1. Who appears. Only publicly listed activities (published, public, active, not hidden as
   stale), and only those that pass every filter. With a location, an activity appears
   only through a session at a venue within the radius (great-circle distance) that also
   satisfies the session filters (day, time of day, accessibility) and has not ended; its
   ``distance_miles`` is that of its nearest such venue. Nothing outside the radius ever
   appears. Without a location there is no distance.
2. Order.
   - ``nearest``, and ``best`` with no text: nearest first.
   - ``best`` with text: by ``relevance × 0.5 ** (distance_miles / half_distance)``, highest
     first, where ``relevance`` is the engine's own text score (more query words, in more
     important fields, score higher; a need whose name or synonym was typed counts as a
     match) and ``half_distance = max(1, radius_miles / 2)``: a match twice as far away
     must be twice as relevant to rank level. Without a location, relevance alone.
   - ``soonest``: by the next weekly start of a qualifying session (day of week and time),
     soonest first; activities with no weekly session come last.
3. Ties are broken by distance (nearer first), then title, then activity id, so a page
   boundary never moves between requests.

Backends differ only in declared capabilities (``Capabilities``); tests branch on those,
never on a backend's name.
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from directory.models import NeedTerm
from search.types import SearchQuery, SearchResults, Sort

EARTH_MEAN_RADIUS_MILES = 3958.7613


class SearchBackendUnavailable(Exception):
    """The engine did not answer (down, or slower than its timeout): try another backend."""


@dataclass(frozen=True)
class Capabilities:
    # "walkng" finds walking groups.
    misspellings: bool = False
    # "walks" finds "walking" (word stems, not just substrings).
    stemming: bool = False
    # Hits carry a highlighted extract.
    highlighting: bool = False
    # Index updates happen in the background rather than being read straight from the database.
    needs_indexing: bool = False


def half_distance_miles(radius_miles: float) -> float:
    return max(1.0, radius_miles / 2)


def distance_decay(distance_miles: float | None, radius_miles: float) -> float:
    if distance_miles is None:
        return 1.0
    return 0.5 ** (distance_miles / half_distance_miles(radius_miles))


def rank_key(*, query: SearchQuery, relevance: float, distance_miles: float | None, minutes_to_next: int | None, title: str, activity_id: int):
    """The ordering of the ranking rule as a sort key (ascending)."""
    nearer = distance_miles if distance_miles is not None else 0.0
    if query.sort == Sort.SOONEST:
        primary = (minutes_to_next is None, minutes_to_next or 0)
    elif query.sort == Sort.NEAREST or not query.text.strip():
        primary = (nearer,)
    else:
        primary = (-relevance * distance_decay(distance_miles, query.radius_miles),)
    return (*primary, nearer, title, activity_id)


def radius_of_curvature_miles(latitude: float) -> float:
    """The Earth's Gaussian radius of curvature at ``latitude`` (WGS84), in miles.

    Great-circle distances on a sphere of this radius agree with the true (ellipsoidal)
    distance to well under 0.1 mile within 50 miles of the centre; the mean radius can be
    0.5% out in England, which is 0.1 mile at 20 miles.
    """
    a = 6378137.0
    e2 = 0.00669437999014
    s2 = math.sin(math.radians(latitude)) ** 2
    radius_m = a * math.sqrt(1 - e2) / (1 - e2 * s2)
    return radius_m / 1609.344


def bounding_box(latitude: float, longitude: float, radius_miles: float) -> tuple[float, float, float, float]:
    """South, north, west, east: a box that contains the whole circle (a little generously)."""
    radius = radius_of_curvature_miles(latitude)
    d_lat = math.degrees(radius_miles / radius) * 1.01
    d_lng = d_lat / max(math.cos(math.radians(min(abs(latitude) + d_lat, 89.9))), 0.01)
    return latitude - d_lat, latitude + d_lat, longitude - d_lng, longitude + d_lng


# Words too common to say anything about an activity.
STOP_WORDS = frozenset(
    "a an and are as at be but by for from group groups has have i if in into is it me my near "
    "need needs of on or our people something that the their them there these they this to "
    "was we were what when where which who will with you your".split()
)
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?", re.UNICODE)


def query_words(text: str) -> list[str]:
    """The meaningful words of ``text``, lower-cased, in order, without repeats."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(text.lower()):
        if word not in STOP_WORDS and len(word) > 1:
            seen.setdefault(word, None)
    return list(seen)


@dataclass(frozen=True)
class Taxonomy:
    """The needs vocabulary: names, synonyms and the tree, and how a search names a term.

    ``Taxonomy.load()`` reads the terms in one query on every search and rebuilds the
    vocabulary only when what it read differs from the last vocabulary this process built
    (see ``load``): an edit in any process shows on the next search, and the work of
    turning the terms into forms' choices and phrase lists is done once per edit.
    """

    names: dict[int, str]
    slugs: dict[int, str]
    parents: dict[int, int | None]
    phrases: dict[int, tuple[str, ...]]  # each term's name and synonyms, lower-cased
    # A need as a search names it: by its slug, its id, or its Open Referral UK term id.
    term_ids: dict[str, int] = field(default_factory=dict)
    # (slug, name) by name: what a search form offers.
    choices: tuple[tuple[str, str], ...] = ()

    @classmethod
    def load(cls) -> Taxonomy:
        """The vocabulary as the database holds it now.

        Always one query (the terms are few): the rows are compared with those the cached
        vocabulary was built from, so a term added, edited or deleted by any process, by
        any means (admin, import, ``bulk_create``, ``QuerySet.update``), shows on the next
        search. Within one request the read is made once (the form and the backend share
        it), unless a term is saved or deleted in this process meanwhile.
        """
        global _built
        memo = _request_memo.__dict__.get("taxonomy", _NOT_IN_REQUEST)
        if isinstance(memo, Taxonomy):
            return memo
        rows = tuple(NeedTerm.objects.order_by("name", "pk").values_list("pk", "name", "slug", "parent_id", "synonyms", "oruk_id"))
        cached = _built
        if cached is None or cached[0] != rows:
            cached = _built = (rows, cls._from_rows(rows))  # one assignment: threads see the old or the new pair
        if memo is not _NOT_IN_REQUEST:
            _request_memo.taxonomy = cached[1]
        return cached[1]

    @classmethod
    def _from_rows(cls, rows) -> Taxonomy:
        names, slugs, parents, phrases, term_ids = {}, {}, {}, {}, {}
        for term_id, name, slug, parent_id, synonyms, oruk_id in rows:
            names[term_id], slugs[term_id], parents[term_id] = name, slug, parent_id
            words = [name.lower()] + [s.strip().lower() for s in synonyms.split(",") if s.strip()]
            phrases[term_id] = tuple(words)
            term_ids.update({slug: term_id, str(term_id): term_id, oruk_id: term_id})
        choices = tuple((slugs[t], names[t]) for t in names)  # the rows come by name, as the database sorts
        return cls(names, slugs, parents, phrases, term_ids, choices)

    @cached_property
    def _phrase_words(self) -> dict[int, tuple[str, ...]]:
        """Each phrase as its meaningful words, space-separated, for whole-word matching."""
        # The vocabulary is loaded on every search but rarely changes: reuse the work.
        return _words_of_phrases(tuple(self.phrases.items()))

    @cached_property
    def words(self) -> frozenset[str]:
        """Every meaningful single word of the needs' names and synonyms (for spelling)."""
        return _single_words(tuple(self._phrase_words.values()))

    def with_descendants(self, term_ids) -> set[int]:
        wanted = set(term_ids)
        changed = True
        while changed:
            more = {child for child, parent in self.parents.items() if parent in wanted} - wanted
            wanted |= more
            changed = bool(more)
        return wanted

    def terms_matching(self, text: str) -> set[int]:
        """Needs whose name or a synonym the person typed (whole words), with their children."""
        typed = " " + " ".join(w for w in _WORD.findall(text.lower()) if w not in STOP_WORDS) + " "
        matched = {term_id for term_id, phrases in self._phrase_words.items() if any(f" {p} " in typed for p in phrases)}
        return self.with_descendants(matched)

    def synonym_rules(self) -> list[str]:
        """Solr-format equivalence rules ("lonely, isolated, loneliness and isolation")."""
        rules = []
        for phrases in self.phrases.values():
            cleaned = [p.replace(",", " ") for p in phrases if p]
            if len(cleaned) > 1:
                rules.append(", ".join(cleaned))
        return rules


@lru_cache(maxsize=8)
def _single_words(phrases: tuple[tuple[str, ...], ...]) -> frozenset[str]:
    return frozenset(word for term_phrases in phrases for phrase in term_phrases for word in phrase.split())


@lru_cache(maxsize=8)
def _words_of_phrases(phrases: tuple[tuple[int, tuple[str, ...]], ...]) -> dict[int, tuple[str, ...]]:
    return {
        term_id: tuple(w for w in (" ".join(x for x in _WORD.findall(p) if x not in STOP_WORDS) for p in term_phrases) if w)
        for term_id, term_phrases in phrases
    }


# The last vocabulary this process built, with the rows it was built from.
_built: tuple[tuple, Taxonomy] | None = None
# Per thread: inside a request, the vocabulary read for it (None until read); outside, unset.
_request_memo = threading.local()
_NOT_IN_REQUEST = object()


def taxonomy_request_started(**kwargs) -> None:
    """A request begins (``request_started``): its first search reads the terms."""
    _request_memo.taxonomy = None


def taxonomy_request_finished(**kwargs) -> None:
    """A request ends (``request_finished``): reads outside requests go to the database."""
    _request_memo.__dict__.pop("taxonomy", None)


def taxonomy_changed(**kwargs) -> None:
    """A term was saved or deleted in this process: the request's next search reads again."""
    if "taxonomy" in _request_memo.__dict__:
        _request_memo.taxonomy = None


class BaseSearchBackend:
    """One search engine. Subclasses implement ``search`` and declare ``capabilities``."""

    name = "base"
    capabilities = Capabilities()

    def __init__(self, alias: str, params: dict):
        self.alias = alias
        self.params = params

    def search(self, query: SearchQuery) -> SearchResults:
        raise NotImplementedError

    # Index upkeep: a backend that reads the database directly has nothing to do.
    def index_activity(self, activity_id: int) -> None:
        pass

    def rebuild(self, *, progress: bool = False) -> int:
        return 0

    def refresh(self) -> None:
        """Make every index update so far visible to searches (tests and rebuilds)."""

    def health(self) -> dict:
        return {"status": "ok"}


@lru_cache(maxsize=64)
def _stem(word: str) -> str:
    """A crude English stem, for backends without real stemming: walking, walks -> walk."""
    for suffix in ("ingly", "ings", "ing", "edly", "ed", "ies", "es", "s", "ly"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word
