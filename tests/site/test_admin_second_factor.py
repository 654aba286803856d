"""Issue 16: no way round the second factor. The admin paths that grant roles, replayed with a
password alone, change nothing; with a verified session each change is recorded and the
administrators are emailed; an administrator can reset a lost second factor, on the record."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.test import Client, RequestFactory
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from directory.permissions import MODERATORS_GROUP
from factories.directory import make_organisation
from factories.referrals import make_link_worker, make_service, make_user
from referrals import accounts
from referrals.models import RoleChange, StaffMembership
from referrals.roles import TRIAGE_GROUP, ensure_staff_groups
from tests.accounts import sign_in_verified

PASSWORD = "harbour-lights-42"
SET_UP = "/account/two-factor/set-up/"
VERIFY = "/account/two-factor/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def administrator(home):
    ensure_staff_groups()
    user = get_user_model().objects.create_superuser("ada", "ada@example.org", PASSWORD, first_name="Ada")
    TOTPDevice.objects.create(user=user, name="Phone", confirmed=True)
    return user


@pytest.fixture
def moderator(home):
    user = make_user("mo", groups=[MODERATORS_GROUP])
    user.set_password(PASSWORD)
    user.save()
    return user


def changes_from_now():
    """A function giving the changes of access recorded after this call (setting up records its own)."""
    last = RoleChange.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    return lambda: RoleChange.objects.filter(pk__gt=last).order_by("pk")


@pytest.fixture
def changes(home):
    return changes_from_now()


def password_only(user) -> Client:
    """A session that has the password (through the sign-in page) and nothing more."""
    client = Client()
    assert client.post("/admin/login/", {"username": user.username, "password": PASSWORD}).status_code == 302
    return client


def sent_to_second_factor(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith((SET_UP, VERIFY))


def test_with_a_moderators_password_alone_no_editor_can_be_invited(moderator):
    organisation = make_organisation("Poole Walkers")
    changes = changes_from_now()
    client = password_only(moderator)
    response = client.post(
        reverse("directory_invite_editor"),
        {"email": "new@example.org", "name": "New Editor", "organisation": organisation.pk},
    )
    assert sent_to_second_factor(response)
    assert not get_user_model().objects.filter(email="new@example.org").exists()
    assert mail.outbox == [] and not changes().exists()


def test_with_an_administrators_password_alone_no_role_can_be_granted(administrator, changes):
    service = make_service()
    victim = make_user("vic")
    client = password_only(administrator)
    attempts = [
        (
            reverse("wagtailusers_users:add"),
            {
                "username": "mallory", "email": "m@example.org", "first_name": "M", "last_name": "M",
                "password1": PASSWORD, "password2": PASSWORD, "is_superuser": "on",
                "groups": [Group.objects.get(name=TRIAGE_GROUP).pk],
            },
        ),
        (
            reverse("wagtailusers_users:edit", args=[victim.pk]),
            {
                "username": "vic", "email": "vic@example.org", "first_name": "Vic", "last_name": "V",
                "is_active": "on", "is_superuser": "on", "groups": [Group.objects.get(name=TRIAGE_GROUP).pk],
            },
        ),
        (
            reverse("wagtailsnippets_referrals_staffmembership:add"),
            {"user": victim.pk, "service": service.pk, "languages": ""},
        ),
        (reverse("wagtailusers_groups:add"), {"name": "Sneaky"}),
        (reverse("referrals_reset_second_factor", args=[administrator.pk]), {}),
    ]
    for url, data in attempts:
        assert sent_to_second_factor(client.post(url, data)), url
        assert sent_to_second_factor(client.get(url)), url

    victim.refresh_from_db()
    assert not victim.is_superuser and not victim.groups.exists()
    assert not get_user_model().objects.filter(username="mallory").exists()
    assert not StaffMembership.objects.filter(user=victim).exists()
    assert not Group.objects.filter(name="Sneaky").exists()
    assert TOTPDevice.objects.filter(user=administrator).exists()
    assert not changes().exists()


def test_a_change_of_access_in_an_unverified_session_is_refused_by_the_data_itself(administrator):
    """The second lock: even a page that forgot to ask for the code cannot grant a role."""
    victim = make_user("vic")
    request = RequestFactory().post("/anywhere/")
    request.user = administrator
    request.user.is_verified = lambda: False
    service = make_service()
    with accounts.serving(request):
        # Each in its own savepoint, as a view's transaction would be rolled back.
        with pytest.raises(PermissionDenied), transaction.atomic():
            victim.groups.add(Group.objects.get(name=TRIAGE_GROUP))
        with pytest.raises(PermissionDenied), transaction.atomic():
            StaffMembership.objects.create(user=victim, service=service)
        victim.is_superuser = True
        with pytest.raises(PermissionDenied), transaction.atomic():
            victim.save()
    victim.refresh_from_db()
    assert not victim.groups.exists() and not victim.is_superuser
    assert not StaffMembership.objects.filter(user=victim).exists()


def test_a_verified_administrator_grants_a_role_on_the_record_and_every_administrator_is_told(
    administrator, django_capture_on_commit_callbacks
):
    other_admin = get_user_model().objects.create_superuser("bea", "bea@example.org", PASSWORD)
    client = sign_in_verified(Client(), administrator)
    triage = Group.objects.get(name=TRIAGE_GROUP)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("wagtailusers_users:add"),
            {
                "username": "tia", "email": "tia@example.org", "first_name": "Tia", "last_name": "Smith",
                "password1": PASSWORD, "password2": PASSWORD, "groups": [triage.pk],
            },
        )
    assert response.status_code == 302
    tia = get_user_model().objects.get(username="tia")
    [change] = RoleChange.objects.filter(subject=tia)
    assert change.what == "added to group “Triage”"
    assert change.changed_by == administrator and change.verified
    [message] = mail.outbox
    assert sorted(message.to) == sorted([administrator.email, other_admin.email])
    assert "Tia Smith (tia): added to group “Triage”" in message.body
    assert "By: Ada (signed in with their security code)" in message.body
    assert reverse("referrals_access_changes") in message.body

    # The new account reaches no resident data before its own second factor.
    newcomer = password_only(tia)
    for url in ("/referrals/triage/", "/admin/", "/reports/", "/referrals/new/"):
        assert sent_to_second_factor(newcomer.get(url)), url
    assert newcomer.get("/api/v1/referrals/").status_code == 403


def test_changes_made_by_a_command_are_recorded_but_not_emailed(changes):
    user = make_user("cmd")
    user.groups.add(Group.objects.get(name=MODERATORS_GROUP))
    user.is_superuser = True
    user.save()
    user.is_active = False
    user.save()
    whats = list(changes().values_list("what", "changed_by_label"))
    assert whats == [
        ("added to group “Directory moderators”", "Signpost (command or job)"),
        ("superuser given", "Signpost (command or job)"),
        ("account deactivated", "Signpost (command or job)"),
    ]
    assert mail.outbox == []


def test_an_administrator_resets_a_lost_second_factor_on_the_record(
    administrator, django_capture_on_commit_callbacks
):
    worker = make_link_worker(service=make_service(), username="lee", email="lee@example.org")
    changes = changes_from_now()
    worker_client = sign_in_verified(Client(), worker)
    accounts.issue_recovery_codes(worker)
    assert worker_client.get("/referrals/").status_code == 200

    admin_client = sign_in_verified(Client(), administrator)
    page = admin_client.get(reverse("referrals_reset_second_factor", args=[worker.pk]))
    assert page.status_code == 200 and "Reset two-factor sign-in" in page.content.decode()
    listing = admin_client.get(reverse("wagtailusers_users:index")).content.decode()
    assert reverse("referrals_reset_second_factor", args=[worker.pk]) in listing

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("referrals_reset_second_factor", args=[worker.pk]))
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=worker).exists()
    assert not StaticDevice.objects.filter(user=worker).exists()
    [change] = changes()
    assert change.subject == worker and change.what.startswith("second factor reset") and change.changed_by == administrator
    [message] = mail.outbox
    assert set(message.to) == {"ada@example.org", "lee@example.org"}
    # Their session is no longer verified: next time, they set up a new app.
    assert worker_client.get("/referrals/")["Location"].startswith(SET_UP)


def test_only_administrators_see_the_changes_and_reset_anyone(administrator, moderator):
    moderator_client = sign_in_verified(Client(), moderator)
    for url in (reverse("referrals_access_changes"), reverse("referrals_reset_second_factor", args=[administrator.pk])):
        assert moderator_client.get(url).status_code == 403
        assert moderator_client.post(url).status_code == 403
    assert TOTPDevice.objects.filter(user=administrator).exists()

    make_user("newbie", groups=[MODERATORS_GROUP])  # recorded, by a command
    page = sign_in_verified(Client(), administrator).get(reverse("referrals_access_changes")).content.decode()
    assert "added to group “Directory moderators”" in page and "newbie" in page


def test_a_deactivated_account_loses_access_at_once(home):
    worker = make_link_worker(service=make_service(), username="leaver")
    client = sign_in_verified(Client(), worker)
    assert client.get("/referrals/").status_code == 200
    worker.is_active = False
    worker.save()
    response = client.get("/referrals/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    assert client.get("/api/v1/referrals/").status_code in (401, 403)


def test_a_verified_moderator_inviting_an_editor_is_on_the_record_and_administrators_are_told(
    administrator, moderator, django_capture_on_commit_callbacks
):
    organisation = make_organisation("Poole Walkers")
    changes = changes_from_now()
    client = sign_in_verified(Client(), moderator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("directory_invite_editor"),
            {"email": "sam@example.org", "name": "Sam Jones", "organisation": organisation.pk},
        )
    assert response.status_code == 302
    [change] = changes()
    assert change.what == f"added to group “{organisation.editors.name}”"
    assert change.subject.email == "sam@example.org" and change.changed_by == moderator and change.verified
    told = [message for message in mail.outbox if message.subject.startswith("Signpost: access changed")]
    assert len(told) == 1 and told[0].to == [administrator.email]
