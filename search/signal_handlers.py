"""Queue index updates when what a search shows changes: on commit, in the background.

Activities change when published, unpublished or deleted; venues and organisations change
what their activities' documents say. Raw (fixture) saves are skipped.

Also: the needs vocabulary is read once a request (``Taxonomy.load``), and read again when a
term is saved or deleted in the meantime.
"""

from django.core.signals import request_finished, request_started
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from wagtail.signals import page_published, page_unpublished

from directory.models import ActivityPage, ActivitySession, NeedTerm, OrganisationPage, Venue
from directory.signals import pages_published
from search.backends import get_search_backend, search_backend_aliases
from search.backends.base import taxonomy_changed, taxonomy_request_finished, taxonomy_request_started
from search.tasks import update_search_index


def _queue(activity_ids) -> None:
    ids = sorted({int(pk) for pk in activity_ids})
    if not ids:
        return
    if not any(get_search_backend(alias).capabilities.needs_indexing for alias in search_backend_aliases()):
        return  # the database backend reads the tables directly
    transaction.on_commit(lambda: update_search_index.enqueue(ids))


def activity_changed(sender, instance, **kwargs):
    if kwargs.get("raw"):
        return
    _queue([instance.pk])


def activities_published(sender, instances, **kwargs):
    """Many activities published at once (an import): one index update for all of them."""
    _queue(instance.pk for instance in instances)


def organisation_changed(sender, instance, **kwargs):
    if kwargs.get("raw"):
        return
    _queue(ActivityPage.objects.child_of(instance).values_list("pk", flat=True))


def venue_changed(sender, instance, **kwargs):
    if kwargs.get("raw"):
        return
    _queue(ActivitySession.objects.filter(venue=instance).values_list("activity_id", flat=True))


def connect():
    page_published.connect(activity_changed, sender=ActivityPage, dispatch_uid="search-activity-published")
    page_unpublished.connect(activity_changed, sender=ActivityPage, dispatch_uid="search-activity-unpublished")
    post_delete.connect(activity_changed, sender=ActivityPage, dispatch_uid="search-activity-deleted")
    pages_published.connect(activities_published, sender=ActivityPage, dispatch_uid="search-activities-published")
    page_published.connect(organisation_changed, sender=OrganisationPage, dispatch_uid="search-organisation-published")
    page_unpublished.connect(organisation_changed, sender=OrganisationPage, dispatch_uid="search-organisation-unpublished")
    post_save.connect(venue_changed, sender=Venue, dispatch_uid="search-venue-saved")
    # The needs vocabulary is read once a request (search.backends.base.Taxonomy.load).
    request_started.connect(taxonomy_request_started, dispatch_uid="search-taxonomy-request-started")
    request_finished.connect(taxonomy_request_finished, dispatch_uid="search-taxonomy-request-finished")
    post_save.connect(taxonomy_changed, sender=NeedTerm, dispatch_uid="search-taxonomy-term-saved")
    post_delete.connect(taxonomy_changed, sender=NeedTerm, dispatch_uid="search-taxonomy-term-deleted")
