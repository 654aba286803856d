"""The demo directory as plain data, decided before anything is written.

``build_plan()`` is a pure function of the seed, the scale and today's date: the same
arguments give an equal plan, every time, on every machine. Each organisation, venue and
activity draws from its own generator, seeded with the seed and its key, so adding or
dropping one (or changing ``scale``) leaves every other one as it was; and each has an ORUK
id derived from its key, which is how ``load_demo`` recognises what it built before.

Only venues' postcodes are left to the build: they come from the Postcode table, and the
plan records only where to look and which of the candidates to take.
"""

import html
import math
import random
import uuid
from dataclasses import dataclass, replace
from datetime import date, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.utils.text import slugify

from demo.catalogue import (
    ACCESSIBILITY_NOTES,
    BUS_ROUTES,
    FIRST_NAMES,
    FIRST_VISIT,
    GREEN_ACCESS_NOTES,
    KINDS,
    LAST_NAMES,
    ORGANISATION_KINDS,
    ORGANISATIONS,
    SAINTS,
    SLOTS,
    STREETS,
    VENUE_TYPES,
    Kind,
    OrganisationKind,
)
from demo.places import AREAS, Area, Neighbourhood, Patch
from directory.choices import ActivityStatus, Frequency, WeekOfMonth

SEED = "signpost-demo-2026"
# Never change: the demo's ORUK ids, and so load_demo's idempotency, are derived from it.
DEMO_NAMESPACE = uuid.UUID("7e705515-d572-4b39-a076-b891462eba1d")
# The organisation whose editors group the demo "editor" user joins.
EDITOR_ORGANISATION = ("halton", 0)


def demo_oruk_id(key: str) -> str:
    return str(uuid.uuid5(DEMO_NAMESPACE, key))


def _rng(kind: str, key: str) -> random.Random:
    # String seeds are hashed with SHA-512, so they do not depend on PYTHONHASHSEED.
    return random.Random(f"{SEED}:{kind}:{key}")


@dataclass(frozen=True)
class OrganisationPlan:
    key: str
    oruk_id: str
    area: str
    title: str
    description: str
    website: str
    email: str
    phone: str
    safeguarding_contact_name: str
    safeguarding_contact_email: str
    safeguarding_contact_phone: str
    trusted: bool


@dataclass(frozen=True)
class VenuePlan:
    key: str
    oruk_id: str
    name: str
    address_1: str
    town: str
    # Where to find its postcode: the districts, a centre (within about a kilometre) and
    # which of the sorted candidates to take.
    districts: tuple[str, ...]
    near: tuple[float, float]
    pick: int
    step_free: bool
    accessible_toilet: bool
    hearing_loop: bool
    parking: bool
    accessibility_notes: str
    bus_stops: str
    bus_routes: str
    directions: str
    organisation: str | None  # the key of the organisation that looks after it


@dataclass(frozen=True)
class SessionPlan:
    oruk_id: str
    venue: str | None  # a venue key
    frequency: str
    weekday: int | None
    week_of_month: int | None
    start_time: time
    end_time: time
    valid_from: date
    valid_to: date | None
    notes: str


@dataclass(frozen=True)
class ActivityPlan:
    key: str
    oruk_id: str
    organisation: str  # an organisation key
    title: str
    summary: str
    description: str
    needs: tuple[str, ...]  # need slugs
    min_age: int | None
    max_age: int | None
    carers_welcome: bool
    conditions: str
    eligibility_notes: str
    is_free: bool
    cost_amount: Decimal | None
    cost_description: str
    concessions: str
    how_to_join: str
    in_person: bool
    online: bool
    by_phone: bool
    languages: str
    capacity_per_session: int | None
    contact_name: str
    contact_email: str
    contact_phone: str
    status: str
    last_reviewed: date
    sessions: tuple[SessionPlan, ...]

    def page_fields(self) -> dict:
        """The ``ActivityPage`` fields, for the factories."""
        skip = {"key", "organisation", "title", "needs", "sessions"}
        return {name: getattr(self, name) for name in self.__dataclass_fields__ if name not in skip}


@dataclass(frozen=True)
class DemoPlan:
    organisations: tuple[OrganisationPlan, ...]
    venues: tuple[VenuePlan, ...]
    activities: tuple[ActivityPlan, ...]
    editor_organisation: str  # an organisation key
    # A new listing and a change to a live one, both waiting for a moderator.
    pending_new: ActivityPlan
    pending_change: tuple[str, str]  # (activity key, the proposed new summary)


def build_plan(*, today: date, scale: float = 1.0) -> DemoPlan:
    """The demo directory for ``today``: ``scale`` 1 is the full size, smaller keeps the first organisations."""
    if not 0 < scale <= 1:
        raise ValueError("scale must be more than 0 and at most 1")
    planner = _Planner(today)
    editor_key = None
    for area in AREAS:
        specs = ORGANISATIONS[area.key]
        for index, (kind_key, nb_key, place) in enumerate(specs[: max(1, math.ceil(len(specs) * scale))]):
            is_editor_org = (area.key, index) == EDITOR_ORGANISATION
            organisation = planner.organisation(
                area, ORGANISATION_KINDS[kind_key], nb_key, place, untrusted=is_editor_org
            )
            if is_editor_org:
                editor_key = organisation.key
    activities = _ensure_examples(planner.activities, today)
    editor_activities = [a for a in activities if a.organisation == editor_key]
    pending_new = planner.pending_new_activity(editor_key)
    fresh = today - timedelta(days=settings.SIGNPOST["STALE_AFTER_DAYS"])
    changed = next(
        (a for a in editor_activities if a.status == ActivityStatus.ACTIVE and a.last_reviewed > fresh),
        editor_activities[0],
    )
    pending_change = (changed.key, f"{changed.summary} Newcomers can now come to a free taster session first.")
    # Only venues something happens at: an empty venue page helps nobody.
    used = {session.venue for activity in (*activities, pending_new) for session in activity.sessions}
    return DemoPlan(
        organisations=tuple(planner.organisations),
        venues=tuple(venue for key, venue in planner.venues.items() if key in used),
        activities=tuple(activities),
        editor_organisation=editor_key,
        pending_new=pending_new,
        pending_change=pending_change,
    )


def _short(nb: Neighbourhood) -> str:
    """The neighbourhood as it reads in a name: "Bournemouth", not "Bournemouth town centre"."""
    for suffix in (" town centre", " city centre"):
        if nb.name.endswith(suffix):
            return nb.post_town
    return nb.name


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


class _Planner:
    def __init__(self, today: date):
        self.today = today
        self.organisations: list[OrganisationPlan] = []
        self.venues: dict[str, VenuePlan] = {}
        self.activities: list[ActivityPlan] = []
        self._titles: set[str] = set()
        self._premises: dict[str, str] = {}  # organisation key -> venue key
        self._org_homes: dict[str, tuple[Area, Neighbourhood, str, OrganisationKind]] = {}

    # Organisations ------------------------------------------------------------------------

    def organisation(
        self, area: Area, okind: OrganisationKind, nb_key: str, place: str | None, *, untrusted: bool
    ) -> OrganisationPlan:
        patch, home = _find_neighbourhood(area, nb_key)
        place = place or (_short(home) if okind.local else patch.name)
        key_rng = _rng("organisation-name", f"{area.key}/{okind.key}/{nb_key}")
        title = okind.name.format(place=place, green=home.green_space, saint=key_rng.choice(SAINTS))
        title = _capitalise(title)
        if title in self._titles:
            raise ValueError(f"Two demo organisations are called {title!r}")
        self._titles.add(title)
        key = f"{area.key}/{slugify(title)}"
        rng = _rng("organisation", key)
        domain = f"{slugify(title)}.example"
        safeguarding = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        organisation = OrganisationPlan(
            key=key,
            oruk_id=demo_oruk_id(f"organisation/{key}"),
            area=area.key,
            title=title,
            description=okind.description.format(place=place, green=home.green_space),
            website=f"https://www.{domain}",
            email=f"{rng.choice(('hello', 'info', 'enquiries', 'contact'))}@{domain}",
            phone=_phone(area, rng),
            safeguarding_contact_name=safeguarding,
            safeguarding_contact_email=f"safeguarding@{domain}",
            safeguarding_contact_phone=_mobile(rng),
            trusted=not untrusted and rng.random() < okind.trusted_chance,
        )
        self.organisations.append(organisation)
        self._org_homes[key] = (area, home, place, okind)
        if okind.premises:
            self._premises[key] = self._premises_venue(area, home, organisation, okind)
        self._activities_of(organisation, area, patch, home, place, okind, rng)
        return organisation

    def _activities_of(self, organisation, area, patch, home, place, okind, rng):
        pool = area.neighbourhoods if place in (area.short_name, area.name) else patch.neighbourhoods
        others = [nb for nb in pool if nb.key != home.key]
        neighbourhoods = [home] + rng.sample(others, min(okind.spread - 1, len(others)))
        core, rest = list(okind.kinds[: okind.core]), list(okind.kinds[okind.core :])
        extra = set(rng.sample(rest, min(rng.randint(*okind.extra), len(rest))))
        chosen = core + [kind for kind in rest if kind in extra]
        for index, kind_key in enumerate(chosen):
            kind = KINDS[kind_key]
            targets = neighbourhoods if kind.repeat else [neighbourhoods[index % len(neighbourhoods)]]
            for nb in targets:
                self.activities.append(self._activity(organisation, area, nb, place, kind, several=len(targets) > 1))

    # Venues -------------------------------------------------------------------------------

    def _premises_venue(self, area: Area, nb: Neighbourhood, organisation: OrganisationPlan, okind) -> str:
        if isinstance(okind.premises, str):
            key = self._venue(area, nb, okind.premises)
            self.venues[key] = replace(self.venues[key], organisation=organisation.key)
            return key
        key = f"{organisation.key}/premises"
        self.venues[key] = self._venue_plan(area, nb, key, organisation.title, building=True, owner=organisation.key)
        return key

    def _venue(self, area: Area, nb: Neighbourhood, venue_type: str) -> str:
        key = f"{area.key}/{nb.key}/{venue_type}"
        if key not in self.venues:
            rng = _rng("venue-name", key)
            name = rng.choice(VENUE_TYPES[venue_type]["names"]).format(
                nb=_short(nb), saint=rng.choice(SAINTS), green=nb.green_space
            )
            self.venues[key] = self._venue_plan(
                area, nb, key, _capitalise(name), building=venue_type != "green", owner=None
            )
        return key

    def _venue_plan(self, area, nb, key, name, *, building: bool, owner: str | None) -> VenuePlan:
        rng = _rng("venue", key)
        street = rng.choice(STREETS)
        routes = sorted(rng.sample(BUS_ROUTES[area.key], rng.randint(1, 3)), key=lambda r: (len(r), r))
        if building:
            address_1 = f"{rng.randint(1, 160)} {street}"
            step_free = rng.random() < 0.8
            features = {
                "step_free": step_free,
                "accessible_toilet": step_free and rng.random() < 0.8,
                "hearing_loop": rng.random() < 0.4,
                "parking": rng.random() < 0.55,
            }
            notes = rng.choice(ACCESSIBILITY_NOTES) if rng.random() < 0.7 else ""
            directions = rng.choice(
                ("", "", f"Entrance at the side of the building, off {street}.", "Follow the signs to the main hall.")
            )
        else:
            address_1 = f"Main entrance, {street}"
            features = {
                "step_free": rng.random() < 0.6,
                "accessible_toilet": False,
                "hearing_loop": False,
                "parking": rng.random() < 0.5,
            }
            notes = rng.choice(GREEN_ACCESS_NOTES)
            directions = "Meet the walk leader by the main entrance noticeboard."
        stop_where = rng.choice(("outside", "opposite", "two minutes' walk away", "on the corner"))
        return VenuePlan(
            key=key,
            oruk_id=demo_oruk_id(f"venue/{key}"),
            name=name,
            address_1=address_1,
            town=nb.post_town,
            districts=nb.districts,
            near=(nb.latitude, nb.longitude),
            pick=rng.randrange(1 << 30),
            accessibility_notes=notes,
            bus_stops=f"{street} ({stop_where})",
            bus_routes=", ".join(routes),
            directions=directions,
            organisation=owner,
            **features,
        )

    def _venue_for(self, organisation: OrganisationPlan, area, nb, kind: Kind, rng) -> str | None:
        premises = self._premises.get(organisation.key)
        home_nb = self._org_homes[organisation.key][1]
        if not kind.venues:
            return None
        if premises and "premises" in kind.venues and nb.key == home_nb.key and rng.random() < 0.85:
            return premises
        types = [venue_type for venue_type in kind.venues if venue_type != "premises"]
        if not types:
            return premises or self._venue(area, nb, "community_centre")
        return self._venue(area, nb, rng.choice(types))

    # Activities ---------------------------------------------------------------------------

    def _activity(self, organisation, area, nb, place, kind: Kind, *, several: bool) -> ActivityPlan:
        key = f"{organisation.key}/{kind.key}/{nb.key}"
        rng = _rng("activity", key)
        title = kind.title.format(nb=_short(nb), place=place, patch=place, green=nb.green_space)
        if several and "{nb}" not in kind.title:
            title = f"{title}, {_short(nb)}"
        title = _capitalise(title)

        venue = self._venue_for(organisation, area, nb, kind, rng) if kind.delivery not in ("online", "phone") else None
        cost = rng.choice(kind.costs)
        contact_first, contact_last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        domain = organisation.website.removeprefix("https://www.")
        in_person = kind.delivery in ("in_person", "hybrid", "hybrid_phone")
        paragraphs = [text.format(green=nb.green_space, place=place) for text in kind.description]
        paragraphs.append(rng.choice(FIRST_VISIT).format(contact_first=contact_first))
        capacity = None if kind.capacity is None or rng.random() < 0.15 else rng.randint(*kind.capacity)
        return ActivityPlan(
            key=key,
            oruk_id=demo_oruk_id(f"activity/{key}"),
            organisation=organisation.key,
            title=title,
            summary=kind.summary,
            description="".join(f"<p>{html.escape(text, quote=False)}</p>" for text in paragraphs),
            needs=kind.needs,
            min_age=kind.min_age,
            max_age=kind.max_age,
            carers_welcome=kind.carers_welcome,
            conditions=kind.conditions,
            eligibility_notes=kind.eligibility,
            is_free=cost.amount is None,
            cost_amount=cost.amount,
            cost_description=cost.description,
            concessions=cost.concessions,
            how_to_join=rng.choice(kind.how_to_join),
            in_person=in_person,
            online=kind.delivery in ("online", "hybrid"),
            by_phone=kind.delivery in ("phone", "hybrid_phone"),
            languages=rng.choice(kind.languages),
            capacity_per_session=capacity,
            contact_name=f"{contact_first} {contact_last}",
            contact_email=f"{contact_first.lower()}@{domain}",
            contact_phone=organisation.phone if rng.random() < 0.6 else _mobile(rng),
            status=ActivityStatus.ACTIVE,
            last_reviewed=self.today - timedelta(days=rng.randint(0, settings.SIGNPOST["STALE_AFTER_DAYS"] - 20)),
            sessions=self._sessions(key, kind, venue, rng),
        )

    def _sessions(self, key: str, kind: Kind, venue: str | None, rng) -> tuple[SessionPlan, ...]:
        if not kind.frequencies:
            return ()
        if kind.delivery == "phone" and "office" in kind.slots:
            # A phone line: open every day it runs.
            start, end = rng.choice(SLOTS["office"])
            specs = [(day, None, "The phone line is open.") for day in kind.days]
            frequency, week, one_off = Frequency.WEEKLY, None, False
            valid_from, valid_to = self._ongoing_start(rng), None
        else:
            frequency = rng.choice(kind.frequencies)
            start, end = rng.choice(SLOTS[rng.choice(kind.slots)])
            days = rng.sample(kind.days, min(kind.sessions, len(kind.days)))
            online_note = "Online, on Zoom: we send you the link when you book."
            if kind.delivery == "online":
                specs = [(day, None, online_note) for day in days]
            elif kind.delivery == "hybrid":
                other = [day for day in kind.days if day not in days] or days
                specs = [(days[0], venue, ""), (rng.choice(other), None, online_note)]
            else:
                note = "" if kind.venues else "We tell you where when you book."
                specs = [(day, venue, note) for day in days]
            week = rng.choice(list(WeekOfMonth.values)) if frequency == Frequency.MONTHLY else None
            one_off = frequency == Frequency.ONCE
            valid_to = None
            if one_off:
                valid_from = self.today + timedelta(days=rng.randint(10, 80))
            elif kind.course_weeks:
                valid_from = self.today + timedelta(days=rng.randint(-28, 42))
            else:
                valid_from = self._ongoing_start(rng)
        sessions = []
        for index, (day, session_venue, note) in enumerate(specs):
            first = valid_from
            if one_off:
                first = valid_from + timedelta(days=(day - valid_from.weekday()) % 7)
            last = valid_to
            if kind.course_weeks and not one_off:
                first = valid_from + timedelta(days=(day - valid_from.weekday()) % 7)
                last = first + timedelta(weeks=kind.course_weeks - 1)
                note = " ".join(filter(None, (f"A course of {kind.course_weeks} weeks.", note)))
            sessions.append(
                SessionPlan(
                    oruk_id=demo_oruk_id(f"session/{key}/{index}"),
                    venue=session_venue,
                    frequency=frequency,
                    weekday=None if one_off else day,
                    week_of_month=week,
                    start_time=time.fromisoformat(start),
                    end_time=time.fromisoformat(end),
                    valid_from=first,
                    valid_to=last,
                    notes=note,
                )
            )
        return tuple(sessions)

    def _ongoing_start(self, rng) -> date:
        return self.today - timedelta(days=rng.randint(30, 1200))

    def pending_new_activity(self, organisation_key: str) -> ActivityPlan:
        area, home, place, okind = self._org_homes[organisation_key]
        organisation = next(o for o in self.organisations if o.key == organisation_key)
        activity = self._activity(organisation, area, home, place, KINDS["singing_for_the_brain"], several=False)
        key = f"{organisation_key}/pending/new-listing"
        return replace(
            activity,
            key=key,
            oruk_id=demo_oruk_id(f"activity/{key}"),
            title=f"{place} Carers' Singing Group",
            summary="A new singing group for carers and the people they care for: songs, tea and a chat.",
            last_reviewed=self.today,
            sessions=tuple(
                replace(session, oruk_id=demo_oruk_id(f"session/{key}/{index}"))
                for index, session in enumerate(activity.sessions)
            ),
        )


def _find_neighbourhood(area: Area, key: str) -> tuple[Patch, Neighbourhood]:
    for patch in area.patches:
        for nb in patch.neighbourhoods:
            if nb.key == key:
                return patch, nb
    raise KeyError(f"No neighbourhood {key!r} in {area.name}")


def _phone(area: Area, rng) -> str:
    return f"{area.phone_prefix}{rng.randint(0, 999):03d}"


def _mobile(rng) -> str:
    return f"07700 900{rng.randint(0, 999):03d}"


def _ensure_examples(activities: list[ActivityPlan], today: date) -> list[ActivityPlan]:
    """Mark some listings paused, closed, stale (to be reminded) and hidden (past the grace period).

    Chosen by a hash of each key rather than by position in the plan, and at least one of
    each even in the smallest demo.
    """
    stale_after = settings.SIGNPOST["STALE_AFTER_DAYS"]
    grace = settings.SIGNPOST["STALE_GRACE_DAYS"]
    order = sorted(range(len(activities)), key=lambda i: _rng("example", activities[i].key).random())
    shares = {"paused": 0.05, "closed": 0.012, "stale": 0.07, "hidden": 0.03}
    wanted = {role: max(1, round(len(activities) * share)) for role, share in shares.items()}
    result = list(activities)
    roles = [role for role, count in wanted.items() for _ in range(count)]
    for index, role in zip(order, roles):
        activity = result[index]
        rng = _rng(f"example-{role}", activity.key)
        if role == "paused":
            activity = replace(activity, status=ActivityStatus.PAUSED)
        elif role == "closed":
            activity = replace(activity, status=ActivityStatus.CLOSED)
        elif role == "stale":
            # Stale (so its organisation is reminded) but still inside the grace period, with a
            # day's margin either side so a test run that spans midnight still agrees.
            days = stale_after + rng.randint(1, max(1, grace - 2))
            activity = replace(activity, last_reviewed=today - timedelta(days=days))
        else:
            days = stale_after + grace + rng.randint(5, 250)
            activity = replace(activity, last_reviewed=today - timedelta(days=days))
        result[index] = activity
    return result

