"""The directory's fixed structure: the organisations index, the moderators group and its workflow,
and the default needs vocabulary."""

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from wagtail.models import GroupApprovalTask, GroupPagePermission, Workflow, WorkflowPage, WorkflowTask

from directory.models import DirectoryIndexPage
from directory.permissions import MODERATORS_GROUP
from directory.vocabulary import ensure_needs_vocabulary

WORKFLOW_NAME = "Directory moderation"

_MODERATOR_PERMISSIONS = [
    ("wagtailadmin", "access_admin"),
    ("directory", "moderate_directory"),
    ("directory", "add_venue"),
    ("directory", "change_venue"),
    ("directory", "delete_venue"),
    ("directory", "view_venue"),
    ("directory", "add_needterm"),
    ("directory", "change_needterm"),
    ("directory", "delete_needterm"),
    ("directory", "view_needterm"),
    # Feeds are managed by administrators; moderators read them and every run's report.
    ("directory", "view_feed"),
    ("directory", "view_harvestrun"),
]
_MODERATOR_PAGE_PERMISSIONS = ["add_page", "change_page", "publish_page", "lock_page", "unlock_page"]


# Moderators invite editors through the invitation view, not the users admin: holding
# auth.change_user would let them put anyone into any group, administrators included.


@transaction.atomic
def ensure_directory(*, home) -> DirectoryIndexPage:
    index = DirectoryIndexPage.objects.first()
    if index is None:
        index = home.add_child(
            instance=DirectoryIndexPage(
                title="Organisations",
                slug="organisations",
                intro="Charities, community groups and social enterprises that run activities near you.",
            )
        )
    moderators, _ = Group.objects.get_or_create(name=MODERATORS_GROUP)
    for app_label, codename in _MODERATOR_PERMISSIONS:
        moderators.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    for codename in _MODERATOR_PAGE_PERMISSIONS:
        GroupPagePermission.objects.get_or_create(
            group=moderators,
            page=index,
            permission=Permission.objects.get(content_type__app_label="wagtailcore", codename=codename),
        )
    # Every change to a listing waits for a directory moderator, unless its organisation is
    # trusted (its editors then hold the publish permission and may publish directly).
    workflow, _ = Workflow.objects.get_or_create(name=WORKFLOW_NAME, defaults={"active": True})
    if not WorkflowTask.objects.filter(workflow=workflow).exists():
        task = GroupApprovalTask.objects.create(name="Directory moderator approval")
        task.groups.set([moderators])
        # Through the model: the cluster relation's create() would only build it in memory.
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    WorkflowPage.objects.update_or_create(page=index, defaults={"workflow": workflow})
    # Every deployment starts with the default needs; moderators manage them from then on.
    ensure_needs_vocabulary()
    return index
