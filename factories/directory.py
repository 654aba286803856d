"""Building directory content in code: shared by the tests and the demo data command.

Plain functions with keyword arguments and sensible defaults, so a test says only what
matters to it. Pages are created published unless ``live=False``.
"""

import itertools
from contextlib import contextmanager
from datetime import date, time
from decimal import Decimal

from django.db.models.signals import post_save
from django.utils.text import slugify
from modelcluster.fields import ParentalKey
from modelsearch import index
from modelsearch.backends import get_search_backends
from modelsearch.signal_handlers import post_save_signal_handler
from wagtail.models import ReferenceIndex
from wagtail.signal_handlers import disable_reference_index_auto_update
from wagtail.tasks import update_reference_index_task

from directory.choices import Frequency
from directory.models import (
    ActivityPage,
    ActivitySession,
    DirectoryIndexPage,
    NeedTerm,
    OrganisationPage,
    Postcode,
    Venue,
)

_sequence = itertools.count(1)


def make_postcode(postcode: str, latitude: float, longitude: float) -> Postcode:
    row, _ = Postcode.objects.update_or_create(
        postcode=postcode, defaults={"latitude": Decimal(str(latitude)), "longitude": Decimal(str(longitude))}
    )
    return row


def make_need(name: str, *, parent: NeedTerm | None = None, synonyms: str = "", **fields) -> NeedTerm:
    """The term called ``name`` under ``parent``, created if there is none.

    The default vocabulary is already there (``ensure_site`` seeds it), so a name may be
    taken elsewhere in the tree ("Dementia" at the top level, say, while the default sits
    under long-term conditions): the new term then gets the next free slug.
    """
    need = NeedTerm.objects.filter(name=name, parent=parent).first()
    if need is None:
        if "slug" not in fields:
            fields["slug"] = _free_need_slug(slugify(name)[:110])
        need = NeedTerm.objects.create(name=name, parent=parent, synonyms=synonyms, **fields)
    return need


def _free_need_slug(base: str) -> str:
    slug, suffix = base, 2
    while NeedTerm.objects.filter(slug=slug).exists():
        slug, suffix = f"{base}-{suffix}", suffix + 1
    return slug


def make_organisation(title: str | None = None, *, trusted: bool = False, **fields) -> OrganisationPage:
    index = DirectoryIndexPage.objects.get()
    title = title or f"Organisation {next(_sequence)}"
    organisation = OrganisationPage(
        title=title,
        description=fields.pop("description", f"{title} runs community activities."),
        trusted=trusted,
        **fields,
    )
    index.add_child(instance=organisation)
    # add_child has just validated the page; validating it again for the revision costs
    # a dozen queries a page in bulk building and finds nothing new.
    organisation.save_revision(clean=False).publish()
    return organisation


def make_venue(name: str | None = None, *, postcode: str = "BH15 1AB", latitude=50.7155, longitude=-1.9872, **fields) -> Venue:
    fields.setdefault("address_1", "1 High Street")
    fields.setdefault("town", "Poole")
    venue = Venue(
        name=name or f"Venue {next(_sequence)}",
        postcode=postcode,
        latitude=Decimal(str(latitude)) if latitude is not None else None,
        longitude=Decimal(str(longitude)) if longitude is not None else None,
        **fields,
    )
    venue.full_clean()
    venue.save()
    return venue


def make_activity(
    organisation: OrganisationPage,
    title: str | None = None,
    *,
    needs: list[NeedTerm] = (),
    venue: Venue | None = None,
    sessions: list[dict] | None = None,
    live: bool = True,
    **fields,
) -> ActivityPage:
    """An activity under ``organisation``; by default one weekly Tuesday-morning session at ``venue``."""
    title = title or f"Activity {next(_sequence)}"
    fields.setdefault("summary", f"{title}: a friendly group.")
    fields.setdefault("description", f"<p>{title} meets every week.</p>")
    activity = ActivityPage(title=title, live=live, **fields)
    activity.needs = list(needs)
    if sessions is None:
        sessions = [{"venue": venue}] if venue is not None else []
    for order, spec in enumerate(sessions):
        spec = {
            "sort_order": order,  # as the admin's inline panel numbers them
            "frequency": Frequency.WEEKLY,
            "weekday": 1,
            "start_time": time(10, 0),
            "end_time": time(11, 30),
            "valid_from": date(2026, 1, 6),
            **spec,
        }
        activity.sessions.add(ActivitySession(**spec))
    organisation.add_child(instance=activity)
    revision = activity.save_revision(clean=False)  # validated by add_child
    if live:
        revision.publish()
    return activity


_deferring = False


@contextmanager
def deferred_indexing():
    """Build many objects, then update the search and reference indexes once per object.

    Wagtail updates both indexes (through tasks) after every save, and publishing a new page
    saves it three times (created, revision, published): in bulk building, most of the time
    went on indexing the same pages over and over. Inside this block those updates are
    collected; on leaving it, each saved object is indexed once (search in bulk, references
    through Wagtail's own task), so the result is what the usual signal handlers would have
    left. Only for bulk building
    (the demo): nothing is indexed if the block raises, as the transaction is rolled back.
    """
    global _deferring
    if _deferring:  # nested: the outer block indexes everything
        yield
        return


    search_models = {model for model in index.get_indexed_models() if getattr(model, "search_auto_update", True)}
    to_search: set[tuple[type, object]] = set()
    to_reference: set[tuple[type, object]] = set()

    def remember(sender, instance, raw=False, **kwargs):
        if raw:
            return
        if sender in search_models:
            to_search.add((sender, instance.pk))
        if sender in ReferenceIndex.tracked_models:
            # Wagtail records a child's references (a session's venue) against its parent.
            parental = next((f for f in instance._meta.get_fields() if isinstance(f, ParentalKey)), None)
            if parental is None:
                to_reference.add((sender, instance.pk))
            elif getattr(instance, parental.attname) is not None:
                to_reference.add((parental.related_model, getattr(instance, parental.attname)))

    for model in search_models:
        post_save.disconnect(post_save_signal_handler, sender=model)
    post_save.connect(remember, weak=False, dispatch_uid="factories.directory.deferred_indexing")
    _deferring = True
    try:
        with disable_reference_index_auto_update():
            yield
    finally:
        _deferring = False
        post_save.disconnect(dispatch_uid="factories.directory.deferred_indexing")
        for model in search_models:
            post_save.connect(post_save_signal_handler, sender=model)

    # Search: one bulk update per model, as `update_index` does, rather than one per object.
    for model in sorted({model for model, _ in to_search}, key=lambda model: model._meta.label):
        pks = [pk for saved_model, pk in to_search if saved_model is model]
        objects = list(model.get_indexed_objects().filter(pk__in=pks))
        if objects:
            for backend in get_search_backends(with_auto_update=True):
                backend.add_bulk(model, objects)
    for model, pk in sorted(to_reference, key=lambda pair: (pair[0]._meta.label, pair[1])):
        update_reference_index_task.enqueue(model._meta.app_label, model._meta.model_name, str(pk))
