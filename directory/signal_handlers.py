from django.db.models.signals import post_save
from django.dispatch import receiver

from directory.models import OrganisationPage


@receiver(post_save, sender=OrganisationPage)
def give_organisation_its_editors(sender, instance, created, raw=False, **kwargs):
    """Every organisation gets an editors group with permissions on its own pages only."""
    if raw:
        return
    from directory.permissions import organisation_sync_editor_permissions

    organisation_sync_editor_permissions(organisation=instance)
