"""Demo referrals: three social prescribing services, their staff, and referrals in every state.

Built by ``manage.py load_demo`` after the demo directory, through the same factories and
service functions the tests use (so every event, alert, consent and notification is as in
life). Deterministic (a fixed seed) and idempotent: once the demo services hold referrals, a
second run builds nothing more and only makes sure the demo staff have their second factor.

The services stamp "now" on each step; each referral's story is then moved into the past
(its time stamps, events, notifications, consents and alerts, with queryset updates) so
that the ages make sense: a referral received six days ago and never contacted carries the
"not contacted" alert, a first session two days ago with no attendance recorded carries its
alert, and so on.

The demo users ``linkworker`` and ``triage`` work for the Dorset and Poole service; the
demo ``editor`` edits Halton Carers' Centre, so Halton's referrals go to its activities
and the provider inbox has work in it. Each demo user who sees residents' data has a
confirmed TOTP device with a fixed key (``demo_totp_key``), printed by ``load_demo``, and
``manage.py demo_code <username>`` prints the current code.
"""

from __future__ import annotations

import hashlib
import logging
import random
from base64 import b32encode
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from demo.casework import build_demo_casework
from demo.catalogue import FIRST_NAMES, LAST_NAMES
from demo.places import AREAS
from directory.models import OrganisationPage, Postcode
from directory.selectors import public_activities
from factories import referrals as factories
from referrals import services
from referrals.alerts import run_alerts
from referrals.choices import (
    AlertKind,
    Channel,
    ConsentMethod,
    ConsentPurpose,
    ContactRoute,
    DeliveryStatus,
    NotificationKind,
    Outcome,
    Priority,
    ProviderDeclineReason,
    ReferralStatus,
    Source,
    Tier,
)
from referrals.models import (
    ActionLink,
    Alert,
    Consent,
    Notification,
    Referral,
    ReferralEvent,
    Resident,
    SocialPrescribingService,
    StaffMembership,
)
from referrals.notifications.messages import render_message
from referrals.roles import Actor, actor_for_user
from referrals.tasks import send_notification
from referrals.workflow import TRANSITIONS

S = ReferralStatus
SEED = "signpost-demo-2026:referrals"

# Demo users who see residents' data, and so sign in with a second factor.
# Everyone who signs in gives a code, so every demo user has a demo authenticator.
DEMO_TWO_FACTOR_USERS = ("moderator", "editor", "linkworker", "triage", "commissioner", "admin")
DEMO_DEVICE_NAME = "Demo authenticator"

SELF_REFERRAL_FORM = Actor(label="Self-referral form")


class DemoReferralsError(Exception):
    """The demo referrals cannot be built (for example, an area has no activities)."""


# Two-factor sign-in for the demo ------------------------------------------------------------


def demo_totp_key(username: str) -> str:
    """The fixed TOTP key (40 hex digits) of a demo user's authenticator: the same on every machine.

    Demo only: anyone who reads this code can work out the key, which is the point.
    """
    return hashlib.sha1(f"signpost-demo-totp:{username}".encode()).hexdigest()


def demo_totp_secret(username: str) -> str:
    """The key as an authenticator app takes it (base32), in groups of four."""
    secret = b32encode(bytes.fromhex(demo_totp_key(username))).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def ensure_demo_devices(usernames=DEMO_TWO_FACTOR_USERS) -> list[str]:
    """Give each demo user in ``usernames`` a confirmed TOTP device with their fixed key; returns who has one."""
    done = []
    for user in get_user_model().objects.filter(username__in=usernames).order_by("username"):
        TOTPDevice.objects.get_or_create(
            user=user, name=DEMO_DEVICE_NAME, defaults={"key": demo_totp_key(user.username), "confirmed": True}
        )
        done.append(user.username)
    return [name for name in usernames if name in done]


# The services and their staff ---------------------------------------------------------------


@dataclass(frozen=True)
class StaffSpec:
    username: str
    first_name: str
    last_name: str
    role: str  # "link_worker" or "triage"
    languages: str = ""


@dataclass(frozen=True)
class ServiceSpec:
    area: str  # a demo.places area key
    name: str
    prefixes: str
    email: str
    phone: str
    staff: tuple[StaffSpec, ...]
    gp_practices: tuple[str, ...]


SERVICES = (
    ServiceSpec(
        "dorset", "Dorset and Poole Social Prescribing", "BH, DT", "social.prescribing@dorset-spa.example",
        "01632 960 100",
        (
            # The demo logins (demo.users) join this service.
            StaffSpec("linkworker", "Priya", "Sharma", "link_worker", "Hindi, Punjabi"),
            StaffSpec("triage", "Tom", "Walsh", "triage"),
            StaffSpec("dorset.ayo", "Ayo", "Bello", "link_worker", "Yoruba"),
            StaffSpec("dorset.kasia", "Kasia", "Nowak", "link_worker", "Polish"),
        ),
        ("Harbour Surgery, Poole", "Dorchester Health Centre", "Parkstone Medical Practice"),
    ),
    ServiceSpec(
        "halton", "Halton Social Prescribing", "WA7, WA8", "social.prescribing@halton-spa.example", "0151 496 0100",
        (
            StaffSpec("halton.jen", "Jen", "Doyle", "link_worker"),
            StaffSpec("halton.marcus", "Marcus", "Reid", "link_worker"),
            StaffSpec("halton.triage", "Lorraine", "Byrne", "triage"),
        ),
        ("Castlefields Health Centre", "Widnes Medical Practice", "Murdishaw Surgery"),
    ),
    ServiceSpec(
        "leeds", "Leeds South and East Social Prescribing", "LS", "social.prescribing@leeds-spa.example",
        "0113 496 0100",
        (
            StaffSpec("leeds.amina", "Amina", "Hussain", "link_worker", "Urdu, Punjabi"),
            StaffSpec("leeds.craig", "Craig", "Firth", "link_worker"),
            StaffSpec("leeds.triage", "Bev", "Holmes", "triage"),
        ),
        ("Beeston Village Surgery", "Harehills Medical Centre", "Middleton Park Surgery"),
    ),
)


# The referrals ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferralSpec:
    service: str  # a ServiceSpec area
    status: str
    age_hours: float  # how long ago it was received
    route: str = ContactRoute.EMAIL  # the resident's preferred contact route
    source: str = Source.PRIMARY_CARE
    link_worker: str = ""  # username; blank for a referral not yet triaged
    # Whose activity: "editor" (the demo editor's organisation), "other" (anyone else in the area).
    provider: str = "other"
    session_in_days: float | None = None  # the first session, from now (negative: in the past)
    alerts: tuple[str, ...] = ()  # alerts the tracking job would have raised by now
    contacted_late: bool = False  # contacted after the 48 hours: its alert raised, then cleared
    priority: str = Priority.ROUTINE
    outcome: str = Outcome.ENGAGED
    language: str = "English"
    interpreter: bool = False
    accessibility: str = ""
    consent_feedback: bool = True


def _r(service, status, days, **options) -> ReferralSpec:
    return ReferralSpec(service, status, days * 24, **options)


LW, AYO = "linkworker", "dorset.ayo"
REFERRALS = (
    # Dorset and Poole: the demo link worker's caseload holds every state; triage's queue the new ones.
    _r("dorset", S.RECEIVED, 0.1, route=ContactRoute.TEXT, source=Source.SELF),
    _r("dorset", S.RECEIVED, 0.05, source=Source.OTHER_PROFESSIONAL, priority=Priority.URGENT),
    _r("dorset", S.RECEIVED, 7, route=ContactRoute.PHONE, alerts=(AlertKind.NOT_CONTACTED,)),
    _r("dorset", S.TRIAGED, 0.2, link_worker=LW),
    _r("dorset", S.TRIAGED, 6, route=ContactRoute.TEXT, source=Source.SELF, link_worker=LW,
       alerts=(AlertKind.NOT_CONTACTED,)),
    _r("dorset", S.CONTACTED, 2, route=ContactRoute.LETTER, link_worker=LW, accessibility="Uses a wheelchair."),
    _r("dorset", S.CONTACTED, 6, route=ContactRoute.PHONE, source=Source.OTHER_PROFESSIONAL, link_worker=LW,
       contacted_late=True),
    _r("dorset", S.ACTIVITY_CHOSEN, 3, source=Source.SELF, link_worker=LW),
    _r("dorset", S.SENT_TO_PROVIDER, 2, route=ContactRoute.TEXT, link_worker=LW),
    _r("dorset", S.SENT_TO_PROVIDER, 10, link_worker=LW, alerts=(AlertKind.NO_PROVIDER_RESPONSE,)),
    _r("dorset", S.ACCEPTED, 4, route=ContactRoute.PHONE, link_worker=LW),
    _r("dorset", S.DECLINED_BY_PROVIDER, 4, link_worker=LW),
    _r("dorset", S.FIRST_SESSION_BOOKED, 4, route=ContactRoute.PHONE, link_worker=LW, session_in_days=5),
    _r("dorset", S.RESIDENT_NOTIFIED, 4, link_worker=LW, session_in_days=6),
    _r("dorset", S.RESIDENT_NOTIFIED, 10, route=ContactRoute.PHONE, link_worker=LW, session_in_days=-2,
       alerts=(AlertKind.ATTENDANCE_NOT_RECORDED,)),
    _r("dorset", S.ATTENDED, 14, route=ContactRoute.TEXT, link_worker=LW, session_in_days=-5,
       language="Polish", interpreter=True),
    # Fourteen weeks in, still going to the group, no review yet: past the 12 weeks Dorset expects,
    # and a plan goal past its review date (demo.casework; the tracking job raises both alerts).
    _r("dorset", S.ATTENDED, 98, link_worker=LW, session_in_days=-85),
    _r("dorset", S.DID_NOT_ATTEND, 12, link_worker=LW, session_in_days=-3),
    _r("dorset", S.CANCELLED, 10, route=ContactRoute.PHONE, link_worker=LW, session_in_days=-1),
    _r("dorset", S.DECLINED_BY_PERSON, 7, source=Source.SELF, link_worker=LW),
    _r("dorset", S.CLOSED, 30, route=ContactRoute.LETTER, link_worker=LW, session_in_days=-20,
       accessibility="Hard of hearing: uses a hearing loop."),
    _r("dorset", S.CLOSED, 9, route=ContactRoute.PHONE, link_worker=LW, outcome=Outcome.NEEDS_MET,
       consent_feedback=False),
    # Another link worker's cases, which the demo link worker does not see.
    _r("dorset", S.CONTACTED, 2, link_worker=AYO),
    _r("dorset", S.ATTENDED, 16, route=ContactRoute.TEXT, link_worker=AYO, session_in_days=-7),
    # Halton: sent to the demo editor's organisation, so the provider inbox has work in every state.
    _r("halton", S.RECEIVED, 0.15, route=ContactRoute.TEXT, source=Source.SELF),
    _r("halton", S.TRIAGED, 0.3, link_worker="halton.jen"),
    _r("halton", S.SENT_TO_PROVIDER, 2, link_worker="halton.jen", provider="editor"),
    _r("halton", S.SENT_TO_PROVIDER, 11, route=ContactRoute.PHONE, link_worker="halton.marcus", provider="editor",
       alerts=(AlertKind.NO_PROVIDER_RESPONSE,)),
    _r("halton", S.SENT_TO_PROVIDER, 2, link_worker="halton.marcus", provider="other"),
    _r("halton", S.ACCEPTED, 4, route=ContactRoute.TEXT, link_worker="halton.jen", provider="editor"),
    _r("halton", S.DECLINED_BY_PROVIDER, 5, link_worker="halton.marcus", provider="editor"),
    _r("halton", S.FIRST_SESSION_BOOKED, 4, route=ContactRoute.PHONE, link_worker="halton.jen", provider="editor",
       session_in_days=3, accessibility="Needs step-free access."),
    _r("halton", S.RESIDENT_NOTIFIED, 5, route=ContactRoute.TEXT, link_worker="halton.marcus", provider="editor",
       session_in_days=4),
    _r("halton", S.RESIDENT_NOTIFIED, 11, route=ContactRoute.LETTER, link_worker="halton.jen", provider="editor",
       session_in_days=-2, alerts=(AlertKind.ATTENDANCE_NOT_RECORDED,)),
    _r("halton", S.ATTENDED, 15, link_worker="halton.jen", provider="editor", session_in_days=-6),
    _r("halton", S.DID_NOT_ATTEND, 12, route=ContactRoute.PHONE, link_worker="halton.marcus", provider="editor",
       session_in_days=-3),
    _r("halton", S.CANCELLED, 10, link_worker="halton.jen", provider="editor", session_in_days=-1),
    _r("halton", S.CLOSED, 35, link_worker="halton.marcus", provider="editor", session_in_days=-25),
    # Leeds: a person who needs an interpreter, allocated to a link worker who speaks their language.
    _r("leeds", S.RECEIVED, 0.2, route=ContactRoute.PHONE, source=Source.SELF, language="Urdu", interpreter=True),
    _r("leeds", S.TRIAGED, 0.5, route=ContactRoute.PHONE, link_worker="leeds.amina", language="Urdu",
       interpreter=True),
    _r("leeds", S.CONTACTED, 2, source=Source.OTHER_PROFESSIONAL, link_worker="leeds.craig"),
    _r("leeds", S.SENT_TO_PROVIDER, 1.5, route=ContactRoute.TEXT, link_worker="leeds.craig"),
    _r("leeds", S.ATTENDED, 13, link_worker="leeds.amina", session_in_days=-4, language="Urdu"),
    _r("leeds", S.DECLINED_BY_PERSON, 4, route=ContactRoute.PHONE, link_worker="leeds.craig"),
    _r("leeds", S.CLOSED, 21, link_worker="leeds.craig", session_in_days=-12),
)

WHAT_MATTERS = (
    "Getting out of the house and meeting people again.",
    "Feeling less lonely since my husband died.",
    "Getting fitter so I can play with my grandchildren.",
    "Having a break from caring for my mum.",
    "Sorting out my debts so I can sleep at night.",
    "Doing something creative and having a reason to get up.",
    "Learning to use a computer to keep in touch with family.",
    "Finding people who understand what living with pain is like.",
)
REFERRERS = {
    Source.PRIMARY_CARE: ("Dr Anita Rao", "GP"),
    Source.OTHER_PROFESSIONAL: ("Kim Lewis", "Housing support officer"),
}
STREETS = ("High Street", "Church Road", "Station Road", "Park Lane", "Victoria Road", "Mill Lane", "Green Lane")


@dataclass
class DemoReferrals:
    built: bool
    referrals: int
    by_status: dict[str, int] = field(default_factory=dict)
    open_alerts: int = 0
    two_factor_users: list[str] = field(default_factory=list)


def demo_service_names() -> list[str]:
    return [spec.name for spec in SERVICES]


def ensure_demo_referrals(*, plan, editor) -> DemoReferrals:
    """Build the demo services, staff and referrals unless they are there; give demo staff their second factor."""
    existing = Referral.objects.filter(service__name__in=demo_service_names())
    built = False
    if not existing.exists():
        _build(plan=plan, editor=editor)
        built = True
    two_factor = ensure_demo_devices()
    _commissioner_joins_first_service()
    by_status = dict(existing.order_by().values_list("status").annotate(n=Count("pk")))
    return DemoReferrals(
        built=built,
        referrals=sum(by_status.values()),
        by_status=by_status,
        open_alerts=Alert.objects.open().filter(referral__in=existing).count(),
        two_factor_users=two_factor,
    )


def _commissioner_joins_first_service() -> None:
    """The demo commissioner commissions the Dorset and Poole service, so the reports have figures."""
    commissioner = get_user_model().objects.filter(username="commissioner").first()
    service = SocialPrescribingService.objects.filter(name=SERVICES[0].name).first()
    if commissioner is not None and service is not None:
        StaffMembership.objects.get_or_create(user=commissioner, defaults={"service": service})


def _build(*, plan, editor) -> None:
    # A line per message sent would bury load_demo's summary; failures (warnings) still show.
    delivery_log = logging.getLogger("referrals.notifications.delivery")
    level = delivery_log.level
    delivery_log.setLevel(logging.WARNING)
    try:
        with transaction.atomic():
            _build_all(plan=plan, editor=editor)
    finally:
        delivery_log.setLevel(level)


def _build_all(*, plan, editor) -> None:
    rng = random.Random(SEED)
    now = timezone.now()
    services_by_area = {}
    for spec in SERVICES:
        service = factories.make_service(spec.name, prefixes=spec.prefixes, email=spec.email, phone=spec.phone)
        services_by_area[spec.area] = service
        for person in spec.staff:
            make = factories.make_link_worker if person.role == "link_worker" else factories.make_triage
            # Staff other than the demo logins cannot sign in (an unusable password, and no hashing).
            make(service=service, username=person.username, first_name=person.first_name,
                 last_name=person.last_name, password=make_password(None), languages=person.languages)
    # Fetched afresh: each user's Actor (cached on the object) must see their new membership.
    staff = {u.username: u for u in get_user_model().objects.filter(username__in=_staff_usernames())}
    activities = _activities_by_area(plan, editor_organisation_key=plan.editor_organisation)
    postcodes = _postcodes_by_area()
    editor_actor = actor_for_user(editor)
    for number, spec in enumerate(REFERRALS, start=1):
        service_spec = next(s for s in SERVICES if s.area == spec.service)
        triage_user = next(staff[p.username] for p in service_spec.staff if p.role == "triage")
        # A small demo (the browser tests' scale) may lack one side in an area: borrow the other,
        # then any area's, so every referral still gets an activity.
        other_side = "other" if spec.provider == "editor" else "editor"
        choices = (
            activities[(spec.service, spec.provider)]
            or activities[(spec.service, other_side)]
            or [activity for found in activities.values() for activity in found]
        )
        if not choices:
            raise DemoReferralsError(f"No activities to refer to in {spec.service} ({spec.provider}).")
        activity = rng.choice(choices)
        resident = _resident(rng, spec, service=services_by_area[spec.service], service_spec=service_spec,
                             postcodes=postcodes[spec.service], number=number, actor=actor_for_user(triage_user))
        referral = _walk(
            spec, rng=rng, service=services_by_area[spec.service], resident=resident, activity=activity,
            triage=actor_for_user(triage_user), worker=staff.get(spec.link_worker),
            provider=editor_actor if spec.provider == "editor" else factories.provider_actor(activity.organisation),
            gp_practice=resident.gp_practice, now=now,
        )
        _move_into_the_past(referral, spec, now=now)
    build_demo_casework(services_by_area, now=now, concern_for=LW)
    # The tracking job, as the worker would run it next: it agrees with the alerts above (the
    # ages leave room for weekends and bank holidays), so it raises nothing new on the demo.

    run_alerts(now=now)


def _staff_usernames() -> list[str]:
    return [person.username for spec in SERVICES for person in spec.staff]


def _activities_by_area(plan, *, editor_organisation_key: str) -> dict[tuple[str, str], list]:
    """Public activities to refer to, by (area, "editor" or "other"), in a fixed order."""
    pages = {o.oruk_id: o for o in OrganisationPage.objects.filter(oruk_id__in=[o.oruk_id for o in plan.organisations])}
    found: dict[tuple[str, str], list] = {(spec.area, side): [] for spec in SERVICES for side in ("editor", "other")}
    for organisation in plan.organisations:
        page = pages.get(organisation.oruk_id)
        if page is None:
            continue
        side = "editor" if organisation.key == editor_organisation_key else "other"
        found[(organisation.area, side)].extend(public_activities().child_of(page).order_by("path"))
    return found


def _postcodes_by_area() -> dict[str, list[str]]:
    found = {}
    for area in AREAS:
        districts = sorted({d for nb in area.neighbourhoods for d in nb.districts})
        postcodes = []
        for district in districts[:4]:
            postcodes += Postcode.objects.filter(postcode__startswith=f"{district} ").order_by("postcode").values_list(
                "postcode", flat=True
            )[:25]
        found[area.key] = postcodes or [f"{districts[0]} 1AA"]
    return found


def _nhs_number(rng: random.Random) -> str:
    """A valid NHS number from the 999 range, which the NHS keeps for testing."""
    while True:
        digits = [9, 9, 9] + [rng.randrange(10) for _ in range(6)]
        check = 11 - sum(d * w for d, w in zip(digits, range(10, 1, -1))) % 11
        check = 0 if check == 11 else check
        if check != 10:
            return "".join(map(str, digits + [check]))


def _resident(rng, spec: ReferralSpec, *, service, service_spec, postcodes, number: int, actor) -> Resident:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    today = timezone.localdate()
    born = today.replace(year=today.year - rng.randint(19, 88)) - timedelta(days=rng.randint(0, 364))
    return services.resident_create(
        service=service,
        actor=SELF_REFERRAL_FORM if spec.source == Source.SELF else actor,
        first_name=first,
        last_name=last,
        date_of_birth=born,
        nhs_number=_nhs_number(rng) if spec.source != Source.SELF or rng.random() < 0.5 else "",
        address=f"{rng.randint(1, 120)} {rng.choice(STREETS)}",
        postcode=rng.choice(postcodes),
        # Ofcom's range for drama: no demo number rings a real phone.
        phone=f"07700 900{number:03d}",
        email=f"{first.lower()}.{last.lower()}{number}@example.net",
        preferred_contact=spec.route,
        language=spec.language,
        interpreter_needed=spec.interpreter,
        accessibility_needs=spec.accessibility,
        gp_practice=rng.choice(service_spec.gp_practices),
    )


def _walk(spec: ReferralSpec, *, rng, service, resident, activity, triage: Actor, worker, provider: Actor,
          gp_practice: str, now: datetime) -> Referral:
    """Take a new referral along the pathway to ``spec.status``, as the people who own each step."""
    target = spec.status

    def step(service_function, **arguments) -> Referral:
        return _sent(service_function(**arguments))

    consents = {ConsentPurpose.REFERRAL: True, ConsentPurpose.SHARE_WITH_PROVIDER: True,
                ConsentPurpose.FEEDBACK_TO_REFERRER: spec.consent_feedback}
    needs, what_matters = _needs(rng, activity), rng.choice(WHAT_MATTERS)
    if spec.source == Source.SELF:
        referral = step(services.referral_create, actor=SELF_REFERRAL_FORM, service=service, resident=resident,
                        source=Source.SELF, needs=needs, what_matters=what_matters, consents=consents,
                        consent_method=ConsentMethod.ONLINE_FORM)
    else:
        name, role = REFERRERS[spec.source]
        organisation = gp_practice if spec.source == Source.PRIMARY_CARE else "Council housing support team"
        referral = step(services.referral_create, actor=triage, service=service, resident=resident,
                        source=spec.source, needs=needs, what_matters=what_matters, priority=spec.priority,
                        consents=consents, notes="Keyed in from the referral form the practice emailed.",
                        referrer={"name": name, "role": role, "organisation": organisation,
                                  "email": "referrals@practice.example.nhs.uk"})
    if target == S.RECEIVED:
        return referral
    if worker is None:
        raise DemoReferralsError(f"A {target} referral needs a link worker.")
    lw = actor_for_user(worker)
    tier = Tier.SIGNPOSTING if spec.outcome == Outcome.NEEDS_MET else Tier.ONE_TO_ONE
    note = "Allocated to a link worker who speaks the person's language." if spec.interpreter else ""
    referral = step(services.referral_triage, referral=referral, actor=triage, tier=tier, link_worker=worker,
                    note=note)
    if target == S.TRIAGED:
        return referral
    if target == S.DECLINED_BY_PERSON:
        return step(services.referral_person_declines, referral=referral, actor=lw,
                    note="Said on the phone that now is not the right time.")
    if spec.contacted_late:
        services.raise_alert(referral, AlertKind.NOT_CONTACTED)
    referral = step(services.referral_record_contact, referral=referral, actor=lw,
                    note="Phoned and had a 'what matters to you' conversation.")
    if target == S.CONTACTED:
        return referral
    if target == S.CLOSED and spec.session_in_days is None:
        return step(services.referral_close, referral=referral, actor=lw, outcome=spec.outcome,
                    note="Gave information about benefits advice; no activity needed.")
    referral = step(services.referral_choose_activity, referral=referral, actor=lw, activity=activity,
                    note="Chose this together after looking at a few.")
    if target == S.ACTIVITY_CHOSEN:
        return referral
    referral = step(services.referral_send_to_provider, referral=referral, actor=lw)
    if target == S.SENT_TO_PROVIDER:
        return referral
    if target == S.DECLINED_BY_PROVIDER:
        return step(services.referral_provider_decline, referral=referral, actor=provider,
                    reason=ProviderDeclineReason.FULL, note="The group is full until the new year.")
    referral = step(services.referral_provider_accept, referral=referral, actor=provider)
    if target == S.ACCEPTED:
        return referral
    # The service only books sessions in the future; past ones are moved back afterwards.
    days = spec.session_in_days if spec.session_in_days and spec.session_in_days > 0 else 1
    starts_at = (now + timedelta(days=days)).replace(hour=10, minute=30, second=0, microsecond=0)
    if starts_at <= now:
        starts_at += timedelta(days=1)
    if target == S.FIRST_SESSION_BOOKED and resident.preferred_contact in (ContactRoute.EMAIL, ContactRoute.TEXT):
        # The message would tell the person straight away, and move the referral on to "resident notified".
        raise DemoReferralsError("A demo referral left at 'first session booked' needs a phone or letter route.")
    referral = step(services.referral_book_first_session, referral=referral, actor=provider, starts_at=starts_at,
                    note="Ask for Sue at the door; she will introduce you to the group.")
    if target == S.FIRST_SESSION_BOOKED:
        return referral
    referral = _tell_resident(referral, worker=lw)
    if target == S.RESIDENT_NOTIFIED:
        return referral
    if target != S.CANCELLED:
        # Attendance is recorded once the session has started; _move_into_the_past dates it properly.
        referral = factories.first_session_held(referral)
    if target == S.DID_NOT_ATTEND:
        return step(services.referral_record_did_not_attend, referral=referral, actor=provider,
                    note="Did not come and did not ring.")
    if target == S.CANCELLED:
        return step(services.referral_cancel_first_session, referral=referral, actor=provider,
                    note="The hall was closed for repairs that week.")
    referral = step(services.referral_record_attendance, referral=referral, actor=provider,
                    note="Joined in and enjoyed it.")
    if target == S.ATTENDED:
        return referral
    if target == S.CLOSED:
        return step(services.referral_close, referral=referral, actor=lw, outcome=spec.outcome,
                    note="Going every week now and has made friends there.")
    raise DemoReferralsError(f"The demo cannot reach {target}.")


def _sent(referral: Referral) -> Referral:
    """Send the emails and texts a step queued straight away, as the task queued on commit would."""
    waiting = referral.notifications.filter(status=DeliveryStatus.PENDING, channel__in=[Channel.EMAIL, Channel.TEXT])
    for pk in waiting.order_by("created_at").values_list("pk", flat=True):
        send_notification(pk)
    referral.refresh_from_db()
    return referral


def _tell_resident(referral: Referral, *, worker: Actor) -> Referral:
    """The person hears of their first session as they asked: the message sent on booking, or a call or letter."""
    calls = referral.notifications.filter(
        kind=NotificationKind.FIRST_SESSION_FOR_RESIDENT, channel__in=[Channel.PHONE_TASK, Channel.LETTER_TASK]
    )
    for task in calls:
        services.notification_complete_task(notification=task, actor=worker)
    referral.refresh_from_db()
    if referral.status == S.FIRST_SESSION_BOOKED:
        # The message could not be sent just now (no mail server, say): the link worker rang instead.
        referral = services.referral_mark_resident_notified(referral=referral, actor=worker,
                                                            note="Rang them to tell them.")
    return referral


def _needs(rng, activity) -> list:
    needs = list(activity.needs.order_by("pk")) if activity is not None else []
    return rng.sample(needs, k=min(2, len(needs)))


# Moving a referral's story into the past ------------------------------------------------------

# Hours after receipt at which each step happened, for a referral whose story is long enough.
_STEP_HOURS = {
    "create": 0,
    "triage": 3,
    "person_declines": 30,
    "record_contact": 26,
    "choose_activity": 27,
    "send_to_provider": 28,
    "provider_accept": 50,
    "provider_decline": 50,
    "book_first_session": 51,
    "mark_resident_notified": 52,
}
_NOTIFICATION_STEP = {
    NotificationKind.SELF_REFERRAL_RECEIVED: "create",
    NotificationKind.NEW_REFERRAL_FOR_PROVIDER: "send_to_provider",
    NotificationKind.PROVIDER_ACCEPTED: "provider_accept",
    NotificationKind.PROVIDER_DECLINED: "provider_decline",
    NotificationKind.FIRST_SESSION_FOR_RESIDENT: "book_first_session",
    NotificationKind.ATTENDANCE_RECORDED: "attendance",
    NotificationKind.FEEDBACK_TO_REFERRER: "close",
}


def _timeline(
    events: list[ReferralEvent], spec: ReferralSpec, *, now: datetime
) -> tuple[dict[int, datetime], datetime | None]:
    """When each event happened in the story (by event id), and the first session's time if it moved."""
    received = now - timedelta(hours=spec.age_hours)
    session = None
    if spec.session_in_days is not None and spec.session_in_days < 0:
        session = (now + timedelta(days=spec.session_in_days)).replace(hour=10, minute=30, second=0, microsecond=0)
    # A late first contact pushes every later step back too.
    late = timedelta(hours=34 if spec.contacted_late else 0)

    def planned(action: str) -> datetime | None:
        if action in ("create", "triage"):
            return received + timedelta(hours=_STEP_HOURS[action])
        if action in _STEP_HOURS:
            return received + timedelta(hours=_STEP_HOURS[action]) + late
        if session is not None and action in ("record_attendance", "record_did_not_attend"):
            return session + timedelta(hours=3)
        if session is not None and action == "cancel_first_session":
            return session - timedelta(hours=20)
        return None  # a day after the step before (closing), or just after it

    plan = [(event, planned(event.action)) for event in events]
    # Squeeze a short story into the time it has: before the first session, or before now.
    steps = [moment for event, moment in plan if event.action in _STEP_HOURS]
    limit = session - timedelta(days=1) if session is not None else now - timedelta(minutes=5)
    squeeze = 1.0
    if steps and max(steps) > limit:
        squeeze = max(0.0, (limit - received) / (max(steps) - received))
    times, previous = {}, None
    for event, moment in plan:
        if event.action in _STEP_HOURS:
            moment = received + (moment - received) * squeeze
        elif moment is None:
            moment = (previous or received) + (timedelta(days=1) if event.action == "close" else timedelta(minutes=1))
        if previous is not None and moment <= previous:
            moment = previous + timedelta(minutes=1)
        times[event.pk] = previous = min(moment, now - timedelta(minutes=1))
    return times, session


def _move_into_the_past(referral: Referral, spec: ReferralSpec, *, now: datetime) -> None:
    events = list(referral.events.order_by("at", "pk"))
    times, session = _timeline(events, spec, now=now)
    by_action: dict[str, datetime] = {}
    for event in events:
        ReferralEvent.objects.filter(pk=event.pk).update(at=times[event.pk])
        key = "attendance" if event.action in ("record_attendance", "record_did_not_attend") else event.action
        by_action[key] = times[event.pk]
    received = by_action["create"]

    stamps = {"received_at": received}
    for event in events:
        transition = TRANSITIONS.get(event.action)
        if transition is not None and transition.stamp:
            stamps[transition.stamp] = times[event.pk]
    if session is not None:
        stamps["first_session_at"] = session
    Referral.objects.filter(pk=referral.pk).update(**stamps)
    Resident.objects.filter(pk=referral.resident_id).update(created_at=received)
    Consent.objects.filter(referral=referral).update(recorded_at=received)

    for kind, step in _NOTIFICATION_STEP.items():
        if step in by_action:
            moment = by_action[step]
            messages = Notification.objects.filter(referral=referral, kind=kind)
            messages.update(created_at=moment, next_attempt_at=moment)
            # Sent within the minute; a phone call or letter when the link worker marked it done.
            messages.filter(status=DeliveryStatus.SENT).update(sent_at=moment + timedelta(seconds=20))
            done = by_action.get("mark_resident_notified", moment)
            messages.filter(status=DeliveryStatus.DONE).update(sent_at=done)
    if "send_to_provider" in by_action:
        moved = by_action["send_to_provider"] - next(e.at for e in events if e.action == "send_to_provider")
        ActionLink.objects.filter(referral=referral).update(created_at=F("created_at") + moved,
                                                            expires_at=F("expires_at") + moved)

    # The alerts the tracking job would have raised by now, and when.
    for kind in spec.alerts:
        services.raise_alert(referral, kind)
    raised = {
        AlertKind.NOT_CONTACTED: received + timedelta(hours=48),
        AlertKind.NO_PROVIDER_RESPONSE: by_action.get("send_to_provider", received) + timedelta(days=3),
        AlertKind.ATTENDANCE_NOT_RECORDED: (session or now) + timedelta(days=1),
        AlertKind.DID_NOT_ATTEND: by_action.get("attendance", now),
    }
    for alert in Alert.objects.filter(referral=referral):
        moment = min(raised[alert.kind], now - timedelta(minutes=2))
        cleared = by_action.get(alert.cleared_by_action) if alert.cleared_at else None
        Alert.objects.filter(pk=alert.pk).update(raised_at=moment, cleared_at=cleared or alert.cleared_at)

    if session is not None:
        # The first-session messages and the link worker's tasks give the moved date.
        _rewrite_first_session_messages(referral)


def _rewrite_first_session_messages(referral: Referral) -> None:
    referral = Referral.objects.select_related("resident", "activity", "provider", "first_session").get(pk=referral.pk)
    context = {
        "referral": referral,
        "resident": referral.resident,
        "activity": referral.activity,
        "provider": referral.provider,
        "base_url": settings.WAGTAILADMIN_BASE_URL.rstrip("/"),
        "kind": NotificationKind.FIRST_SESSION_FOR_RESIDENT,
    }
    # Sent ones too: in the story they went out with the moved date (the copies in the sent-mail
    # folder, written when the demo was built, keep the date the session was first booked for).
    for message in referral.notifications.filter(kind=NotificationKind.FIRST_SESSION_FOR_RESIDENT):
        subject, body = render_message(message.kind, message.channel, context)
        Notification.objects.filter(pk=message.pk).update(subject=subject, body=body)
