"""Misspellings on SQLite: the words the listings use, and the closest of them to a word typed.

PostgreSQL forgives misspellings with pg_trgm and Elasticsearch with fuzziness; SQLite has
neither (its FTS5 trigram tokenizer only finds substrings, and Python's sqlite3 cannot load
the spellfix1 extension). So the database backend on SQLite corrects the query instead: a
typed word that no listing contains is replaced by the closest word the listings do use,
scored by Python's ``difflib`` (Ratcliff/Obershelp similarity), and both are searched.

The vocabulary is every word of the live activities' short fields (title, summary,
conditions, areas covered: the fields people name things by, as Elasticsearch's fuzzy
fields and PostgreSQL's trigram match are) plus the needs' names and synonyms. It is built
once per process and rebuilt only when the listings change: each search asks the database
one cheap question (how many live activities, the latest publication and id), never the
words themselves. Candidates for a word are bounded before scoring: same first letter (as
Elasticsearch's ``prefix_length=1``) and at most two letters longer or shorter.
"""

from __future__ import annotations

import difflib
import re
import threading
from collections import defaultdict
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Max
from wagtail.models import Page

from directory.models import ActivityPage

# How alike (difflib's ratio, 0 to 1) a typed word and a listing's word must be:
# "bereavment"/"bereavement" 0.95, "walkng"/"walking" 0.92, "lonelyness"/"loneliness" 0.90.
SIMILARITY = 0.8
# Shorter words are too easily "corrected" into another real word ("art" into "arts", "cart").
MIN_LENGTH = 4
LENGTH_SLACK = 2
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_FIELDS = ("title", "summary", "conditions", "service_areas")


@dataclass(frozen=True)
class Vocabulary:
    words: frozenset[str]
    # Every word on its own line: "does any word contain this stem" is one substring search,
    # and a stem never matches across two words.
    lines: str
    by_initial: dict[str, tuple[str, ...]]

    @classmethod
    def of(cls, words) -> Vocabulary:
        words = frozenset(w for w in words if len(w) > 1)
        by_initial = defaultdict(list)
        for word in sorted(words):
            by_initial[word[0]].append(word)
        return cls(words, "\n" + "\n".join(sorted(words)) + "\n", {k: tuple(v) for k, v in by_initial.items()})

    def knows(self, stem: str) -> bool:
        """Whether substring matching of ``stem`` finds some word of the listings."""
        return stem in self.words or stem in self.lines

    def closest(self, word: str, extra: frozenset[str] = frozenset()) -> str | None:
        """The listings' (or ``extra``'s) word most like ``word``, if one is alike enough."""
        if len(word) < MIN_LENGTH:
            return None
        low, high = len(word) - LENGTH_SLACK, len(word) + LENGTH_SLACK
        candidates = [w for w in self.by_initial.get(word[0], ()) if low <= len(w) <= high]
        candidates += [w for w in extra if w[0] == word[0] and low <= len(w) <= high and w not in self.words]
        found = difflib.get_close_matches(word, candidates, n=1, cutoff=SIMILARITY)
        return found[0] if found else None


_lock = threading.Lock()
_cached: dict[str, tuple[tuple, Vocabulary]] = {}


def listings_vocabulary(using: str = "default") -> Vocabulary:
    """The live activities' words, rebuilt only when a listing was published, withdrawn or deleted."""
    live = ActivityPage.objects.using(using).live()
    # The version reads the page table alone (no join to the activities' own table).
    pages = Page.objects.using(using).filter(content_type=ContentType.objects.db_manager(using).get_for_model(ActivityPage), live=True)
    version = tuple(pages.aggregate(n=Count("pk"), latest=Max("last_published_at"), last=Max("pk")).values())
    cached = _cached.get(using)
    if cached is not None and cached[0] == version:
        return cached[1]
    words = set()
    for row in live.values_list(*_FIELDS).iterator(chunk_size=2000):
        for text in row:
            if text:
                words.update(_WORD.findall(text.lower()))
    vocabulary = Vocabulary.of(words)
    with _lock:
        _cached[using] = (version, vocabulary)
    return vocabulary
