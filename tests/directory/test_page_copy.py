import pytest
from django.contrib.auth.models import User

from factories.directory import make_activity, make_organisation, make_venue
from directory.models import ActivityPage
from tests.accounts import sign_in_verified

pytestmark = pytest.mark.django_db


def test_copying_an_activity_in_the_admin_makes_a_new_listing_with_its_own_oruk_id(client, home):
    organisation = make_organisation("Poole Walkers")
    walk = make_activity(organisation, "Wednesday walk", venue=make_venue())
    sign_in_verified(client, User.objects.create_superuser("admin", "admin@example.org", "x"))

    response = client.post(
        f"/admin/pages/{walk.pk}/copy/",
        {"new_title": "Thursday walk", "new_slug": "thursday-walk", "new_parent_page": organisation.pk},
    )

    assert response.status_code == 302
    copy = ActivityPage.objects.get(slug="thursday-walk")
    assert copy.oruk_id != walk.oruk_id
    assert copy.sessions.count() == 1


def test_a_copied_organisation_gets_its_own_editors(home):
    original = make_organisation("Halton Carers")
    copy = original.copy(update_attrs={"title": "Halton Carers North", "slug": "halton-carers-north"})
    copy.refresh_from_db()
    assert copy.oruk_id != original.oruk_id
    assert copy.editors_id is not None and copy.editors_id != original.editors_id
