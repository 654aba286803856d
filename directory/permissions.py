"""Who may edit what: each organisation's editors group, and the directory moderators."""

import re
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission
from wagtail.permission_policies import ModelPermissionPolicy

from directory.models import OrganisationPage, Venue
from directory.page_tree import update_rows

MODERATORS_GROUP = "Directory moderators"
# An organisation's image collection is named "<title> (<page id>)".
_PK_SUFFIX = re.compile(r"\((\d+)\)$")

# Editors create and change their organisation's pages; publishing waits for a moderator
# unless the organisation is trusted.
_EDITOR_PAGE_PERMISSIONS = ["add_page", "change_page"]
_TRUSTED_PAGE_PERMISSIONS = ["publish_page"]
_EDITOR_IMAGE_PERMISSIONS = ["add_image", "choose_image", "change_image"]


def _permission(codename: str, app_label: str) -> Permission:
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def editors_group_name(organisation) -> str:
    return f"Editors: {organisation.title} ({organisation.pk})"


@transaction.atomic
def organisation_sync_editor_permissions(*, organisation) -> Group:
    """Create or update the organisation's editors group so it matches the organisation.

    Editors may: use the admin; add and change pages under their organisation (and publish
    them only when the organisation is trusted); manage their own venues (the model
    permissions here, narrowed to their organisations by ``VenuePermissionPolicy``; a venue
    still used by a session cannot be deleted); upload images to
    their organisation's own collection. Nothing else.
    """
    group = organisation.editors
    if group is None:
        group, _ = Group.objects.get_or_create(name=editors_group_name(organisation))
        OrganisationPage.objects.filter(pk=organisation.pk).update(editors=group)
        organisation.editors = group
    elif group.name != editors_group_name(organisation):
        group.name = editors_group_name(organisation)
        group.save(update_fields=["name"])

    group.permissions.add(
        _permission("access_admin", "wagtailadmin"),
        _permission("add_venue", "directory"),
        _permission("change_venue", "directory"),
        _permission("delete_venue", "directory"),
        _permission("view_venue", "directory"),
    )
    wanted = set(_EDITOR_PAGE_PERMISSIONS + (_TRUSTED_PAGE_PERMISSIONS if organisation.trusted else []))
    for codename in _EDITOR_PAGE_PERMISSIONS + _TRUSTED_PAGE_PERMISSIONS:
        permission = _permission(codename, "wagtailcore")
        if codename in wanted:
            GroupPagePermission.objects.get_or_create(group=group, page_id=organisation.pk, permission=permission)
        else:
            GroupPagePermission.objects.filter(group=group, page_id=organisation.pk, permission=permission).delete()

    collection = organisation_collection(organisation)
    for codename in _EDITOR_IMAGE_PERMISSIONS:
        GroupCollectionPermission.objects.get_or_create(
            group=group, collection=collection, permission=_permission(codename, "wagtailimages")
        )
    return group


@transaction.atomic
def organisations_give_editors(*, organisations) -> None:
    """What ``organisation_sync_editor_permissions`` does, for many new organisations at once.

    For organisations that have no editors group yet (an import's new pages): their groups,
    the groups' model, page and image permissions, and each organisation's image collection,
    in a few queries instead of some thirty each. Collections are children of the root
    collection kept in name order (Wagtail's ``Collection.node_order_by``), so adding them one
    by one moves every later sibling along each time; here the new ones are merged into the
    order once (``_add_collections``). Each organisation's ``editors`` is set, on the instance
    and in the database.
    """
    organisations = [organisation for organisation in organisations if organisation.editors_id is None]
    if not organisations:
        return
    names = {organisation.pk: editors_group_name(organisation) for organisation in organisations}
    groups = {group.name: group for group in Group.objects.filter(name__in=names.values())}
    new_groups = [Group(name=name) for name in names.values() if name not in groups]
    Group.objects.bulk_create(new_groups)
    if new_groups and new_groups[0].pk is None:  # a database without RETURNING on bulk inserts
        new_groups = list(Group.objects.filter(name__in=[group.name for group in new_groups]))
    groups.update({group.name: group for group in new_groups})
    for organisation in organisations:
        organisation.editors = groups[names[organisation.pk]]
    update_rows(OrganisationPage, ["editors"], [(organisation.editors_id, organisation.pk) for organisation in organisations])

    permissions = {
        (app_label, codename): permission
        for permission in Permission.objects.select_related("content_type").filter(
            content_type__app_label__in=["wagtailadmin", "directory", "wagtailcore", "wagtailimages"]
        )
        for app_label, codename in [(permission.content_type.app_label, permission.codename)]
    }
    model_permissions = [
        permissions["wagtailadmin", "access_admin"],
        *(permissions["directory", codename] for codename in ("add_venue", "change_venue", "delete_venue", "view_venue")),
    ]
    Group.permissions.through.objects.bulk_create(
        [
            Group.permissions.through(group_id=organisation.editors_id, permission_id=permission.pk)
            for organisation in organisations
            for permission in model_permissions
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )
    GroupPagePermission.objects.bulk_create(
        [
            GroupPagePermission(group_id=organisation.editors_id, page_id=organisation.pk, permission=permissions["wagtailcore", codename])
            for organisation in organisations
            for codename in _EDITOR_PAGE_PERMISSIONS + (_TRUSTED_PAGE_PERMISSIONS if organisation.trusted else [])
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )
    collections = _add_collections(organisations)
    GroupCollectionPermission.objects.bulk_create(
        [
            GroupCollectionPermission(
                group_id=organisation.editors_id,
                collection=collections[organisation.pk],
                permission=permissions["wagtailimages", codename],
            )
            for organisation in organisations
            for codename in _EDITOR_IMAGE_PERMISSIONS
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )


def _add_collections(organisations) -> dict[int, Collection]:
    """Each organisation's image collection (made if missing), as ``organisation_collection``
    makes them: children of the root collection, which treebeard keeps in name order.

    New children that all sort after the last existing one are simply appended. Otherwise the
    root's children are numbered afresh in name order (their descendants moving with them):
    first every path to a temporary one no real path can equal (a length no depth has, since
    PostgreSQL checks a unique index row by row), then each to its place.
    """
    root = Collection.objects.select_for_update().get(pk=Collection.get_first_root_node().pk)
    children = list(Collection.objects.filter(depth=root.depth + 1, path__startswith=root.path).order_by("path"))
    wanted = {organisation.pk: f"{organisation.title} ({organisation.pk})" for organisation in organisations}
    found, renamed = {}, []
    for child in children:
        suffix = _PK_SUFFIX.search(child.name)
        pk = int(suffix.group(1)) if suffix else None
        if pk in wanted and pk not in found:
            found[pk] = child
            if child.name != wanted[pk]:
                child.name = wanted[pk]
                renamed.append(child)
    Collection.objects.bulk_update(renamed, ["name"])
    new = sorted(
        (Collection(name=name) for pk, name in wanted.items() if pk not in found), key=lambda collection: collection.name
    )
    by_name = {collection.name: collection for collection in new}
    depth, step = root.depth + 1, Collection.steplen
    ordered = sorted(children + new, key=lambda collection: collection.name)
    if renamed or (children and new and new[0].name < children[-1].name):
        renumber = {child.path: Collection._get_path(root.path, depth, number) for number, child in enumerate(ordered, 1) if child.pk}
        subtree = list(Collection.objects.filter(depth__gt=root.depth, path__startswith=root.path))
        for collection in subtree:
            collection.path = "T" + collection.path
        Collection.objects.bulk_update(subtree, ["path"], batch_size=1000)
        for collection in subtree:
            old = collection.path[1:]
            collection.path = renumber[old[: depth * step]] + old[depth * step :]
        Collection.objects.bulk_update(subtree, ["path"], batch_size=1000)
        for number, collection in enumerate(ordered, 1):
            collection.path = Collection._get_path(root.path, depth, number)
    else:
        for number, collection in enumerate(new, len(children) + 1):
            collection.path = Collection._get_path(root.path, depth, number)
    for collection in new:
        collection.depth, collection.numchild = depth, 0
    Collection.objects.bulk_create(new, batch_size=1000)
    if new and new[0].pk is None:  # a database without RETURNING on bulk inserts
        pks = dict(Collection.objects.filter(path__in=[c.path for c in new]).values_list("path", "pk"))
        for collection in new:
            collection.pk = collection.id = pks[collection.path]
    Collection.objects.filter(pk=root.pk).update(numchild=len(ordered))
    return {pk: found.get(pk) or by_name[name] for pk, name in wanted.items()}


def organisation_collection(organisation) -> Collection:
    root = Collection.get_first_root_node()
    name = f"{organisation.title} ({organisation.pk})"
    existing = root.get_children().filter(name__endswith=f"({organisation.pk})").first()
    if existing is None:
        return root.add_child(name=name)
    if existing.name != name:
        existing.name = name
        existing.save(update_fields=["name"])
    return existing


def organisations_edited_by(user):
    """The organisations whose editors group ``user`` belongs to."""
    if not user.is_authenticated:
        return OrganisationPage.objects.none()
    return OrganisationPage.objects.filter(editors__in=user.groups.all())


def is_directory_moderator(user) -> bool:
    return user.is_active and (user.is_superuser or user.has_perm("directory.moderate_directory"))


def _organisation_ids(user) -> frozenset[int]:
    # Cached on the user object for the request, as Wagtail caches its own permission lookups.
    if not hasattr(user, "_signpost_organisation_ids"):
        user._signpost_organisation_ids = frozenset(organisations_edited_by(user).values_list("pk", flat=True))
    return user._signpost_organisation_ids


class VenuePermissionPolicy(ModelPermissionPolicy):
    """The venue model permissions, narrowed at object level to the user's own organisations.

    Moderators and superusers act on every venue. An organisation's editors act only on the
    venues of the organisations whose editors group they are in; a shared venue (one with no
    organisation) is left to moderators. Registered for ``Venue`` in ``wagtail_hooks``, so the
    snippet views, bulk actions and anything else that asks Wagtail's policy registry agree.
    """

    def _sees_everything(self, user) -> bool:
        return is_directory_moderator(user)

    def user_has_permission_for_instance(self, user, action, instance):
        if not self.user_has_permission(user, action):
            return False
        if self._sees_everything(user):
            return True
        return instance.organisation_id is not None and instance.organisation_id in _organisation_ids(user)

    def instances_user_has_any_permission_for(self, user, actions):
        venues = self.model._default_manager.all()
        if not self.user_has_any_permission(user, actions):
            return venues.none()
        if self._sees_everything(user):
            return venues
        return venues.filter(organisation__in=_organisation_ids(user))

    def users_with_any_permission_for_instance(self, actions, instance):
        moderate = Permission.objects.filter(content_type__app_label="directory", codename="moderate_directory")
        everything = Q(is_superuser=True) | Q(groups__permissions__in=moderate) | Q(user_permissions__in=moderate)
        users = self.users_with_any_permission(actions)
        editors_id = instance.organisation.editors_id if instance.organisation_id else None
        if editors_id is None:
            return users.filter(everything).distinct()
        return users.filter(everything | Q(groups=editors_id)).distinct()


def venues_choosable_by(user):
    """Venues ``user`` may attach a session to: every venue for moderators; otherwise their
    organisations' own venues and the shared ones."""
    if is_directory_moderator(user):
        return Venue.objects.all()
    return Venue.objects.filter(Q(organisation__in=_organisation_ids(user)) | Q(organisation__isnull=True))


# Inviting editors -------------------------------------------------------------------------


@dataclass(frozen=True)
class EditorInvitation:
    user: object
    organisation: object
    created: bool  # a new account, as opposed to an existing one added to the group


def editor_invite_check(*, email: str, organisation) -> None:
    """Raise ``ValidationError`` (keyed by form field) if ``email`` cannot be invited to ``organisation``.

    Inviting someone again who has not yet set a password is allowed: it sends a fresh link.
    """
    users = list(get_user_model().objects.filter(email__iexact=email))
    if len(users) > 1:
        raise ValidationError(
            {"email": "More than one account uses this email address. Ask an administrator to sort it out first."}
        )
    if not users:
        return
    user = users[0]
    if not user.is_active:
        raise ValidationError(
            {"email": "The account with this email address has been deactivated. Ask an administrator to reactivate it."}
        )
    if (
        organisation.editors_id is not None
        and user.groups.filter(pk=organisation.editors_id).exists()
        and user.has_usable_password()
    ):
        raise ValidationError({"email": f"{user.email} is already an editor of {organisation.title}."})


@transaction.atomic
def editor_invite(*, email: str, name: str, organisation, invited_by) -> EditorInvitation:
    """Give ``email`` an account (or reuse theirs), make them an editor of ``organisation``, and
    email them a link to set their password (or, if they already have one, to sign in)."""
    if not is_directory_moderator(invited_by):
        raise PermissionDenied("Only directory moderators may invite editors.")
    User = get_user_model()
    email = User.objects.normalize_email(email.strip())
    editor_invite_check(email=email, organisation=organisation)

    user = User.objects.filter(email__iexact=email).first()
    created = user is None
    if created:
        first_name, _, last_name = name.strip().partition(" ")
        user = User(
            username=_free_username(email.lower()),
            email=email,
            first_name=first_name[:150],
            last_name=last_name.strip()[:150],
        )
        # No password until they choose one through the emailed link.
        user.set_unusable_password()
        user.full_clean()
        user.save()

    group = organisation.editors or organisation_sync_editor_permissions(organisation=organisation)
    user.groups.add(group)

    invitation = EditorInvitation(user=user, organisation=organisation, created=created)
    transaction.on_commit(lambda: _send_invitation(invitation, invited_by=invited_by))
    return invitation


def _free_username(wanted: str) -> str:
    User = get_user_model()
    username, suffix = wanted, 1
    while User.objects.filter(username__iexact=username).exists():
        suffix += 1
        username = f"{wanted}-{suffix}"
    return username


def _admin_url(path: str) -> str:
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path


def set_password_url(user) -> str:
    """A link to Wagtail's password reset confirmation view: the same token Django checks there."""
    path = reverse(
        "wagtailadmin_password_reset_confirm",
        kwargs={"uidb64": urlsafe_base64_encode(force_bytes(user.pk)), "token": default_token_generator.make_token(user)},
    )
    return _admin_url(path)


def _send_invitation(invitation: EditorInvitation, *, invited_by) -> None:
    user = invitation.user
    needs_password = not user.has_usable_password()
    context = {
        "user": user,
        "organisation": invitation.organisation,
        "invited_by": invited_by,
        "needs_password": needs_password,
        "set_password_url": set_password_url(user) if needs_password else None,
        "login_url": _admin_url(reverse("wagtailadmin_login")),
        "valid_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
        "site_name": settings.WAGTAIL_SITE_NAME,
    }
    subject = render_to_string("directory/email/editor_invitation_subject.txt", context).strip()
    body = render_to_string("directory/email/editor_invitation.txt", context)
    send_mail(subject, body, None, [user.email])
