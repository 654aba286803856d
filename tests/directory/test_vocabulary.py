import uuid

import pytest
from wagtail.models import ReferenceIndex
from wagtail.search.backends import get_search_backend

from factories.directory import make_need
from directory.models import NeedTerm
from directory.vocabulary import (
    NEEDS,
    NEEDS_NAMESPACE,
    default_need_slugs,
    ensure_needs_vocabulary,
    iter_needs,
    need_oruk_id,
)
from pages.setup import ensure_site

pytestmark = pytest.mark.django_db


def test_the_default_vocabulary_is_well_formed():
    slugs = default_need_slugs()
    assert len(slugs) == len(set(slugs)), "slugs must be unique"
    names = [need.name for need, _ in iter_needs()]
    assert len(names) == len(set(names)), "names must be unique, or people cannot tell terms apart"
    assert len(NEEDS) >= 15
    for need, _ in iter_needs():
        assert need.synonyms, f"{need.slug} has no synonyms"
        assert len(need.name) <= 120 and len(need.slug) <= 120


def test_oruk_ids_are_uuid5_of_the_slug_and_never_change():
    assert need_oruk_id("walking") == str(uuid.uuid5(NEEDS_NAMESPACE, "walking"))
    # Pinned: published ORUK data refers to terms by these ids.
    assert need_oruk_id("loneliness-and-isolation") == "ba44e09a-a751-5d41-860a-371b6420ee84"
    assert str(NEEDS_NAMESPACE) == "2760ae06-3f76-4c09-bc6d-37e485ffb828"


def test_ensure_site_seeds_every_default_term_with_its_parent_and_synonyms(home):
    terms = {term.slug: term for term in NeedTerm.objects.select_related("parent")}
    for need, parent in iter_needs():
        term = terms[need.slug]
        assert term.oruk_id == need_oruk_id(need.slug)
        assert term.name == need.name
        assert term.synonym_list == list(need.synonyms)
        assert (term.parent.slug if term.parent else None) == (parent.slug if parent else None)
        term.full_clean()

    assert {"lonely", "isolated", "no friends"} <= set(terms["loneliness-and-isolation"].synonym_list)
    assert {"anxiety", "low mood", "stress", "depression"} <= set(terms["mental-wellbeing"].synonym_list)
    assert {"food bank", "lunch club"} <= set(terms["food"].synonym_list)
    children = lambda slug: {child.slug for child in terms[slug].children.all()}  # noqa: E731
    assert {"walking", "dance", "swimming", "gentle-exercise"} <= children("physical-activity")
    assert {"dementia", "diabetes", "breathing-and-copd", "chronic-pain"} <= children("long-term-conditions")
    assert "chair-based exercise" in terms["gentle-exercise"].synonym_list


def test_seeding_is_idempotent(home):
    before = dict(NeedTerm.objects.values_list("slug", "pk"))
    again = ensure_needs_vocabulary()
    ensure_site()
    assert dict(NeedTerm.objects.values_list("slug", "pk")) == before
    assert {slug: term.pk for slug, term in again.items()} == {slug: before[slug] for slug in default_need_slugs()}


def test_moderators_edits_survive_the_next_deployment(home):
    walking = NeedTerm.objects.get(slug="walking")
    walking.name = "Walking groups"
    walking.slug = "walking-groups"
    walking.synonyms = "walks"
    walking.parent = NeedTerm.objects.get(slug="gardening-and-nature")
    walking.save()
    food = NeedTerm.objects.get(slug="food")
    food.description = "Edited by a moderator."
    food.save()
    count = NeedTerm.objects.count()

    ensure_site()

    walking.refresh_from_db()
    food.refresh_from_db()
    assert (walking.name, walking.slug, walking.synonyms, walking.parent.slug) == (
        "Walking groups",
        "walking-groups",
        "walks",
        "gardening-and-nature",
    )
    assert food.description == "Edited by a moderator."
    assert NeedTerm.objects.count() == count, "a renamed term is recognised by its ORUK id, not duplicated"


def test_a_missing_default_term_is_added_under_its_parent_wherever_that_now_is(home):
    NeedTerm.objects.get(slug="swimming").delete()
    physical = NeedTerm.objects.get(slug="physical-activity")
    physical.parent = NeedTerm.objects.get(slug="healthy-living")
    physical.save()

    terms = ensure_needs_vocabulary()

    assert terms["swimming"].parent == physical
    assert NeedTerm.objects.get(slug="swimming").oruk_id == need_oruk_id("swimming")


def test_seeded_terms_are_in_the_search_and_reference_indexes(home):
    results = list(get_search_backend().search("lonely", NeedTerm))
    assert NeedTerm.objects.get(slug="loneliness-and-isolation") in results
    walking = NeedTerm.objects.get(slug="walking")
    assert ReferenceIndex.get_references_for_object(walking).filter(to_object_id=str(walking.parent_id)).exists()


def test_the_home_page_offers_the_top_level_needs(client, home):
    page = client.get("/").content.decode()
    for need in NEEDS:
        assert need.name.replace("'", "&#x27;") in page or need.name in page


def test_make_need_finds_or_adds_terms_beside_the_default_vocabulary(home, needs):
    assert needs["walking"] == NeedTerm.objects.get(slug="walking")
    assert needs["walking"].parent == NeedTerm.objects.get(slug="physical-activity")
    # A test's own "Dementia" at the top level must not clash with the default one's slug.
    dementia = make_need("Dementia")
    assert dementia.parent is None and dementia.slug == "dementia-2"
    assert make_need("Dementia") == dementia
