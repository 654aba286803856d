"""Reading referrals for the staff pages: the triage queue, a link worker's caseload, a timeline.

Reads only (writes are ``referrals.services``). Every query starts from what
``referrals.permissions`` lets the reader see, so a page can never show a referral its reader
may not see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.utils import timezone

from referrals.choices import ConsentPurpose, ContactStatus, Priority, StaffRole
from referrals.choices import ConnectionStatus as C
from referrals.choices import ReferralStatus as S
from referrals.models import (
    Alert,
    CarePlan,
    Connection,
    Consent,
    Contact,
    ContactExpectation,
    Goal,
    Notification,
    Referral,
    ReferralEvent,
    SafeguardingConcern,
    WellbeingScore,
)
from referrals.permissions import referrals_visible_to, team_referrals_visible_to
from referrals.roles import Actor
from referrals.workflow import CONNECTING, CONNECTION_OPEN, FIRST_SESSION_PENDING, OPEN

# What the link worker does next, by the referral's status (and, in support, by its connections: ``next_step``).
NEXT_STEP = {
    S.RECEIVED: "Triage the referral",
    S.TRIAGED: "Make first contact",
    S.CONTACTED: "Connect the person to activities and services",
    S.DECLINED_BY_PERSON: "Discharge",
    S.DISCHARGED: "No further steps",
    S.REDIRECTED: "No further steps (redirected to another service)",
    S.NOT_ELIGIBLE: "No further steps (not eligible)",
}
CONNECTION_NEXT_STEP = {
    C.ACTIVITY_CHOSEN: "Send the referral to the provider",
    C.SENT_TO_PROVIDER: "Waiting for the provider to respond",
    C.ACCEPTED: "Waiting for the provider to book the first session",
    C.DECLINED_BY_PROVIDER: "Choose another activity together",
    C.FIRST_SESSION_BOOKED: "Make sure the person knows about the first session",
    C.RESIDENT_NOTIFIED: "Waiting for the first session",
    C.DID_NOT_ATTEND: "Follow up: choose another activity, or review",
    C.CANCELLED: "Choose another activity, or review",
    C.SIGNPOSTED: "Find out whether the person took up the service",
}

# The colour of each status's tag (NHS.UK frontend tag modifiers).
STATUS_TAG = {
    S.RECEIVED: "blue",
    S.TRIAGED: "blue",
    S.CONTACTED: "aqua-green",
    S.DECLINED_BY_PERSON: "grey",
    S.DISCHARGED: "grey",
    S.REDIRECTED: "grey",
    S.NOT_ELIGIBLE: "grey",
    C.ACTIVITY_CHOSEN: "aqua-green",
    C.SENT_TO_PROVIDER: "purple",
    C.ACCEPTED: "purple",
    C.DECLINED_BY_PROVIDER: "orange",
    C.FIRST_SESSION_BOOKED: "green",
    C.RESIDENT_NOTIFIED: "green",
    C.ATTENDED: "green",
    C.DID_NOT_ATTEND: "red",
    C.CANCELLED: "orange",
    C.WITHDRAWN: "grey",
    C.SIGNPOSTED: "aqua-green",
    C.TOOK_UP: "green",
    C.DID_NOT_TAKE_UP: "orange",
}


WAITING_ON_PROVIDER = (C.SENT_TO_PROVIDER, C.ACCEPTED)
# How long a discharged referral stays on the caseload.
RECENTLY_CLOSED_DAYS = 30


def next_step(referral: Referral, connections) -> str:
    """What the link worker does next for ``referral``: the referral's step, or, in support, its
    connections' (the first that waits on them, else the first that waits on someone else)."""
    if referral.status != S.CONTACTED:
        return NEXT_STEP.get(referral.status, "")
    if not connections:
        return NEXT_STEP[S.CONTACTED]
    open_ones = [c for c in connections if c.status in CONNECTION_OPEN]
    for connection in open_ones:
        if connection.status in (C.ACTIVITY_CHOSEN, C.FIRST_SESSION_BOOKED, C.SIGNPOSTED):
            return f"{connection.name}: {CONNECTION_NEXT_STEP[connection.status].lower()}"
    if open_ones:
        first = open_ones[0]
        return f"{first.name}: {CONNECTION_NEXT_STEP[first.status].lower()}"
    last = connections[-1]
    return CONNECTION_NEXT_STEP.get(last.status, "Review with the person, then discharge")




def _with_open_alerts(referrals: QuerySet) -> QuerySet:
    return referrals.select_related("resident", "link_worker").prefetch_related(
        Prefetch("connections", queryset=Connection.objects.select_related("activity", "provider").order_by("number")),
        Prefetch("alerts", queryset=Alert.objects.open(), to_attr="open_alerts")
    ).annotate(open_safeguarding=with_open_safeguarding_concern())


def with_open_safeguarding_concern() -> Exists:
    """An annotation: whether the referral has a safeguarding concern not yet resolved (the team's lists flag it)."""
    return Exists(SafeguardingConcern.objects.filter(referral=OuterRef("pk"), resolved_at__isnull=True))


# Working time -----------------------------------------------------------------------------


def working_time_between(start: datetime, end: datetime | None = None) -> timedelta:
    """Time between ``start`` and ``end`` (now) leaving out Saturdays and Sundays.

    The specifications count their targets (first contact within 48 hours, a provider's reply
    within 3 working days) in working time, so the queue shows ages the same way.
    """
    end = end or timezone.now()
    if end <= start:
        return timedelta(0)
    total = timedelta(0)
    cursor = start
    while cursor < end:
        next_midnight = (cursor + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        stop = min(next_midnight, end)
        if cursor.weekday() < 5:
            total += stop - cursor
        cursor = stop
    return total


def describe_age(age: timedelta) -> str:
    """A working-time age in words a person reads at a glance: "3 hours", "2 working days"."""
    hours = int(age.total_seconds() // 3600)
    if hours < 1:
        return "Less than an hour"
    if hours < 24:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    days = hours // 24
    return f"{days} working day{'s' if days != 1 else ''}"


# Triage -----------------------------------------------------------------------------------


def triage_queue(*, actor: Actor) -> list[Referral]:
    """New referrals waiting for triage: urgent first, then the longest waiting first."""
    referrals = (
        _with_open_alerts(team_referrals_visible_to(actor).filter(status=S.RECEIVED))
        .annotate(
            urgency=Case(When(priority=Priority.URGENT, then=Value(0)), default=Value(1), output_field=IntegerField())
        )
        .order_by("urgency", "received_at", "pk")
    )
    now = timezone.now()
    rows = list(referrals)
    for referral in rows:
        referral.working_age = working_time_between(referral.received_at, now)
        referral.age_label = describe_age(referral.working_age)
    return rows


def service_open_referrals(*, actor: Actor) -> list[Referral]:
    """The service's other open referrals (already triaged), with their link worker; alerts first."""
    open_statuses = sorted(OPEN - {S.RECEIVED})
    rows = list(
        _with_open_alerts(team_referrals_visible_to(actor).filter(status__in=open_statuses)).order_by("received_at", "pk")
    )
    rows.sort(key=lambda r: (not r.open_alerts,))
    for referral in rows:
        referral.next_step = next_step(referral, list(referral.connections.all()))
    return rows


@dataclass
class LinkWorkerChoice:
    user: object
    label: str
    matches: list[str] = field(default_factory=list)
    open_referrals: int = 0
    # Aligned to the primary care network of the person's practice (the DES): offered first.
    aligned: bool = False


def link_worker_choices(*, referral: Referral, link_workers) -> list[LinkWorkerChoice]:
    """The service's link workers for allocating ``referral``: those aligned to the primary care network
    of the person's practice first, then those who match the person's stated preferences (their
    language), then the lightest caseload first."""
    resident = referral.resident
    language = (resident.language or "").strip().lower()
    pcn = resident.practice.pcn if resident.practice_id else None
    users = list(link_workers.select_related("staff_membership").prefetch_related("staff_membership__pcns"))
    open_counts = {
        row["link_worker"]: row["n"]
        for row in Referral.objects.filter(link_worker__in=users)
        .filter(status__in=sorted(OPEN))
        .values("link_worker")
        .annotate(n=Count("pk"))
    }
    choices = []
    for user in users:
        membership = getattr(user, "staff_membership", None)
        spoken = [item.lower() for item in (membership.language_list if membership else [])]
        matches = []
        aligned = pcn is not None and membership is not None and any(p.pk == pcn.pk for p in membership.pcns.all())
        if aligned:
            matches.append(f"Works with {pcn.name}")
        if language and language != "english" and language in spoken:
            matches.append(f"Speaks {resident.language}")
        choices.append(
            LinkWorkerChoice(
                user=user,
                label=user.get_full_name() or user.get_username(),
                matches=matches,
                open_referrals=open_counts.get(user.pk, 0),
                aligned=aligned,
            )
        )
    choices.sort(key=lambda c: (not c.aligned, not c.matches, c.open_referrals, c.label))
    return choices


# Caseload ---------------------------------------------------------------------------------


@dataclass
class Caseload:
    needs_action: list[Referral]
    waiting_on_provider: list[Referral]
    first_session_booked: list[Referral]
    closed_recently: list[Referral]

    @property
    def total(self) -> int:
        return sum(map(len, (self.needs_action, self.waiting_on_provider, self.first_session_booked,
                             self.closed_recently)))


def caseload(*, actor: Actor, now: datetime | None = None) -> Caseload:
    """The link worker's own referrals, grouped by who has the next move: them, a provider (every open
    connection is with a provider), or a first session coming up; and those discharged lately."""
    now = now or timezone.now()
    since = now - timedelta(days=RECENTLY_CLOSED_DAYS)
    referrals = _with_open_alerts(
        referrals_visible_to(actor)
        .filter(link_worker_id=actor.user_id)
        .filter(~Q(status=S.DISCHARGED) | Q(discharged_at__gte=since))
    ).order_by("received_at", "pk")
    groups = Caseload([], [], [], [])
    referrals = list(referrals)
    progress = contact_progress(referrals, now=now)
    for referral in referrals:
        connections = list(referral.connections.all())
        open_connections = [c for c in connections if c.status in CONNECTION_OPEN]
        referral.contact_progress = progress[referral.pk]
        referral.next_step = next_step(referral, connections)
        referral.status_tag = STATUS_TAG.get(referral.status, "grey")
        pending = [c for c in open_connections if c.status in FIRST_SESSION_PENDING]
        referral.first_session_at = min((c.first_session_at for c in pending), default=None)
        referral.first_session_pending = bool(pending)
        if referral.status == S.DISCHARGED:
            groups.closed_recently.append(referral)
        elif referral.open_alerts or referral.open_safeguarding:
            groups.needs_action.append(referral)
        elif open_connections and all(c.status in WAITING_ON_PROVIDER for c in open_connections):
            groups.waiting_on_provider.append(referral)
        elif open_connections and all(c.status in WAITING_ON_PROVIDER or c.status in FIRST_SESSION_PENDING
                                      for c in open_connections):
            groups.first_session_booked.append(referral)
        else:
            groups.needs_action.append(referral)
    # Open alerts first, then the longest waiting.
    groups.needs_action.sort(key=lambda r: (not r.open_safeguarding, not r.open_alerts, r.received_at))
    groups.first_session_booked.sort(key=lambda r: (r.first_session_at or now))
    groups.closed_recently.sort(key=lambda r: r.discharged_at or now, reverse=True)
    return groups


def open_tasks(*, actor: Actor) -> QuerySet:
    """Phone calls and letters waiting for this person (or, for triage, for their team)."""
    mine = Q(recipient_user_id=actor.user_id)
    if actor.has_role(StaffRole.TRIAGE) and actor.service_ids:
        mine |= Q(recipient_service_id__in=actor.service_ids, recipient_user__isnull=True)
    return (
        Notification.objects.open_tasks()
        .filter(mine, referral__in=referrals_visible_to(actor))
        .select_related("referral", "referral__resident")
        .order_by("created_at")
    )


def referrals_ready_for_activity(*, actor: Actor) -> QuerySet:
    """The link worker's referrals that can take an activity now (for "Refer to this activity")."""
    return (
        referrals_visible_to(actor)
        .filter(link_worker_id=actor.user_id, status__in=sorted(CONNECTING))
        .select_related("resident")
        .order_by("received_at", "pk")
    )


# Contacts ---------------------------------------------------------------------------------

FAILED_CONTACTS = (ContactStatus.DID_NOT_ATTEND, ContactStatus.COULD_NOT_REACH)


def has_held_contact(referral: Referral) -> bool:
    return Contact.objects.filter(referral=referral, status=ContactStatus.HELD).exists()


def has_held_review(referral: Referral) -> bool:
    return Contact.objects.filter(referral=referral, status=ContactStatus.HELD, is_review=True).exists()


def failed_contact_attempts(referral: Referral) -> int:
    """Attempts that did not reach the person (could not reach, did not attend) before any held contact."""
    contacts = Contact.objects.filter(referral=referral)
    first_held = contacts.filter(status=ContactStatus.HELD).order_by("at").values_list("at", flat=True).first()
    failed = contacts.filter(status__in=FAILED_CONTACTS)
    return (failed if first_held is None else failed.filter(at__lt=first_held)).count()


@dataclass(frozen=True)
class ContactProgress:
    """Contacts held so far against what the service expects for the referral's tier."""

    held: int
    expectation: ContactExpectation | None
    first_held_at: datetime | None
    reviewed: bool
    past_expected_length: bool

    @property
    def expected(self) -> str:
        """"6-12" (or "1" when the service expects exactly one); blank with no expectation set."""
        e = self.expectation
        if e is None:
            return ""
        return str(e.min_contacts) if e.min_contacts == e.max_contacts else f"{e.min_contacts}-{e.max_contacts}"

    @property
    def summary(self) -> str:
        if self.expectation is None:
            return f"Contacts: {self.held} (no expectation set for this tier)"
        return f"Contacts: {self.held} of {self.expected} within {self.expectation.within_weeks} weeks"


def contact_progress(referrals, *, now: datetime | None = None) -> dict[int, ContactProgress]:
    """Each referral's ``ContactProgress``, by id, in three queries whatever the number of referrals.

    Past its expected length: open, with an expectation for its tier, more than ``within_weeks``
    weeks since the first held contact, and no review contact held.
    """
    now = now or timezone.now()
    rows = [(r.pk, r.service_id, r.tier, r.status) for r in referrals] if not isinstance(referrals, QuerySet) else list(
        referrals.values_list("pk", "service_id", "tier", "status"))
    ids = [row[0] for row in rows]
    held = {}
    for referral_id, at, is_review in (
        Contact.objects.filter(referral_id__in=ids, status=ContactStatus.HELD).order_by("at")
        .values_list("referral_id", "at", "is_review")
    ):
        count, first, reviewed = held.get(referral_id, (0, at, False))
        held[referral_id] = (count + 1, first, reviewed or is_review)
    expectations = {
        (e.service_id, e.tier): e
        for e in ContactExpectation.objects.filter(service_id__in={row[1] for row in rows})
    }
    progress = {}
    for pk, service_id, tier, status in rows:
        count, first, reviewed = held.get(pk, (0, None, False))
        expectation = expectations.get((service_id, tier))
        past = (
            expectation is not None and first is not None and not reviewed
            and status not in (S.DISCHARGED, S.DECLINED_BY_PERSON, S.REDIRECTED, S.NOT_ELIGIBLE)
            and now > first + timedelta(weeks=expectation.within_weeks)
        )
        progress[pk] = ContactProgress(count, expectation, first, reviewed, past)
    return progress


def contacts_of(referral: Referral) -> list[Contact]:
    """A referral's contacts, newest first (booked ones to come at the top)."""
    return list(referral.contacts.select_related("recorded_by").order_by("-at", "-pk"))


def safeguarding_concerns_of(referral: Referral) -> list[SafeguardingConcern]:
    """A referral's safeguarding concerns: open ones first, then newest first."""
    concerns = list(referral.safeguarding_concerns.order_by("-raised_at", "-pk"))
    return sorted(concerns, key=lambda c: not c.is_open)


# One referral -----------------------------------------------------------------------------


def timeline(*, referral: Referral) -> list[ReferralEvent]:
    """Every step, oldest first: who, when, from, to and the note."""
    return list(referral.events.select_related("actor", "activity").order_by("at", "pk"))


# For reports: reporting reads referrals through these, over referrals the policy let it count ----


def referrals_among(referrals: QuerySet) -> QuerySet:
    """The same referrals as a plain queryset (no joins or DISTINCT left to multiply an aggregate)."""
    return Referral.objects.filter(pk__in=referrals.values("pk"))


def referrals_by_id(referral_ids) -> QuerySet:
    """The referrals with these ids."""
    return Referral.objects.filter(pk__in=referral_ids)


def referrals_of_resident(resident_id: int) -> QuerySet:
    """A person's referrals."""
    return Referral.objects.filter(resident_id=resident_id)


def referrals_of_care_plans(plan_ids) -> QuerySet:
    """The referrals these care and support plans are for."""
    return Referral.objects.filter(pk__in=CarePlan.objects.filter(pk__in=plan_ids).values("referral_id"))


def referral_needs(referral_ids) -> QuerySet:
    """The (``referral_id``, ``needterm_id``) rows of the needs named on the referrals with these ids
    (a subquery such as ``referrals.values("pk")``, or a list)."""
    return Referral.needs.through.objects.filter(referral_id__in=referral_ids)


def naming_a_need() -> Exists:
    """A filter for referrals that name at least one need."""
    return Exists(Referral.needs.through.objects.filter(referral_id=OuterRef("pk")))


def wellbeing_scores(referrals: QuerySet, *, before: datetime | None = None, stage: str | None = None,
                     since: datetime | None = None) -> QuerySet:
    """The ONS4 answers given for ``referrals`` before ``before`` (or at or after ``since``), at one ``stage`` or any."""
    scores = WellbeingScore.objects.filter(referral__in=referrals.values("pk"))
    scores = scores if before is None else scores.filter(recorded_at__lt=before)
    scores = scores if since is None else scores.filter(recorded_at__gte=since)
    return scores if stage is None else scores.filter(stage=stage)


def with_referral_consent_withdrawn() -> Q:
    """Referrals whose consent to being referred was withdrawn (on the referral, or the person's general consent)."""
    withdrawn = Consent.objects.filter(purpose=ConsentPurpose.REFERRAL, withdrawn_at__isnull=False)
    return Q(pk__in=withdrawn.filter(referral__isnull=False).values("referral_id")) | Q(
        resident_id__in=withdrawn.filter(referral__isnull=True).values("resident_id")
    )


# Reporting ---------------------------------------------------------------------------------
# What the reports count beyond the referral itself: connections, contacts, plans and goals
# (``reporting`` reads referrals only through this module and the policy).


def connections_of(referral_ids, connections: QuerySet | None = None) -> QuerySet:
    """The connections (of ``connections``, or all) of the referrals with these ids (a subquery or a list)."""
    return (Connection.objects.all() if connections is None else connections).filter(referral_id__in=referral_ids)


def held_contacts(referral_ids, *, before: datetime | None = None, since: datetime | None = None) -> QuerySet:
    """The contacts held with the person, dated before ``before`` (or at or after ``since``), on the referrals with these ids."""
    contacts = Contact.objects.filter(referral_id__in=referral_ids, status=ContactStatus.HELD)
    contacts = contacts if before is None else contacts.filter(at__lt=before)
    return contacts if since is None else contacts.filter(at__gte=since)


def care_plan_started(*, before: datetime) -> Q:
    """A condition on referrals: a care and support plan was started before ``before``. A join to
    the plan (one per referral), where "pk IN (plans)" is hashed by PostgreSQL only while the list
    fits in work_mem: at 1,000,000 referrals it was not, and the plans were scanned once per referral."""
    return Q(care_plan__created_at__lt=before)


def with_care_plan_started(*, before: datetime) -> Exists:
    """An annotation: whether a care and support plan was started for the referral before ``before``."""
    return Exists(CarePlan.objects.filter(referral=OuterRef("pk"), created_at__lt=before))



def goals_of(referral_ids) -> QuerySet:
    """The goals on the care and support plans of the referrals with these ids."""
    return Goal.objects.filter(plan__referral_id__in=referral_ids)
