"""The embedded default: searches the directory's own tables, on SQLite or PostgreSQL.

One query finds the page of activity ids: publicly listed activities joined to their
qualifying sessions, narrowed by a bounding box on the venues' indexed latitude and
longitude before the exact great-circle distance is computed in SQL, grouped by activity
(nearest venue wins), filtered, ranked by the rule in ``base`` and cut to one page. A
fixed handful of aggregate queries count the total and the facets, and ``hydrate`` loads
what the page shows. The number of queries never depends on the page size.

Text: PostgreSQL full-text search (English stemming) plus trigram similarity for
misspellings; on SQLite, case-insensitive substring matching of crude word stems, and a
typed word no listing contains is also searched as the listings' closest word (``spelling``),
at half the weight, so exact words rank above corrected ones.
"""

from __future__ import annotations

import re
from collections import Counter

from django.contrib.postgres.search import SearchQuery as TsQuery
from django.contrib.postgres.search import (
    SearchRank,
    SearchVector,
    SearchVectorExact,
    SearchVectorField,
    TrigramWordSimilarity,
)
from django.db import connection
from django.db.models import (
    Case,
    Count,
    Exists,
    Expression,
    F,
    FloatField,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Concat, ExtractHour, ExtractMinute, Greatest, Mod, Power
from django.db.models.lookups import GreaterThanOrEqual
from django.utils import timezone

from directory.choices import HowToJoin, Weekday
from directory.models import ActivityPage, ActivitySession
from directory.selectors import public_activities
from search.backends.base import (
    BaseSearchBackend,
    Capabilities,
    Taxonomy,
    _stem,
    half_distance_miles,
    query_words,
)
from search.backends.hydration import hydrate
from search.backends.orm import distance_expression, session_filter
from search.backends.spelling import MIN_LENGTH, listings_vocabulary
from search.types import Accessibility, DeliveryMode, FacetCount, SearchQuery, SearchResults, Sort

MINUTES_PER_WEEK = 7 * 24 * 60
# How alike a typed word and a word in a title or summary must be to count as a misspelling.
TRIGRAM_WORD_SIMILARITY = 0.5
# A corrected word counts for this much of a typed word that the listings contain.
CORRECTED_WEIGHT = 0.5
_NeedLink = ActivityPage.needs.through


def minutes_to_next_expression(prefix: str = ""):
    """Minutes from now to the session's next weekly start (by weekday and start time)."""
    now = timezone.localtime()
    now_minute = now.weekday() * 1440 + now.hour * 60 + now.minute
    starts = F(f"{prefix}weekday") * 1440 + ExtractHour(f"{prefix}start_time") * 60 + ExtractMinute(f"{prefix}start_time")
    return Mod(starts - Value(now_minute) + Value(MINUTES_PER_WEEK), Value(MINUTES_PER_WEEK), output_field=IntegerField())


def activity_filter(query: SearchQuery, taxonomy: Taxonomy) -> Q:
    """Filters on the activity itself (not its sessions)."""
    q = Q()
    if query.needs:
        wanted = taxonomy.with_descendants(query.needs)
        q &= Q(Exists(_NeedLink.objects.filter(activitypage_id=OuterRef("pk"), needterm_id__in=wanted)))
    if query.free_only:
        q &= Q(is_free=True)
    if query.delivery:
        modes = Q()
        for mode in query.delivery:
            modes |= Q(**{mode.field: True})
        q &= modes
    if query.age is not None:
        q &= Q(min_age__isnull=True) | Q(min_age__lte=query.age)
        q &= Q(max_age__isnull=True) | Q(max_age__gte=query.age)
    if query.how_to_join:
        q &= Q(how_to_join__in=sorted(query.how_to_join))
    if query.has_capacity:
        # No capacity recorded means no limit; a capacity of 0 means full.
        q &= Q(capacity_per_session__isnull=True) | Q(capacity_per_session__gt=0)
    return q


def corrected_text(text: str, corrections: dict[str, str]) -> str:
    """The query as searched: each corrected word replaced ("bereavment group" -> "bereavement group")."""
    if not corrections:
        return ""
    return _TYPED_WORD.sub(lambda m: corrections.get(m.group(0).lower(), m.group(0)), text).strip()


_TYPED_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?", re.UNICODE)


class DatabaseSearchBackend(BaseSearchBackend):
    name = "database"

    @property
    def capabilities(self) -> Capabilities:
        # Misspellings: pg_trgm on PostgreSQL, the listings' vocabulary on SQLite (``spelling``).
        return Capabilities(misspellings=True, stemming=connection.vendor == "postgresql")

    def health(self) -> dict:
        try:
            ActivityPage.objects.exists()
        except Exception as error:  # any database failure means this backend cannot answer
            return {"status": "unavailable", "error": error.__class__.__name__}
        return {"status": "ok"}

    # -- text ---------------------------------------------------------------------------
    def corrections(self, text: str, taxonomy: Taxonomy) -> dict[str, str]:
        """Typed words that no listing or need contains, each with the closest word that one does.

        Only on SQLite (PostgreSQL matches misspellings itself). A word the listings contain is
        never corrected, so a correct query searches exactly what was typed."""
        if connection.vendor == "postgresql":
            return {}
        need_words = taxonomy.words
        words = [w for w in query_words(text) if len(w) >= MIN_LENGTH and w not in need_words]
        if not words:
            return {}  # nothing to look up: no query for the vocabulary's version either
        vocabulary = listings_vocabulary(connection.alias)
        found = {}
        for word in words:
            if vocabulary.knows(_stem(word)):
                continue
            closest = vocabulary.closest(word, extra=need_words)
            if closest is not None and closest != word:
                found[word] = closest
        return found

    def _text(self, query: SearchQuery, taxonomy: Taxonomy, corrections: dict[str, str]):
        """(match condition, relevance expression) for the query text, or (None, None)."""
        words = query_words(query.text)
        need_terms = taxonomy.terms_matching(query.text)
        # A misspelt need or synonym ("lonley") counts as a match of that need, at a lower bonus.
        corrected_needs = taxonomy.terms_matching(" ".join(corrections.values())) - need_terms if corrections else set()
        if not words and not need_terms:
            return None, None
        need_match = Exists(_NeedLink.objects.filter(activitypage_id=OuterRef("pk"), needterm_id__in=need_terms))
        # A typed need counts as a strong match: the editor said this activity helps with it.
        need_bonus = Case(When(need_match, then=Value(0.5)), default=Value(0.0), output_field=FloatField())
        if corrected_needs:
            corrected_match = Exists(_NeedLink.objects.filter(activitypage_id=OuterRef("pk"), needterm_id__in=corrected_needs))
            need_bonus = need_bonus + Case(
                When(corrected_match, then=Value(0.5 * CORRECTED_WEIGHT)), default=Value(0.0), output_field=FloatField()
            )
            need_match = need_match | corrected_match
        if not words:
            return Q(need_match), need_bonus
        if connection.vendor == "postgresql":
            return self._postgres_text(words, need_match, need_bonus)
        return self._substring_text(words, need_match, need_bonus, corrections)

    def _postgres_text(self, words, need_match, need_bonus):
        # The document PostgreSQL stores and keeps in step (directory migration 0007); the same document
        # built afresh should a row ever lack it.
        vector = Coalesce(
            _StoredDocument(),
            SearchVector("title", weight="A", config="english")
            + SearchVector("summary", weight="B", config="english")
            + SearchVector("conditions", weight="B", config="english")
            + SearchVector("description", weight="C", config="english")
            + SearchVector("service_areas", weight="C", config="english"),
            output_field=SearchVectorField(),
        )
        tsquery = None
        for word in words:
            part = TsQuery(word, search_type="plain", config="english")
            tsquery = part if tsquery is None else tsquery | part
        # Any word may match; normalisation 32 maps the rank into [0, 1) (rank / (rank + 1)).
        rank = SearchRank(vector, tsquery, normalization=32)
        title_and_summary = Concat("title", Value(" "), "summary")
        # Misspellings: a typed word close to a word in the title or summary (pg_trgm).
        similarities = [TrigramWordSimilarity(Value(w), title_and_summary) for w in words if len(w) >= 4]
        match = Q(SearchVectorExact(vector, tsquery)) | Q(need_match)
        for similarity in similarities:
            match |= Q(GreaterThanOrEqual(similarity, TRIGRAM_WORD_SIMILARITY))
        relevance = rank + need_bonus
        if similarities:
            closest = similarities[0] if len(similarities) == 1 else Greatest(*similarities)
            relevance = relevance + closest * Value(0.2)
        return match, relevance

    def _substring_text(self, words, need_match, need_bonus, corrections):
        weights = {"title": 3, "summary": 2, "conditions": 2, "description": 1, "service_areas": 1}
        match = Q(need_match)
        parts = []
        searched = [(_stem(word), 1.0) for word in words]
        # The typed word is still searched (it may be in a description), its correction at a lower weight.
        searched += [(_stem(corrected), CORRECTED_WEIGHT) for corrected in corrections.values()]
        for stem, factor in searched:
            for field_name, weight in weights.items():
                contains = Q(**{f"{field_name}__icontains": stem})
                match |= contains
                parts.append(Case(When(contains, then=Value(weight * factor)), default=Value(0.0), output_field=FloatField()))
        total = parts[0]
        for part in parts[1:]:
            total = total + part
        # Scaled into [0, 1], like PostgreSQL's normalised rank.
        relevance = total / Value(float(sum(weights.values()) * len(words))) + need_bonus
        return match, relevance

    # -- the search -----------------------------------------------------------------------
    def matching(self, query: SearchQuery, taxonomy: Taxonomy, corrections: dict[str, str] | None = None):
        """Publicly listed activities that match, annotated with distance and relevance."""
        activities = public_activities().filter(activity_filter(query, taxonomy))
        if corrections is None:
            corrections = self.corrections(query.text, taxonomy)
        match, relevance = self._text(query, taxonomy, corrections)
        if match is not None:
            activities = activities.filter(match)
        annotations = {}
        if query.has_session_filters:
            activities = activities.filter(session_filter(query, "sessions__"))
        if query.location is not None:
            annotations["distance"] = Min(distance_expression(query, "sessions__"))
        if query.sort == Sort.SOONEST:
            annotations["minutes_to_next"] = Min(minutes_to_next_expression("sessions__"))
        if annotations:
            # Annotating after filtering on sessions aggregates over the same joined (qualifying) sessions,
            # grouped by the activity's id alone: grouping by every column of the page cost a quarter of
            # a dense area's ranking.
            activities = activities.values("pk").annotate(**annotations)
        if query.location is not None:
            activities = activities.filter(distance__lte=query.radius_miles)
        if relevance is not None:
            activities = activities.annotate(relevance=relevance)
        return activities

    def _ordering(self, query: SearchQuery, has_text: bool):
        nearer = [F("distance").asc()] if query.location is not None else []
        tail = [*nearer, F("title").asc(), F("pk").asc()]
        if query.sort == Sort.SOONEST:
            return [F("minutes_to_next").asc(nulls_last=True), *tail]
        if query.sort == Sort.BEST and has_text:
            if query.location is not None:
                decay = Power(Value(0.5), F("distance") / Value(half_distance_miles(query.radius_miles)))
                return [(F("relevance") * decay).desc(), *tail]
            return [F("relevance").desc(), *tail]
        return tail

    def search(self, query: SearchQuery) -> SearchResults:
        taxonomy = Taxonomy.load()
        corrections = self.corrections(query.text, taxonomy)
        activities = self.matching(query, taxonomy, corrections)
        has_text = "relevance" in activities.query.annotations
        fields = ["pk"] + [name for name in ("distance", "relevance") if name in activities.query.annotations]
        ordered = activities.order_by(*self._ordering(query, has_text))
        if query.location is not None or has_text:
            # Within a radius, or for words, the matches are few (hundreds, tens of thousands in a city):
            # fetch them all in one ranked query, with the columns the activity's own facets count, and
            # count and facet them by id, rather than re-running the distance or text match each time.
            rows = list(ordered.values_list(*fields, *_OWN_FACET_FIELDS))
            page = rows[query.offset : query.offset + query.page_size]
            total = len(rows)
            ids = [row[0] for row in rows]
            own = _own_facet_counts(row[len(fields):] for row in rows)
        else:
            page = list(ordered.values_list(*fields)[query.offset : query.offset + query.page_size])
            total = activities.count()
            ids = activities.values("pk")
            own = None
        facets = self.facets(ids, taxonomy, own=own)
        hits = hydrate(query, [row[0] for row in page], taxonomy=taxonomy)
        return SearchResults(
            query=query, hits=tuple(hits), total=total, facets=facets, backend=self.name,
            corrected_text=corrected_text(query.text, corrections) if total else "",
        )

    def facets(self, ids, taxonomy: Taxonomy, own: dict[str, int] | None = None) -> dict[str, tuple[FacetCount, ...]]:
        """How many of the matching activities have each value (a fixed number of queries). ``own``: the
        counts of the activities' own columns, when the caller has already read them."""
        ids = _among(ids)
        # An activity is linked to a need at most once (the link table's unique pair): no DISTINCT to sort.
        needs = dict(
            _NeedLink.objects.filter(activitypage_id__in=ids)
            .values("needterm_id")
            .annotate(n=Count("activitypage_id"))
            .values_list("needterm_id", "n")
        )
        if own is None:
            own = ActivityPage.objects.filter(pk__in=ids).aggregate(
                free=Count("pk", filter=Q(is_free=True)),
                paid=Count("pk", filter=Q(is_free=False)),
                **{f"mode_{mode.value}": Count("pk", filter=Q(**{mode.field: True})) for mode in DeliveryMode},
                **{f"join_{value}": Count("pk", filter=Q(how_to_join=value)) for value in HowToJoin.values},
            )
        # The days and the venues' features in one pass over the sessions: each activity's sessions are
        # first reduced to whether any is on each day or at a venue with each feature, then summed.
        per_activity = (
            ActivitySession.objects.filter(activity_id__in=ids)
            .values("activity_id")
            .annotate(
                **{f"day_{day}": Max(Case(When(weekday=day, then=1), default=0)) for day in Weekday.values},
                **{feature.value: Max(Case(When(**{f"venue__{feature.value}": True}, then=1), default=0))
                   for feature in Accessibility},
            )
        )
        sessions = per_activity.aggregate(
            **{f"days_{day}": Sum(f"day_{day}") for day in Weekday.values},
            **{f"venues_{feature.value}": Sum(feature.value) for feature in Accessibility},
        )
        days = {day: sessions[f"days_{day}"] for day in Weekday.values if sessions[f"days_{day}"]}
        venues = {feature.value: sessions[f"venues_{feature.value}"] or 0 for feature in Accessibility}
        return {
            "needs": tuple(
                FacetCount(taxonomy.slugs[term], taxonomy.names[term], count)
                for term, count in sorted(needs.items(), key=lambda item: (-item[1], taxonomy.names[item[0]]))
            ),
            "days": tuple(FacetCount(str(day), Weekday(day).label, days[day]) for day in sorted(days)),
            "cost": (FacetCount("free", "Free", own["free"]), FacetCount("paid", "Costs money", own["paid"])),
            "delivery": tuple(FacetCount(mode.value, mode.label, own[f"mode_{mode.value}"]) for mode in DeliveryMode),
            "how_to_join": tuple(FacetCount(value, label, own[f"join_{value}"]) for value, label in HowToJoin.choices),
            "accessibility": tuple(FacetCount(feature.value, feature.label, venues[feature.value]) for feature in Accessibility),
        }


class _StoredDocument(Expression):
    """The activity's stored full-text document: a column Django does not model (directory migration
    0007), read from whichever alias the query gives the activity's table."""

    def __init__(self):
        super().__init__(output_field=SearchVectorField())
        # The table's key, resolved (and relabelled in subqueries) by Django like any column.
        self.anchor = F("page_ptr_id")

    def get_source_expressions(self):
        return [self.anchor]

    def set_source_expressions(self, expressions):
        (self.anchor,) = expressions

    def as_sql(self, compiler, connection):
        table = compiler.quote_name_unless_alias(self.anchor.alias)
        return f"{table}.{connection.ops.quote_name('search_document')}", []


_OWN_FACET_FIELDS = ("is_free", *(mode.field for mode in DeliveryMode), "how_to_join")


def _own_facet_counts(rows) -> dict[str, int]:
    """``facets``' counts of the activities' own columns, from (is_free, *modes, how_to_join) rows,
    column by column (a city's tens of thousands of rows)."""
    columns = list(zip(*rows)) or [()] * len(_OWN_FACET_FIELDS)
    is_free, *offered, how_to_join = columns
    free = sum(map(bool, is_free))
    joins = Counter(how_to_join)
    return {"free": free, "paid": len(is_free) - free,
            **{f"mode_{mode.value}": sum(map(bool, on)) for mode, on in zip(DeliveryMode, offered)},
            **{f"join_{value}": joins[value] for value in HowToJoin.values}}


def _among(ids):
    """``ids`` for an ``__in`` filter, as one parameter: a dense area's tens of thousands of matches as
    an IN list cost more to build and plan than to count (PostgreSQL), or pass SQLite's limit on
    parameters (32,766)."""
    if not isinstance(ids, list):
        return ids
    if connection.vendor == "postgresql":
        # As an array literal: the driver's list adapter costs more than the query's planning.
        return RawSQL("SELECT unnest(%s::bigint[])", ("{" + ",".join(map(str, ids)) + "}",))
    if connection.vendor == "sqlite":
        return RawSQL("SELECT value FROM json_each(%s)", ("[" + ",".join(map(str, ids)) + "]",))
    return ids


SearchBackend = DatabaseSearchBackend

__all__ = ["SearchBackend", "DatabaseSearchBackend"]
