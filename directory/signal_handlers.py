from django.db.models.signals import post_save
from django.dispatch import receiver

from directory.models import OrganisationPage
from directory.permissions import organisation_sync_editor_permissions

# The saved fields that the editors group and its permissions depend on.
_SYNCED_FIELDS = {"title", "trusted", "editors"}


@receiver(post_save, sender=OrganisationPage)
def give_organisation_its_editors(sender, instance, created, raw=False, update_fields=None, **kwargs):
    """Every organisation gets an editors group with permissions on its own pages only.

    Publishing saves the whole page, so a moderator publishing a revision that changes
    ``trusted`` lands here. Saving a draft of a live page also sends post_save (Wagtail
    updates ``latest_revision`` and friends with ``update_fields``) while the instance holds
    the draft's values, so the sync reads the row as saved, never the instance.
    """
    if raw:
        return
    if update_fields is not None and not _SYNCED_FIELDS & set(update_fields):
        return
    saved = OrganisationPage.objects.get(pk=instance.pk)
    group = organisation_sync_editor_permissions(organisation=saved)
    # Keep the caller's instance in step, so a revision saved from it records the group.
    instance.editors = group
