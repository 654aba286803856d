"""The search contract: one set of fixtures and assertions that every backend must pass.

``SearchBackendContract`` is not named ``Test*``, so pytest collects it only through its
subclasses (one per backend), which provide a ``backend`` fixture. A backend that cannot do
something declares it in its ``capabilities`` and the test says so when it skips; tests
never ask which backend they are running against.
"""

from dataclasses import replace
from datetime import date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from geopy.distance import geodesic
from wagtail.models import PageViewRestriction

from directory.choices import ActivityStatus, HowToJoin
from directory.models import ActivityPage
from directory.selectors import public_activities
from factories.directory import make_activity, make_need, make_organisation, make_venue
from search.backends.base import rank_key
from search.backends.database import DatabaseSearchBackend
from search.backends.stored_hits import listed_ids
from search.types import Accessibility, DeliveryMode, Location, SearchQuery, Sort, TimeOfDay

# BH15 1AB, Poole: the person's home in every test.
HOME = Location(50.715400, -1.987100, "BH15 1AB")

VENUES = {
    "quay": dict(name="Poole Quay", postcode="BH15 1HJ", latitude=50.7118, longitude=-1.9860, step_free=True),
    "hamworthy": dict(name="Hamworthy Library", postcode="BH15 4EY", latitude=50.7200, longitude=-2.0200),
    "parkstone": dict(name="Parkstone Hall", postcode="BH14 0AA", latitude=50.7230, longitude=-1.9500, step_free=True, parking=True),
    "wimborne": dict(name="Wimborne Minster", postcode="BH21 1HT", latitude=50.7995, longitude=-1.9856, accessible_toilet=True, hearing_loop=True),
    "dorchester": dict(name="Dorchester Corn Exchange", postcode="DT1 1HF", latitude=50.7154, longitude=-2.4370),
}


def session(venue, weekday, start, minutes=90, **extra):
    end = (datetime.combine(date(2026, 1, 1), start) + timedelta(minutes=minutes)).time()
    return {"venue": venue, "weekday": weekday, "start_time": start, "end_time": end, **extra}


class SearchBackendContract:
    """Subclasses provide a ``backend`` fixture (a ready, empty backend)."""

    # -- fixtures --------------------------------------------------------------------------
    @pytest.fixture
    def directory(self, backend, home, needs, django_capture_on_commit_callbacks):
        """A small directory around Poole; index updates run as they would after commit."""
        with django_capture_on_commit_callbacks(execute=True):
            creative = make_need("Creative activities", synonyms="art, arts, crafts")
            needs = {**needs, "creative": creative}
            org = make_organisation("Poole Community Trust")
            v = {key: make_venue(**spec) for key, spec in VENUES.items()}
            a = {
                "quay walk": make_activity(
                    org, "Quay walking group", needs=[needs["walking"]], summary="A gentle walk around the harbour.",
                    sessions=[session(v["quay"], 1, time(10, 0))], how_to_join=HowToJoin.DROP_IN,
                ),
                "chair yoga": make_activity(
                    org, "Chair yoga", needs=[needs["physical"]], summary="Seated exercise to music.",
                    sessions=[session(v["parkstone"], 0, time(14, 0), 60)], min_age=50, capacity_per_session=12,
                ),
                "art class": make_activity(
                    org, "Evening art class", needs=[creative], summary="Painting and drawing for beginners.",
                    sessions=[session(v["hamworthy"], 3, time(18, 30))], how_to_join=HowToJoin.REFERRAL_ONLY,
                    capacity_per_session=0, online=True,
                ),
                "lunch club": make_activity(
                    org, "Minster lunch club", needs=[needs["loneliness"]], summary="Hot lunch and good company.",
                    sessions=[session(v["wimborne"], 2, time(12, 30))], is_free=False, cost_amount="3.50", min_age=60,
                ),
                "county walk": make_activity(
                    org, "County walking group", needs=[needs["walking"]], summary="Longer walks in the hills.",
                    sessions=[session(v["dorchester"], 5, time(10, 0))],
                ),
                "befriending": make_activity(
                    org, "Telephone befriending", needs=[needs["loneliness"]], summary="A weekly chat with a volunteer.",
                    sessions=[], in_person=False, by_phone=True, service_areas="Broadstone\nCanford Heath",
                ),
                # Never to be found:
                "paused": make_activity(org, "Paused walking group", needs=[needs["walking"]], status=ActivityStatus.PAUSED,
                                        sessions=[session(v["quay"], 1, time(11, 0))]),
                "closed": make_activity(org, "Closed walking group", needs=[needs["walking"]], status=ActivityStatus.CLOSED,
                                        sessions=[session(v["quay"], 1, time(11, 0))]),
                "draft": make_activity(org, "Draft walking group", needs=[needs["walking"]], live=False,
                                       sessions=[session(v["quay"], 1, time(11, 0))]),
                "stale": make_activity(org, "Stale walking group", needs=[needs["walking"]], last_reviewed=date(2020, 1, 1),
                                       sessions=[session(v["quay"], 1, time(11, 0))]),
            }
        backend.refresh()
        return {"activities": a, "venues": v, "needs": needs, "organisation": org}

    def search(self, backend, **kwargs):
        kwargs.setdefault("location", HOME)
        kwargs.setdefault("radius_miles", 25)
        return backend.search(SearchQuery(**kwargs))

    def titles(self, results):
        return [hit.title for hit in results.hits]

    # -- radius and distance ---------------------------------------------------------------
    def test_nothing_outside_the_radius_ever_appears(self, backend, directory):
        results = self.search(backend, radius_miles=3)
        assert set(self.titles(results)) == {"Quay walking group", "Chair yoga", "Evening art class"}
        assert results.total == 3
        assert all(hit.distance_miles <= 3 for hit in results.hits)

    def test_distances_agree_with_the_geodesic_distance(self, backend, directory):
        results = self.search(backend, radius_miles=25)
        assert results.hits
        for hit in results.hits:
            true_miles = geodesic((HOME.latitude, HOME.longitude), (hit.venue.latitude, hit.venue.longitude)).miles
            assert abs(hit.distance_miles - true_miles) <= 0.1, hit.title

    def test_without_text_nearest_comes_first(self, backend, directory):
        results = self.search(backend)
        assert self.titles(results) == [
            "Quay walking group", "Evening art class", "Chair yoga", "Minster lunch club", "County walking group",
        ]
        # The ranking rule, in its code form, agrees with the backend's order.
        keys = [
            rank_key(query=results.query, relevance=0.0, distance_miles=h.distance_miles, minutes_to_next=None, title=h.title, activity_id=h.activity_id)
            for h in results.hits
        ]
        assert keys == sorted(keys)
        assert results.hits[0].venue.name == "Poole Quay"
        assert results.hits[0].organisation == "Poole Community Trust"

    def test_without_a_location_activities_with_no_venue_are_found(self, backend, directory):
        results = backend.search(SearchQuery(text="befriending"))
        assert self.titles(results) == ["Telephone befriending"]
        assert results.hits[0].distance_miles is None

    def test_an_activity_with_no_venue_is_found_by_the_areas_it_covers(self, backend, directory):
        results = backend.search(SearchQuery(text="Broadstone"))
        assert self.titles(results) == ["Telephone befriending"], self.titles(results)

    # -- needs and text --------------------------------------------------------------------
    def test_a_need_includes_its_children(self, backend, directory):
        physical = directory["needs"]["physical"]
        results = self.search(backend, needs=(physical.pk,))
        assert self.titles(results) == ["Quay walking group", "Chair yoga", "County walking group"]

    def test_synonyms_from_the_taxonomy_find_the_need(self, backend, directory):
        results = self.search(backend, text="lonely")
        assert "Minster lunch club" in self.titles(results)
        assert "Quay walking group" not in self.titles(results)

    @pytest.mark.parametrize(
        "typed, expected, first",
        [
            ("walkng", ["Quay walking group", "County walking group"], True),
            ("bereavment", ["Bereavement café"], True),
            ("BEREAVMENT support", ["Bereavement café"], True),
            # Found; the lunch club (listed under loneliness) may rank level with it.
            ("lonelyness", ["Bereavement café"], False),
        ],
    )
    def test_misspellings_are_forgiven(self, backend, directory, django_capture_on_commit_callbacks, typed, expected, first):
        # Issue 15: every backend, the embedded default on SQLite included, forgives misspellings.
        assert backend.capabilities.misspellings
        with django_capture_on_commit_callbacks(execute=True):
            make_activity(
                directory["organisation"], "Bereavement café", summary="Tea and company for anyone facing loneliness after a loss.",
                sessions=[session(directory["venues"]["parkstone"], 4, time(11, 0))],
            )
        backend.refresh()
        results = self.search(backend, text=typed)
        if first:
            assert self.titles(results)[: len(expected)] == expected, self.titles(results)
        else:
            assert set(expected) <= set(self.titles(results)), self.titles(results)
        if " " not in typed:
            # Forgiving a misspelt word reaches no unrelated listing. (A second, correctly spelt
            # word, "support", is matched as each engine matches any word: fuzzily on Elasticsearch.)
            assert "Chair yoga" not in self.titles(results)

    def test_a_word_the_listings_use_is_searched_as_typed(self, backend, directory, django_capture_on_commit_callbacks):
        # A listing with the misspelling itself comes first (at the same distance): exact words
        # rank above forgiven ones.
        with django_capture_on_commit_callbacks(execute=True):
            make_activity(directory["organisation"], "Bereavement café", summary="Tea and company.",
                          sessions=[session(directory["venues"]["quay"], 4, time(11, 0))])
            make_activity(directory["organisation"], "Bereavment drop-in", summary="A misspelt listing.",
                          sessions=[session(directory["venues"]["quay"], 4, time(11, 0))])
        backend.refresh()
        titles = self.titles(self.search(backend, text="bereavment"))
        if backend.capabilities.stemming:
            # Where words are stemmed, both spellings are one word ("bereav") and may tie.
            assert "Bereavment drop-in" in titles[:2], titles
        else:
            assert titles[0] == "Bereavment drop-in", titles

    def test_relevance_is_blended_with_distance(self, backend, directory):
        results = self.search(backend, text="walking")
        # Both walking groups match equally well; the nearer one ranks first.
        assert self.titles(results)[:2] == ["Quay walking group", "County walking group"]

    def test_text_that_matches_nothing_finds_nothing(self, backend, directory):
        results = self.search(backend, text="xylophone")
        assert results.total == 0 and results.hits == ()

    # -- filters ---------------------------------------------------------------------------
    @pytest.mark.parametrize(
        "filters, expected",
        [
            ({"weekdays": frozenset({1})}, ["Quay walking group"]),
            ({"times_of_day": frozenset({TimeOfDay.EVENING})}, ["Evening art class"]),
            ({"times_of_day": frozenset({TimeOfDay.AFTERNOON})}, ["Chair yoga", "Minster lunch club"]),
            ({"free_only": True}, ["Quay walking group", "Evening art class", "Chair yoga", "County walking group"]),
            ({"delivery": frozenset({DeliveryMode.ONLINE})}, ["Evening art class"]),
            ({"accessibility": frozenset({Accessibility.STEP_FREE})}, ["Quay walking group", "Chair yoga"]),
            ({"accessibility": frozenset({Accessibility.STEP_FREE, Accessibility.PARKING})}, ["Chair yoga"]),
            ({"age": 30}, ["Quay walking group", "Evening art class", "County walking group"]),
            ({"how_to_join": frozenset({HowToJoin.REFERRAL_ONLY.value})}, ["Evening art class"]),
            ({"has_capacity": True}, ["Quay walking group", "Chair yoga", "Minster lunch club", "County walking group"]),
        ],
    )
    def test_filters(self, backend, directory, filters, expected):
        results = self.search(backend, **filters)
        assert self.titles(results) == expected
        assert results.total == len(expected)

    def test_facet_counts(self, backend, directory):
        facets = {name: {f.value: f.count for f in counts} for name, counts in self.search(backend).facets.items()}
        needs = directory["needs"]
        assert facets["needs"] == {needs["walking"].slug: 2, needs["physical"].slug: 1, needs["creative"].slug: 1, needs["loneliness"].slug: 1}
        assert facets["days"] == {"0": 1, "1": 1, "2": 1, "3": 1, "5": 1}
        assert facets["cost"] == {"free": 4, "paid": 1}
        assert facets["delivery"] == {"in_person": 5, "online": 1, "phone": 0}
        assert facets["accessibility"] == {"step_free": 2, "accessible_toilet": 1, "hearing_loop": 1, "parking": 1}
        assert facets["how_to_join"][HowToJoin.REFERRAL_ONLY.value] == 1

    def test_facets_count_every_match_near_a_place_and_everywhere(self, backend, directory):
        # Near a place the activities' own facets are counted from the ranked rows; everywhere, in the database.
        near, everywhere = self.search(backend), self.search(backend, location=None)
        assert everywhere.total > near.total
        for results in (near, everywhere):
            facets = {name: {f.value: f.count for f in counts} for name, counts in results.facets.items()}
            assert sum(facets["cost"].values()) == results.total
            assert sum(facets["how_to_join"].values()) == results.total
        online = {f.value: f.count for f in everywhere.facets["delivery"]}["online"]
        assert online == sum(1 for hit in self.search(backend, location=None, page_size=50).hits if "online" in hit.delivery)

    def test_facets_count_the_filtered_results(self, backend, directory):
        facets = self.search(backend, free_only=True).facets
        assert {f.value: f.count for f in facets["cost"]} == {"free": 4, "paid": 0}

    # -- paging and sorting ----------------------------------------------------------------
    def test_pagination_is_stable_and_complete(self, backend, directory):
        everything = self.titles(self.search(backend, page_size=50))
        pages = [self.search(backend, page=n, page_size=2) for n in (1, 2, 3)]
        assert [p.total for p in pages] == [5, 5, 5]
        assert sum((self.titles(p) for p in pages), []) == everything
        assert pages[0].has_next and not pages[2].has_next

    def test_soonest_orders_by_next_session(self, backend, directory):
        results = self.search(backend, sort=Sort.SOONEST)
        now = timezone.localtime()
        # An occurrence already under way counts from its next week (the rule is weekly).
        starts = [h.next_session.starts if h.next_session.starts >= now else h.next_session.starts + timedelta(days=7) for h in results.hits]
        assert len(starts) == 5
        assert starts == sorted(starts)

    def test_nearest_needs_a_location(self, backend, directory):
        with pytest.raises(ValueError, match="sort"):
            SearchQuery(sort=Sort.NEAREST)

    # -- hidden listings and freshness ----------------------------------------------------
    def test_hidden_listings_are_never_returned(self, backend, directory):
        for query in (dict(), dict(text="walking"), dict(needs=(directory["needs"]["walking"].pk,)), dict(location=None, text="walking")):
            titles = self.titles(self.search(backend, page_size=100, **query))
            assert not {"Paused walking group", "Closed walking group", "Draft walking group", "Stale walking group"} & set(titles)

    def test_an_edit_is_visible_after_publish(self, backend, directory, django_capture_on_commit_callbacks):
        activity = directory["activities"]["quay walk"]
        with django_capture_on_commit_callbacks(execute=True):
            activity.title = "Harbour stroll"
            activity.save_revision().publish()
        backend.refresh()
        assert self.titles(self.search(backend, text="harbour stroll"))[0] == "Harbour stroll"
        with django_capture_on_commit_callbacks(execute=True):
            activity.unpublish()
        backend.refresh()
        assert "Harbour stroll" not in self.titles(self.search(backend))

    def test_a_listing_hidden_since_it_was_indexed_is_never_shown(self, backend, directory):
        # No on-commit callbacks run here: an index (if any) still holds both activities.
        directory["activities"]["quay walk"].unpublish()
        ActivityPage.objects.filter(pk=directory["activities"]["chair yoga"].pk).update(status=ActivityStatus.PAUSED)
        for query in (dict(), dict(text="walking"), dict(location=None, text="yoga walking"), dict(page_size=1)):
            titles = self.titles(self.search(backend, **query))
            assert not {"Quay walking group", "Chair yoga"} & set(titles), query
        assert self.titles(self.search(backend, radius_miles=3)) == ["Evening art class"]

    def test_a_listing_made_private_since_it_was_indexed_is_never_shown(self, backend, directory):
        # A view restriction on the organisation's page makes its activities private (Wagtail's
        # private section); no index update follows it.
        PageViewRestriction.objects.create(page=directory["organisation"], restriction_type=PageViewRestriction.LOGIN)
        assert not public_activities().filter(pk__in=[a.pk for a in directory["activities"].values()]).exists()
        for query in (dict(), dict(text="walking"), dict(location=None, text="yoga walking"), dict(page_size=1)):
            assert self.titles(self.search(backend, **query)) == [], query

    def test_the_one_query_listing_check_agrees_with_the_listing_rule(self, backend, directory):
        """``listed_ids`` (the index's hits' check) is ``public_activities`` in one query."""
        ids = list(ActivityPage.objects.values_list("pk", flat=True))
        assert listed_ids(ids) == set(public_activities().filter(pk__in=ids).values_list("pk", flat=True))
        restriction = PageViewRestriction.objects.create(page=directory["activities"]["quay walk"], restriction_type=PageViewRestriction.LOGIN)
        assert directory["activities"]["quay walk"].pk not in listed_ids(ids)
        assert listed_ids(ids) == set(public_activities().filter(pk__in=ids).values_list("pk", flat=True))
        restriction.delete()
        assert directory["activities"]["quay walk"].pk in listed_ids(ids)

    def test_a_renamed_organisation_and_venue_show_on_the_hits(self, backend, directory, django_capture_on_commit_callbacks):
        organisation, venue = directory["organisation"], directory["venues"]["quay"]
        with django_capture_on_commit_callbacks(execute=True):
            organisation.title = "Poole Harbour Trust"
            organisation.save_revision().publish()
            venue.name = "Poole Quay Boathouse"
            venue.save()
        backend.refresh()
        first = self.search(backend).hits[0]
        assert (first.title, first.organisation, first.venue.name) == ("Quay walking group", "Poole Harbour Trust", "Poole Quay Boathouse")
        assert first.next_session.venue_name == "Poole Quay Boathouse"

    # Hits show the same thing whichever backend found them (highlights aside, a capability).
    @pytest.mark.parametrize(
        "query",
        [
            dict(),
            dict(radius_miles=3, sort=Sort.NEAREST),
            dict(sort=Sort.SOONEST),
            dict(weekdays=frozenset({1, 2, 3}), times_of_day=frozenset({TimeOfDay.EVENING, TimeOfDay.AFTERNOON})),
            dict(accessibility=frozenset({Accessibility.STEP_FREE})),
            dict(location=None),
            dict(location=None, sort=Sort.SOONEST, page_size=3, page=2),
            dict(location=None, weekdays=frozenset({5})),
            dict(text="walking"),
            dict(location=None, text="befriending lunch"),
        ],
        ids=["radius", "nearest", "soonest", "days-and-times", "access", "everywhere", "soonest-page-2", "saturday", "text", "text-everywhere"],
    )
    def test_hits_show_what_the_database_shows(self, backend, directory, query):
        mine = {hit.activity_id: replace(hit, highlight="") for hit in self.search(backend, **query).hits}
        database = {hit.activity_id: hit for hit in self.search(DatabaseSearchBackend("database", {}), **query).hits}
        assert mine
        if "text" not in query:  # text matching is a capability: only the shared hits are compared
            assert list(mine) == list(database)
        shared = set(mine) & set(database)
        assert shared
        for activity_id in shared:
            assert mine[activity_id] == database[activity_id]

    def test_a_venue_move_is_visible(self, backend, directory, django_capture_on_commit_callbacks):
        venue = directory["venues"]["dorchester"]
        with django_capture_on_commit_callbacks(execute=True):
            venue.latitude, venue.longitude = venue.latitude, -1.9900  # now in Poole
            venue.save()
        backend.refresh()
        assert "County walking group" in self.titles(self.search(backend, radius_miles=3))

    # -- cost ------------------------------------------------------------------------------
    def test_queries_per_page_do_not_grow_with_the_page_size(self, backend, directory):
        counts = []
        self.search(backend, text="walking group")  # warm caches that are filled once per process (sites)
        for size in (1, 5):
            with CaptureQueriesContext(connection) as queries:
                self.search(backend, text="walking group", page_size=size)
            counts.append(len(queries))
        assert counts[0] == counts[1]
