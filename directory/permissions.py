"""Who may edit what: each organisation's editors group, and the directory moderators."""

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission

MODERATORS_GROUP = "Directory moderators"

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
    them only when the organisation is trusted); manage their own venues; upload images to
    their organisation's own collection. Nothing else.
    """
    from directory.models import OrganisationPage

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
    from directory.models import OrganisationPage

    if not user.is_authenticated:
        return OrganisationPage.objects.none()
    return OrganisationPage.objects.filter(editors__in=user.groups.all())


def is_directory_moderator(user) -> bool:
    return user.is_active and (user.is_superuser or user.has_perm("directory.moderate_directory"))
