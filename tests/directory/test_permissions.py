"""Isolation between organisations, through the Wagtail admin; and inviting editors."""

import re
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from wagtail.permissions import policy_registry

from factories.directory import make_activity, make_organisation, make_venue
from directory.models import Venue
from directory.permissions import MODERATORS_GROUP, VenuePermissionPolicy
from tests.accounts import current_code, sign_in_verified

User = get_user_model()

# Helpers shared with the other directory admin tests -----------------------------------------


def make_editor(organisation, username: str, **fields):
    user = User.objects.create_user(username, fields.pop("email", f"{username}@example.org"), "not-used", **fields)
    user.groups.add(organisation.editors)
    return user


def make_moderator(username: str = "moderator", **fields):
    user = User.objects.create_user(username, fields.pop("email", f"{username}@example.org"), "not-used", **fields)
    user.groups.add(Group.objects.get(name=MODERATORS_GROUP))
    return user


def form_data(response, form_id: str) -> dict[str, list[str]]:
    """What a browser would submit from the form ``form_id`` in ``response``, before any button."""
    soup = BeautifulSoup(response.content, "html.parser")
    form = soup.find("form", id=form_id)
    assert form is not None, f"no form #{form_id} in the response"
    data: dict[str, list[str]] = {}
    for element in form.find_all(["input", "select", "textarea"]):
        name = element.get("name")
        if not name or "__prefix__" in name or element.find_parent("template"):
            continue
        if element.name == "textarea":
            data.setdefault(name, []).append(element.text)
        elif element.name == "select":
            options = element.find_all("option")
            chosen = [o for o in options if o.has_attr("selected")] or ([] if element.has_attr("multiple") else options[:1])
            data.setdefault(name, []).extend(o.get("value", o.text) for o in chosen)
        elif element.get("type") in ("checkbox", "radio"):
            if element.has_attr("checked"):
                data.setdefault(name, []).append(element.get("value", "on"))
        elif element.get("type") not in ("submit", "button", "file", "image"):
            data.setdefault(name, []).append(element.get("value", ""))
    return data


def assert_denied(response):
    """Wagtail answers a permission failure in the admin with a redirect to the dashboard and an
    error message (a 403 for XHR requests); our own views answer 404 so as not to reveal the object."""
    if response.status_code in (403, 404):
        return
    assert response.status_code == 302, response.status_code
    assert urlsplit(response["Location"]).path == reverse("wagtailadmin_home")


# Fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def directory(home, postcodes):
    """Two organisations, each with a live and a draft activity and a venue, and a shared venue."""
    poole = make_organisation("Poole Walkers", email="hello@poolewalkers.example")
    carers = make_organisation("Dorchester Carers", email="office@dorchestercarers.example")
    return {
        "poole": poole,
        "carers": carers,
        "poole_walk": make_activity(poole, "Harbour walk"),
        "poole_draft": make_activity(poole, "Heath walk", live=False),
        "carers_cafe": make_activity(carers, "Carers cafe"),
        "carers_draft": make_activity(carers, "Carers retreat", live=False),
        "poole_venue": make_venue("Poole Park pavilion", organisation=poole),
        "carers_venue": make_venue("Dorchester Corn Exchange", postcode="DT1 1XJ", organisation=carers),
        "shared_venue": make_venue("Poole Library"),
    }


@pytest.fixture
def editor(directory):
    return make_editor(directory["poole"], "poole-editor")


@pytest.fixture
def editor_client(client, editor):
    sign_in_verified(client, editor)
    return client


# Pages --------------------------------------------------------------------------------------


def test_editor_edits_own_pages_only(editor_client, directory):
    assert editor_client.get(reverse("wagtailadmin_pages:edit", args=[directory["poole_walk"].pk])).status_code == 200
    assert editor_client.get(reverse("wagtailadmin_pages:edit", args=[directory["poole"].pk])).status_code == 200

    for page in (directory["carers"], directory["carers_cafe"], directory["carers_draft"]):
        url = reverse("wagtailadmin_pages:edit", args=[page.pk])
        assert_denied(editor_client.get(url))
        assert editor_client.get(url, headers={"x-requested-with": "XMLHttpRequest"}).status_code == 403


def test_editor_cannot_change_another_organisations_page_by_posting(editor_client, directory, client):
    cafe = directory["carers_cafe"]
    # The form is the editor's own activity's, pointed at the other organisation's page.
    data = form_data(
        editor_client.get(reverse("wagtailadmin_pages:edit", args=[directory["poole_walk"].pk])), "page-edit-form"
    )
    data.update(title=["Hijacked"], slug=[cafe.slug], **{"action-publish": ["1"]})

    assert_denied(editor_client.post(reverse("wagtailadmin_pages:edit", args=[cafe.pk]), data))

    cafe.refresh_from_db()
    assert cafe.title == "Carers cafe"
    assert cafe.get_latest_revision().as_object().title == "Carers cafe"


def test_editor_cannot_add_pages_to_another_organisation(editor_client, directory):
    carers = directory["carers"]
    assert_denied(editor_client.get(reverse("wagtailadmin_pages:add_subpage", args=[carers.pk])))
    assert_denied(
        editor_client.get(reverse("wagtailadmin_pages:add", args=["directory", "activitypage", carers.pk]))
    )
    assert_denied(
        editor_client.post(
            reverse("wagtailadmin_pages:add", args=["directory", "activitypage", carers.pk]),
            {"title": "Sneaked in", "slug": "sneaked-in"},
        )
    )
    assert not carers.get_children().filter(title="Sneaked in").exists()
    # Nor may they add an organisation beside their own.
    index = directory["poole"].get_parent()
    assert_denied(editor_client.get(reverse("wagtailadmin_pages:add_subpage", args=[index.pk])))

    poole = directory["poole"]
    add_own = reverse("wagtailadmin_pages:add", args=["directory", "activitypage", poole.pk])
    assert editor_client.get(add_own).status_code == 200


def test_explorer_shows_an_editor_only_their_organisation(editor_client, directory):
    poole, carers = directory["poole"], directory["carers"]

    # Anywhere above or beside their organisation, the explorer takes them back to it.
    for page in (poole.get_parent(), carers):
        response = editor_client.get(reverse("wagtailadmin_explore", args=[page.pk]))
        assert response.status_code == 302
        assert response["Location"] == reverse("wagtailadmin_explore", args=[poole.pk])

    html = editor_client.get(reverse("wagtailadmin_explore", args=[poole.pk])).content.decode()
    assert "Harbour walk" in html and "Heath walk" in html
    assert "Carers" not in html

    # The explorer menu's API lists only their organisation under the directory.
    api = editor_client.get("/admin/api/main/pages/", {"child_of": poole.get_parent().pk, "for_explorer": 1}).json()
    assert [item["title"] for item in api["items"]] == ["Poole Walkers"]
    assert editor_client.get("/admin/api/main/pages/", {"child_of": carers.pk}).status_code in (400, 404)


def test_admin_search_finds_only_an_editors_own_pages(editor_client, directory):
    html = editor_client.get(reverse("wagtailadmin_pages:search"), {"q": "carers"}).content.decode()
    assert "Carers cafe" not in html and "Carers retreat" not in html and "Dorchester Carers" not in html

    html = editor_client.get(reverse("wagtailadmin_pages:search"), {"q": "walk"}).content.decode()
    assert "Harbour walk" in html and "Heath walk" in html


def test_page_chooser_hides_other_organisations_drafts(editor_client, directory):
    carers = directory["carers"]
    html = editor_client.get(reverse("wagtailadmin_choose_page_child", args=[carers.pk])).json()["html"]
    # Live pages are public anyway, and editors may link to them; drafts are not.
    assert "Carers cafe" in html
    assert "Carers retreat" not in html
    own = editor_client.get(reverse("wagtailadmin_choose_page_child", args=[directory["poole"].pk])).json()["html"]
    assert "Heath walk" in own


def test_only_moderators_may_change_trusted(editor_client, directory):
    poole = directory["poole"]
    response = editor_client.get(reverse("wagtailadmin_pages:edit", args=[poole.pk]))
    data = form_data(response, "page-edit-form")
    assert "trusted" not in data  # not offered to editors
    data.update(trusted=["on"], **{"action-submit": ["1"]})

    editor_client.post(reverse("wagtailadmin_pages:edit", args=[poole.pk]), data)

    poole.refresh_from_db()
    assert poole.trusted is False
    assert poole.get_latest_revision().as_object().trusted is False


# Venues -------------------------------------------------------------------------------------

VENUES_INDEX = "wagtailsnippets_directory_venue:list"


def _venue_url(name, venue):
    return reverse(f"wagtailsnippets_directory_venue:{name}", args=[venue.pk])


def test_venue_policy_is_registered_and_object_level(directory, editor):
    policy = policy_registry.get_by_type(Venue)
    assert isinstance(policy, VenuePermissionPolicy)
    assert policy.user_has_permission_for_instance(editor, "change", directory["poole_venue"])
    assert not policy.user_has_permission_for_instance(editor, "change", directory["carers_venue"])
    assert not policy.user_has_permission_for_instance(editor, "change", directory["shared_venue"])
    assert set(policy.instances_user_has_any_permission_for(editor, ["change"])) == {directory["poole_venue"]}

    moderator = make_moderator()
    assert policy.user_has_permission_for_instance(moderator, "delete", directory["shared_venue"])
    assert set(policy.users_with_any_permission_for_instance(["change"], directory["poole_venue"])) == {
        editor,
        moderator,
    }
    assert set(policy.users_with_any_permission_for_instance(["change"], directory["carers_venue"])) == {moderator}


def test_venue_listing_shows_an_editor_only_their_venues(editor_client, directory):
    html = editor_client.get(reverse(VENUES_INDEX)).content.decode()
    assert "Poole Park pavilion" in html
    assert "Dorchester Corn Exchange" not in html
    assert "Poole Library" not in html

    html = editor_client.get(reverse(VENUES_INDEX), {"q": "exchange"}).content.decode()
    assert "Dorchester Corn Exchange" not in html


def test_moderator_sees_and_edits_every_venue(client, directory):
    sign_in_verified(client, make_moderator())
    html = client.get(reverse(VENUES_INDEX)).content.decode()
    assert all(name in html for name in ("Poole Park pavilion", "Dorchester Corn Exchange", "Poole Library"))
    assert client.get(_venue_url("edit", directory["carers_venue"])).status_code == 200
    assert client.get(_venue_url("edit", directory["shared_venue"])).status_code == 200


@pytest.mark.parametrize("view", ["edit", "delete", "history", "usage", "copy"])
def test_other_organisations_venue_is_not_found(editor_client, directory, view):
    assert editor_client.get(_venue_url(view, directory["carers_venue"])).status_code == 404
    assert editor_client.get(_venue_url(view, directory["shared_venue"])).status_code == 404
    assert editor_client.get(_venue_url(view, directory["poole_venue"])).status_code == 200


def test_editor_cannot_change_or_delete_another_organisations_venue_by_posting(editor_client, directory):
    carers_venue = directory["carers_venue"]
    data = form_data(editor_client.get(_venue_url("edit", directory["poole_venue"])), "w-editor-form")
    data["name"] = ["Hijacked"]
    assert editor_client.post(_venue_url("edit", carers_venue), data).status_code == 404
    assert editor_client.post(_venue_url("delete", carers_venue)).status_code == 404

    # Nor through the listing's bulk delete.
    bulk = reverse("wagtail_bulk_action", args=["directory", "venue", "delete"])
    editor_client.post(f"{bulk}?id={carers_venue.pk}", {})

    carers_venue.refresh_from_db()
    assert carers_venue.name == "Dorchester Corn Exchange"


def test_editor_edits_and_deletes_own_venue(editor_client, directory):
    venue = directory["poole_venue"]
    data = form_data(editor_client.get(_venue_url("edit", venue)), "w-editor-form")
    data["name"] = ["Poole Park pavilion and cafe"]
    response = editor_client.post(_venue_url("edit", venue), data)
    assert response.status_code == 302
    venue.refresh_from_db()
    assert venue.name == "Poole Park pavilion and cafe"
    assert venue.organisation == directory["poole"]

    editor_client.post(_venue_url("delete", venue))
    assert not Venue.objects.filter(pk=venue.pk).exists()


def test_venue_form_offers_editors_only_their_organisations(editor_client, directory):
    response = editor_client.get(reverse("wagtailsnippets_directory_venue:add"))
    soup = BeautifulSoup(response.content, "html.parser")
    select = soup.find("select", attrs={"name": "organisation"})
    assert [option.text for option in select.find_all("option")] == ["Poole Walkers"]

    data = form_data(response, "w-editor-form")
    data.update(name=["Sneaky hall"], address_1=["1 Sneak Street"], town=["Poole"], postcode=["BH15 1AB"])

    # Another organisation's id, or none at all, is refused with a clear message.
    data["organisation"] = [str(directory["carers"].pk)]
    response = editor_client.post(reverse("wagtailsnippets_directory_venue:add"), data)
    assert response.status_code == 200
    assert "Choose one of your organisations." in response.content.decode()
    data["organisation"] = [""]
    response = editor_client.post(reverse("wagtailsnippets_directory_venue:add"), data)
    assert "This field is required." in response.content.decode()
    assert not Venue.objects.filter(name="Sneaky hall").exists()

    data["organisation"] = [str(directory["poole"].pk)]
    response = editor_client.post(reverse("wagtailsnippets_directory_venue:add"), data)
    assert response.status_code == 302
    assert Venue.objects.get(name="Sneaky hall").organisation == directory["poole"]


def test_venue_chooser_offers_own_and_shared_venues(editor_client, directory):
    html = editor_client.get(reverse("wagtailsnippetchoosers_directory_venue:choose")).json()["html"]
    assert "Poole Park pavilion" in html
    assert "Poole Library" in html
    assert "Dorchester Corn Exchange" not in html
    html = editor_client.get(
        reverse("wagtailsnippetchoosers_directory_venue:choose_results"), {"q": "Dorchester"}
    ).content.decode()
    assert "Dorchester Corn Exchange" not in html
    html = editor_client.get(
        reverse("wagtailsnippetchoosers_directory_venue:choose_results"), {"q": "pavilion"}
    ).content.decode()
    assert "Poole Park pavilion" in html


# Inviting editors ---------------------------------------------------------------------------

INVITE_URL = "directory_invite_editor"


@pytest.fixture
def moderator_client(client, home):
    sign_in_verified(client, make_moderator())
    return client


def _set_password_link(message) -> str:
    match = re.search(r"http://testserver(/admin/password_reset/confirm/\S+/)", message.body)
    assert match, message.body
    return match.group(1)


def test_moderator_invites_a_new_editor_who_sets_a_password(
    moderator_client, directory, django_capture_on_commit_callbacks
):
    poole = directory["poole"]
    assert moderator_client.get(reverse(INVITE_URL), {"organisation": poole.pk}).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        response = moderator_client.post(
            reverse(INVITE_URL),
            {"email": "Sam.Jones@Example.org", "name": "Sam Jones", "organisation": poole.pk},
        )
    assert response.status_code == 302

    user = User.objects.get(email__iexact="sam.jones@example.org")
    assert (user.first_name, user.last_name) == ("Sam", "Jones")
    assert not user.has_usable_password()
    assert list(user.groups.all()) == [poole.editors]

    [message] = mail.outbox
    assert message.to == [user.email]
    assert "Poole Walkers" in message.subject
    link = _set_password_link(message)

    # The link is Wagtail's own password reset confirmation, under /admin/password_reset/.
    client = moderator_client
    client.logout()
    response = client.get(link, follow=True)
    assert response.status_code == 200
    set_password_url = response.redirect_chain[-1][0]
    response = client.post(
        set_password_url, {"new_password1": "harbour-lights-42", "new_password2": "harbour-lights-42"}
    )
    assert response.status_code == 302
    response = client.post(reverse("wagtailadmin_login"), {"username": user.username, "password": "harbour-lights-42"})
    assert response.status_code == 302

    # With a password alone they reach nothing: first they set up their second factor.
    edit_url = reverse("wagtailadmin_pages:edit", args=[directory["poole_walk"].pk])
    assert client.get(edit_url)["Location"].startswith("/account/two-factor/set-up/?next=")
    assert client.get(reverse("wagtailadmin_home"))["Location"].startswith("/account/two-factor/set-up/")
    client.get("/account/two-factor/set-up/")
    device = TOTPDevice.objects.get(user=user)
    assert client.post("/account/two-factor/set-up/", {"code": current_code(device)}).status_code == 302

    # They are now an editor of Poole Walkers, and only of Poole Walkers.
    assert client.get(reverse("wagtailadmin_pages:edit", args=[directory["poole_walk"].pk])).status_code == 200
    assert_denied(client.get(reverse("wagtailadmin_pages:edit", args=[directory["carers_cafe"].pk])))
    # The link works once.
    assert "invalid" in client.get(link, follow=True).content.decode().lower()


def test_inviting_an_existing_user_adds_them_to_the_organisation(
    moderator_client, directory, django_capture_on_commit_callbacks
):
    existing = make_editor(directory["carers"], "carers-editor", email="kim@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        response = moderator_client.post(
            reverse(INVITE_URL), {"email": "KIM@example.org", "name": "Kim", "organisation": directory["poole"].pk}
        )
    assert response.status_code == 302
    assert User.objects.filter(email__iexact="kim@example.org").count() == 1
    assert set(existing.groups.all()) == {directory["poole"].editors, directory["carers"].editors}
    [message] = mail.outbox
    assert "/admin/login/" in message.body  # they already have a password
    assert "password_reset" not in message.body


def test_invitation_can_be_sent_again_until_a_password_is_set(
    moderator_client, directory, django_capture_on_commit_callbacks
):
    data = {"email": "new@example.org", "name": "New Person", "organisation": directory["poole"].pk}
    with django_capture_on_commit_callbacks(execute=True):
        moderator_client.post(reverse(INVITE_URL), data)
        moderator_client.post(reverse(INVITE_URL), data)
    assert len(mail.outbox) == 2
    assert User.objects.filter(email="new@example.org").count() == 1


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        ({}, "email", "Enter the email address of the person to invite."),
        ({}, "name", "Enter the name of the person to invite."),
        ({}, "organisation", "Choose the organisation they will edit."),
        ({"email": "not-an-email"}, "email", "Enter an email address in the correct format"),
        ({"organisation": "999999"}, "organisation", "Choose an organisation from the list."),
        ({"email": "poole-editor@example.org", "name": "Already", "organisation": "poole"}, "email", "is already an editor of Poole Walkers"),
    ],
)
def test_invitation_errors_are_clear(moderator_client, directory, editor, data, field, error):
    editor.set_password("a-real-password-123")
    editor.save()
    if data.get("organisation") == "poole":
        data = {**data, "organisation": directory["poole"].pk}
    response = moderator_client.post(reverse(INVITE_URL), data)
    assert response.status_code == 200
    assert error in " ".join(response.context["form"].errors.get(field, []))
    assert error in response.content.decode()
    assert not mail.outbox


def test_only_moderators_may_invite(editor_client, directory, django_capture_on_commit_callbacks):
    assert_denied(editor_client.get(reverse(INVITE_URL)))
    with django_capture_on_commit_callbacks(execute=True):
        assert_denied(
            editor_client.post(
                reverse(INVITE_URL), {"email": "friend@example.org", "name": "Friend", "organisation": directory["carers"].pk}
            )
        )
    assert not User.objects.filter(email="friend@example.org").exists()
    assert not mail.outbox
    assert "Invite an editor" not in editor_client.get(reverse("wagtailadmin_home")).content.decode()


def test_moderators_find_the_invitation_from_the_menu_and_the_organisation(moderator_client, directory):
    assert reverse(INVITE_URL) in moderator_client.get(reverse("wagtailadmin_home")).content.decode()
    html = moderator_client.get(reverse("wagtailadmin_pages:edit", args=[directory["poole"].pk])).content.decode()
    assert f"{reverse(INVITE_URL)}?organisation={directory['poole'].pk}" in html

