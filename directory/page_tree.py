"""Publishing many new pages at once (each under its own parent), as Wagtail would one by one.

``add_child`` then ``save_revision().publish()`` costs some 200 SQL queries a page (the tree's
lock and last child, validation, the revision, the log, the reference index, the search
index, signals), which made importing a council's feed take minutes. ``publish_new_children``
does the same work for a batch of new children (of one or several parents) in a few queries per batch:

- the tree (treebeard's materialised path): each page's ``path`` continues after the parent's
  last child, ``depth`` is the parent's plus one, and the parent's ``numchild`` grows by the
  batch, under a lock on the parent's row, so the tree stays what ``Page.find_problems()``
  accepts;
- slugs are made unique among the siblings, and ``url_path`` follows from them;
- every page is validated (``full_clean``, as ``add_child`` does) before anything is written;
- pages are inserted in bulk (Django cannot bulk insert a model with a parent table, so the
  page rows first, then the specific rows);
- ``write_children(pages)`` then writes what hangs off each page (sessions, needs), so each
  page's revision holds them with their ids, as publishing one by one would;
- each page gets one revision, live and latest, and the log says "created" and "published";
- the reference index and Wagtail's own search index are brought up to date in bulk;
- ``pages_published`` (``directory.signals``) is sent once for the batch, on which the search
  app queues one index update for all of them; ``page_published`` is not sent per page.

Only for new, live pages without a workflow in progress (an import publishes straight away,
as ``save_revision().publish()`` did). Changes to existing pages keep going through revisions.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.text import slugify
from modelcluster.models import get_all_child_relations
from wagtail.models import Page, PageLogEntry, ReferenceIndex, Revision
from wagtail.search.backends import get_search_backends

from directory.signals import pages_published

BATCH = 500
# Tree fields that publish_new_children sets itself; full_clean would find them blank first.
_TREE_FIELDS = ["path", "depth", "numchild", "url_path", "content_type", "locale", "translation_key"]


def _unique_slug(base: str, taken: set[str]) -> str:
    slug, number = base, 1
    while slug in taken:
        number += 1
        slug = f"{base}-{number}"
    taken.add(slug)
    return slug


@transaction.atomic
def publish_new_children(
    children: Sequence[tuple[Page, Page]], *, write_children: Callable[[Sequence[Page]], None] | None = None
) -> list[Page]:
    """Add each new page (instances of one specific page model) as the last child of its
    parent, given as ``(parent, page)`` pairs, live, each with one revision; returns the
    pages saved, in order."""
    children = list(children)
    if not children:
        return []
    pages = [page for _, page in children]
    model = type(pages[0])
    # Lock the parents' rows: two imports under one parent must not compute the same paths.
    parents = {parent.pk: parent for parent in Page.objects.select_for_update().filter(pk__in={p.pk for p, _ in children})}
    last_step, taken = _siblings(parents.values())
    added = dict.fromkeys(parents, 0)
    content_type = ContentType.objects.get_for_model(model)
    page_content_type = ContentType.objects.get_for_model(Page)
    now = timezone.now()

    for given, page in children:
        parent = parents[given.pk]
        added[parent.pk] += 1
        page.slug = _unique_slug(page.slug or slugify(page.title, allow_unicode=True)[:200] or "page", taken[parent.pk])
        page.path = Page._get_path(parent.path, parent.depth + 1, last_step[parent.pk] + added[parent.pk])
        page.depth = parent.depth + 1
        page.numchild = 0
        page.url_path = f"{parent.url_path}{page.slug}/"
        page.content_type = content_type
        page.locale_id = parent.locale_id
        page.translation_key = uuid.uuid4()
        page.draft_title = page.title
        page.live = True
        page.has_unpublished_changes = False
        page.first_published_at = page.last_published_at = page.latest_revision_created_at = now
        page._cached_parent_obj = parent  # get_parent() in clean() without a query
        page.full_clean(exclude=_TREE_FIELDS, validate_unique=False, validate_constraints=False)

    _insert(model, pages)
    update_rows(Page, ["numchild"], [(parents[pk].numchild + count, pk) for pk, count in added.items()])
    for pk, count in added.items():
        parents[pk].numchild += count
    for parent, _ in children:
        parent.numchild = parents[parent.pk].numchild
    if write_children is not None:
        write_children(pages)
    # Any other child relation (Wagtail's comments, say) is empty on a new page: say so, or
    # the revision and the reference index would each ask the database, page by page.
    for relation in get_all_child_relations(model):
        name = relation.get_accessor_name()
        for page in pages:
            if name not in getattr(page, "_cluster_related_objects", {}):
                setattr(page, name, [])

    revisions = Revision.objects.bulk_create(
        [
            Revision(
                content_type=content_type,
                base_content_type=page_content_type,
                object_id=str(page.pk),
                created_at=now,
                object_str=str(page)[:255],
                content=page.serializable_data(),
            )
            for page in pages
        ],
        batch_size=BATCH,
    )
    if revisions and revisions[0].pk is None:  # a database without RETURNING on bulk inserts
        by_object = dict(Revision.objects.filter(base_content_type=page_content_type, object_id__in=[str(p.pk) for p in pages]).values_list("object_id", "pk"))
        for revision in revisions:
            revision.pk = by_object[revision.object_id]
    for page, revision in zip(pages, revisions):
        page.latest_revision = page.live_revision = revision
    update_rows(Page, ["latest_revision", "live_revision"], [(page.latest_revision_id, page.live_revision_id, page.pk) for page in pages])

    PageLogEntry.objects.bulk_create(
        [
            PageLogEntry(
                content_type=content_type, page_id=page.pk, label=page.get_admin_display_title(), action=action,
                timestamp=now, revision=revision if action == "wagtail.publish" else None, content_changed=True,
                data={},
            )
            for page, revision in zip(pages, revisions)
            for action in ("wagtail.create", "wagtail.publish")
        ],
        batch_size=BATCH,
    )
    _index_references(model, pages)
    for backend in get_search_backends(with_auto_update=True):
        backend.add_bulk(model, pages)
    pages_published.send(sender=model, instances=pages)
    return pages


def update_rows(model, fields: list[str], rows: list[tuple]) -> None:
    """Set ``fields`` (of ``model``'s own table) row by row: each row gives their values, then the
    primary key. One statement sent many times (pipelined by psycopg), which PostgreSQL runs far
    faster than the one large ``CASE`` of ``bulk_update``."""
    if not rows:
        return
    quote = connection.ops.quote_name
    columns = ", ".join(f"{quote(model._meta.get_field(name).column)} = %s" for name in fields)
    sql = f"UPDATE {quote(model._meta.db_table)} SET {columns} WHERE {quote(model._meta.pk.column)} = %s"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            cursor.executemany(sql, rows[start : start + BATCH])


def _siblings(parents) -> tuple[dict[int, int], dict[int, set[str]]]:
    """For each parent: the step of its last child (0 if none), and its children's slugs."""
    by_path = {parent.path: parent.pk for parent in parents}
    last_step = dict.fromkeys(by_path.values(), 0)
    taken = {pk: set() for pk in by_path.values()}
    for depth in {parent.depth for parent in parents}:
        paths = [path for path, pk in by_path.items() if len(path) == depth * Page.steplen]
        rows = (
            Page.objects.filter(depth=depth + 1)
            .annotate(parent_path=Substr("path", 1, depth * Page.steplen))
            .filter(parent_path__in=paths)
            .values_list("parent_path", "path", "slug")
        )
        for parent_path, path, slug in rows.iterator():
            pk = by_path[parent_path]
            last_step[pk] = max(last_step[pk], Page._str2int(path[-Page.steplen :]))
            taken[pk].add(slug)
    return last_step, taken


def _insert(model: type[Page], pages: list[Page]) -> None:
    """Insert the page rows, then the specific model's rows (one table below ``Page``)."""
    base = [Page(**{field.attname: getattr(page, field.attname) for field in Page._meta.concrete_fields}) for page in pages]
    Page.objects.bulk_create(base, batch_size=BATCH)
    if base and base[0].pk is None:  # a database without RETURNING on bulk inserts
        by_path = dict(Page.objects.filter(path__in=[page.path for page in base]).values_list("path", "pk"))
        for page in base:
            page.pk = by_path[page.path]
    for page, row in zip(pages, base):
        page.pk = page.id = row.pk
        setattr(page, model._meta.pk.attname, row.pk)
        page._state.adding = False
    fields = model._meta.local_concrete_fields
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    rows = [[field.get_db_prep_save(getattr(page, field.attname), connection) for field in fields] for page in pages]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            cursor.executemany(
                f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({columns}) VALUES ({placeholders})",
                rows[start : start + BATCH],
            )


def _index_references(model: type[Page], pages: list[Page]) -> None:
    """What ``ReferenceIndex.create_or_update_for_object`` records, for new pages at once."""
    if not ReferenceIndex.is_indexed(model):
        return
    content_type = ContentType.objects.get_for_model(model)
    base_content_type = ContentType.objects.get_for_model(Page)
    ReferenceIndex.objects.bulk_create(
        [
            ReferenceIndex(
                content_type=content_type, base_content_type=base_content_type, object_id=page.pk,
                to_content_type_id=to_content_type_id, to_object_id=to_object_id, model_path=model_path,
                content_path=content_path, content_path_hash=ReferenceIndex._get_content_path_hash(content_path),
            )
            for page in pages
            for to_content_type_id, to_object_id, model_path, content_path in set(ReferenceIndex._extract_references_from_object(page))
        ],
        batch_size=BATCH,
    )
