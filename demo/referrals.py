"""Demo referrals: three social prescribing services, their staff, and referrals at every stage.

Built by ``manage.py load_demo`` after the demo directory, through the same factories and
service functions the tests use (so every event, alert, consent and notification is as in
life). Deterministic (a fixed seed) and idempotent: once the demo services hold referrals, a
second run builds nothing more and only makes sure the demo staff have their second factor.

The services stamp "now" on each step; each referral's story is then moved into the past
(its time stamps, events, notifications, consents and alerts, with queryset updates) so
that the ages make sense: a referral received six days ago and never contacted carries the
"not contacted" alert, a first session two days ago with no attendance recorded carries its
alert, and so on.

Every stage of an episode is there: people waiting for triage or first contact; people in
support with several connections at once (two activities with different providers, one
still waiting for the provider's answer, and a signpost with what came of it); people
reviewed and discharged with a final discharge summary, for several reasons (goals met,
could not be contacted after three attempts, the person declined); and a person discharged
and later referred again (a new referral for the same resident). Discharge happens last,
once the story is in the past, so the summary the link worker checked is built from the
record as it then stood.

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
from primarycare.loading import load_sample_practices
from primarycare.models import GpPractice, PrimaryCareNetwork
from referrals import contacts, services, triage_outcomes
from referrals.alerts import run_alerts
from referrals.choices import (
    AlertKind,
    Channel,
    ConnectionStatus,
    ConsentMethod,
    ConsentPurpose,
    ContactMethod,
    ContactRoute,
    ContactStatus,
    DeliveryStatus,
    DischargeReason,
    NotEligibleReason,
    NotificationKind,
    Priority,
    ProviderDeclineReason,
    ReferralStatus,
    Source,
    Tier,
)
from referrals.models import (
    ActionLink,
    Alert,
    Connection,
    Consent,
    DischargeSummary,
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
from referrals.workflow import (
    CONNECTION_ENDED,
    CONNECTION_TRANSITIONS,
    FIRST_SESSION_PENDING,
    TRANSITIONS,
)

S = ReferralStatus
C = ConnectionStatus
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
    gp_practices: tuple[str, ...]  # ODS codes in primarycare's sample files
    minimum_age: int | None = 18
    acknowledge_to_gp: bool = False


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
        # Harbour Surgery, Dorchester Health Centre (no NHSmail address: letters), Parkstone Medical Practice.
        ("J99001", "J99003", "J99002"),
        acknowledge_to_gp=True,
    ),
    ServiceSpec(
        "halton", "Halton Social Prescribing", "WA7, WA8", "social.prescribing@halton-spa.example", "0151 496 0100",
        (
            StaffSpec("halton.jen", "Jen", "Doyle", "link_worker"),
            StaffSpec("halton.marcus", "Marcus", "Reid", "link_worker"),
            StaffSpec("halton.triage", "Lorraine", "Byrne", "triage"),
        ),
        # Castlefields Health Centre, Widnes Medical Practice, Murdishaw Surgery.
        ("N99001", "N99005", "N99002"),
        minimum_age=16,
    ),
    ServiceSpec(
        "leeds", "Leeds South and East Social Prescribing", "LS", "social.prescribing@leeds-spa.example",
        "0113 496 0100",
        (
            StaffSpec("leeds.amina", "Amina", "Hussain", "link_worker", "Urdu, Punjabi"),
            StaffSpec("leeds.craig", "Craig", "Firth", "link_worker"),
            StaffSpec("leeds.triage", "Bev", "Holmes", "triage"),
        ),
        # Beeston Village Surgery, Harehills Medical Centre, Middleton Park Surgery.
        ("B99001", "B99002", "B99003"),
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
    # ``status`` is the referral's own, or (like ``factories.make_referral``) a connection's: then the person
    # is in support and their first connection, to an activity, is in that status.
    connection: str = ""  # for a discharged referral: where its first connection ended ("" for none)
    second: str = ""  # a second activity, with another provider, walked to this connection status
    signpost: str = ""  # signposted to a service outside the directory: "signposted" or its outcome
    discharge: str = ""  # a DischargeReason, with status=DISCHARGED
    again_of: int | None = None  # a re-referral: the number (from 1) of the earlier referral whose resident this is
    # Keyed in again as a new record (no NHS number) for the person of that earlier referral: triage sees
    # the possible match (same name, date of birth and postcode) and can join the records.
    looks_like: int | None = None
    age: int | None = None  # the person's age in years (otherwise 19 to 88)
    redirect_to: str = ""  # with status REDIRECTED: a ServiceSpec area, or a service outside Signpost by name
    not_eligible: str = ""  # with status NOT_ELIGIBLE: a NotEligibleReason
    no_gp: bool = False
    language: str = "English"
    interpreter: bool = False
    accessibility: str = ""
    consent_feedback: bool = True


def _r(service, status, days, **options) -> ReferralSpec:
    return ReferralSpec(service, status, days * 24, **options)


LW, AYO = "linkworker", "dorset.ayo"
D = DischargeReason
REFERRALS = (
    # Dorset and Poole: the demo link worker's caseload holds every stage; triage's queue the new ones.
    _r("dorset", S.RECEIVED, 0.1, route=ContactRoute.TEXT, source=Source.SELF),
    _r("dorset", S.RECEIVED, 0.05, source=Source.OTHER_PROFESSIONAL, priority=Priority.URGENT),
    _r("dorset", S.RECEIVED, 7, route=ContactRoute.PHONE, alerts=(AlertKind.NOT_CONTACTED,)),
    _r("dorset", S.TRIAGED, 0.2, link_worker=LW),
    _r("dorset", S.TRIAGED, 6, route=ContactRoute.TEXT, source=Source.SELF, link_worker=LW,
       alerts=(AlertKind.NOT_CONTACTED,)),
    _r("dorset", S.CONTACTED, 2, route=ContactRoute.LETTER, link_worker=LW, accessibility="Uses a wheelchair."),
    _r("dorset", S.CONTACTED, 6, route=ContactRoute.PHONE, source=Source.OTHER_PROFESSIONAL, link_worker=LW,
       contacted_late=True),
    _r("dorset", C.ACTIVITY_CHOSEN, 3, source=Source.SELF, link_worker=LW),
    _r("dorset", C.SENT_TO_PROVIDER, 2, route=ContactRoute.TEXT, link_worker=LW),
    _r("dorset", C.SENT_TO_PROVIDER, 10, link_worker=LW, alerts=(AlertKind.NO_PROVIDER_RESPONSE,)),
    # Two activities at once with different providers: one accepted, the other's answer still awaited;
    # and a signpost to Citizens Advice that the person took up.
    _r("dorset", C.ACCEPTED, 4, route=ContactRoute.PHONE, link_worker=LW, second=C.SENT_TO_PROVIDER,
       signpost=C.TOOK_UP),
    _r("dorset", C.DECLINED_BY_PROVIDER, 4, link_worker=LW, second=C.ACCEPTED),
    _r("dorset", C.FIRST_SESSION_BOOKED, 4, route=ContactRoute.PHONE, link_worker=LW, session_in_days=5),
    _r("dorset", C.RESIDENT_NOTIFIED, 4, link_worker=LW, session_in_days=6, signpost=C.SIGNPOSTED),
    _r("dorset", C.RESIDENT_NOTIFIED, 10, route=ContactRoute.PHONE, link_worker=LW, session_in_days=-2,
       alerts=(AlertKind.ATTENDANCE_NOT_RECORDED,)),
    _r("dorset", C.ATTENDED, 14, route=ContactRoute.TEXT, link_worker=LW, session_in_days=-5,
       language="Polish", interpreter=True, second=C.RESIDENT_NOTIFIED, signpost=C.DID_NOT_TAKE_UP),
    # Fourteen weeks in, still going to the group, no review yet: past the 12 weeks Dorset expects,
    # and a plan goal past its review date (demo.casework; the tracking job raises both alerts).
    _r("dorset", C.ATTENDED, 98, link_worker=LW, session_in_days=-85),
    _r("dorset", C.DID_NOT_ATTEND, 12, link_worker=LW, session_in_days=-3),
    _r("dorset", C.CANCELLED, 10, route=ContactRoute.PHONE, link_worker=LW, session_in_days=-1),
    _r("dorset", S.DECLINED_BY_PERSON, 7, source=Source.SELF, link_worker=LW),
    # Reviewed and discharged, each with its final discharge summary.
    _r("dorset", S.DISCHARGED, 45, route=ContactRoute.LETTER, link_worker=LW, session_in_days=-30,
       connection=C.ATTENDED, second=C.DECLINED_BY_PROVIDER, signpost=C.TOOK_UP, discharge=D.GOALS_MET,
       accessibility="Hard of hearing: uses a hearing loop."),
    _r("dorset", S.DISCHARGED, 20, route=ContactRoute.PHONE, link_worker=LW, signpost=C.TOOK_UP,
       discharge=D.GOALS_MET, consent_feedback=False),
    _r("dorset", S.DISCHARGED, 12, route=ContactRoute.PHONE, source=Source.SELF, link_worker=LW,
       discharge=D.NOT_CONTACTABLE),
    _r("dorset", S.DISCHARGED, 16, link_worker=LW, signpost=C.SIGNPOSTED, discharge=D.PERSON_DECLINED),
    # Discharged (goals met) two months ago, and referred again last week: a new referral, the same resident.
    _r("dorset", S.DISCHARGED, 80, route=ContactRoute.TEXT, link_worker=LW, session_in_days=-65,
       connection=C.ATTENDED, discharge=D.GOALS_MET),
    _r("dorset", S.CONTACTED, 5, route=ContactRoute.TEXT, link_worker=LW, again_of=25),
    # Triage's other answers: someone who moved to Widnes, handed over to Halton's service; someone in
    # crisis, sent to the mental health crisis team; a 16-year-old, not eligible (the service is for adults).
    _r("dorset", S.REDIRECTED, 3, source=Source.OTHER_PROFESSIONAL, redirect_to="halton"),
    _r("dorset", S.REDIRECTED, 1, redirect_to="Dorset mental health crisis team (Connection, 0300 123 5440)"),
    _r("dorset", S.NOT_ELIGIBLE, 2, age=16, not_eligible=NotEligibleReason.AGE),
    # A self-referral with no GP, and a second record keyed in for the person of referral 2 (no NHS
    # number given): triage sees it may be the same person.
    _r("dorset", S.RECEIVED, 0.3, route=ContactRoute.TEXT, source=Source.SELF, no_gp=True),
    _r("dorset", S.RECEIVED, 0.02, source=Source.OTHER_PROFESSIONAL, looks_like=2),
    # Another link worker's cases, which the demo link worker does not see.
    _r("dorset", S.CONTACTED, 2, link_worker=AYO),
    _r("dorset", C.ATTENDED, 16, route=ContactRoute.TEXT, link_worker=AYO, session_in_days=-7),
    # Halton: sent to the demo editor's organisation, so the provider inbox has work in every state.
    _r("halton", S.RECEIVED, 0.15, route=ContactRoute.TEXT, source=Source.SELF),
    _r("halton", S.TRIAGED, 0.3, link_worker="halton.jen"),
    _r("halton", C.SENT_TO_PROVIDER, 2, link_worker="halton.jen", provider="editor"),
    _r("halton", C.SENT_TO_PROVIDER, 11, route=ContactRoute.PHONE, link_worker="halton.marcus", provider="editor",
       alerts=(AlertKind.NO_PROVIDER_RESPONSE,)),
    _r("halton", C.SENT_TO_PROVIDER, 2, link_worker="halton.marcus", provider="other"),
    _r("halton", C.ACCEPTED, 4, route=ContactRoute.TEXT, link_worker="halton.jen", provider="editor",
       second=C.ACCEPTED),
    _r("halton", C.DECLINED_BY_PROVIDER, 5, link_worker="halton.marcus", provider="editor"),
    _r("halton", C.FIRST_SESSION_BOOKED, 4, route=ContactRoute.PHONE, link_worker="halton.jen", provider="editor",
       session_in_days=3, accessibility="Needs step-free access."),
    _r("halton", C.RESIDENT_NOTIFIED, 5, route=ContactRoute.TEXT, link_worker="halton.marcus", provider="editor",
       session_in_days=4),
    _r("halton", C.RESIDENT_NOTIFIED, 11, route=ContactRoute.LETTER, link_worker="halton.jen", provider="editor",
       session_in_days=-2, alerts=(AlertKind.ATTENDANCE_NOT_RECORDED,)),
    _r("halton", C.ATTENDED, 15, link_worker="halton.jen", provider="editor", session_in_days=-6),
    _r("halton", C.DID_NOT_ATTEND, 12, route=ContactRoute.PHONE, link_worker="halton.marcus", provider="editor",
       session_in_days=-3),
    _r("halton", C.CANCELLED, 10, link_worker="halton.jen", provider="editor", session_in_days=-1),
    _r("halton", C.WITHDRAWN, 6, link_worker="halton.jen", provider="editor"),
    _r("halton", S.DISCHARGED, 35, link_worker="halton.marcus", provider="editor", session_in_days=-25,
       connection=C.ATTENDED, discharge=D.GOALS_MET),
    # Leeds: a person who needs an interpreter, allocated to a link worker who speaks their language.
    _r("leeds", S.RECEIVED, 0.2, route=ContactRoute.PHONE, source=Source.SELF, language="Urdu", interpreter=True),
    _r("leeds", S.TRIAGED, 0.5, route=ContactRoute.PHONE, link_worker="leeds.amina", language="Urdu",
       interpreter=True),
    _r("leeds", S.CONTACTED, 2, source=Source.OTHER_PROFESSIONAL, link_worker="leeds.craig"),
    _r("leeds", C.SENT_TO_PROVIDER, 1.5, route=ContactRoute.TEXT, link_worker="leeds.craig"),
    _r("leeds", C.ATTENDED, 13, link_worker="leeds.amina", session_in_days=-4, language="Urdu"),
    _r("leeds", S.DECLINED_BY_PERSON, 4, route=ContactRoute.PHONE, link_worker="leeds.craig"),
    _r("leeds", S.DISCHARGED, 28, link_worker="leeds.craig", session_in_days=-12, connection=C.DID_NOT_ATTEND,
       signpost=C.TOOK_UP, discharge=D.REFERRED_ELSEWHERE),
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
    practices = _demo_practices()
    for spec in SERVICES:
        service = factories.make_service(
            spec.name, prefixes=spec.prefixes, email=spec.email, phone=spec.phone,
            eligibility_text=ELIGIBILITY_TEXT, minimum_age=spec.minimum_age, requires_practice_in_area=True,
            exclusions=EXCLUSIONS, acknowledge_to_gp=spec.acknowledge_to_gp,
        )
        services_by_area[spec.area] = service
        networks = _networks_in(spec.prefixes)
        service.pcns.set(networks)
        for index, person in enumerate(spec.staff):
            make = factories.make_link_worker if person.role == "link_worker" else factories.make_triage
            # Staff other than the demo logins cannot sign in (an unusable password, and no hashing).
            member = make(service=service, username=person.username, first_name=person.first_name,
                          last_name=person.last_name, password=make_password(None), languages=person.languages)
            if person.role == "link_worker" and networks:
                # Each link worker is aligned to a primary care network, as the DES asks.
                member.staff_membership.pcns.set([networks[index % len(networks)]])
    # Fetched afresh: each user's Actor (cached on the object) must see their new membership.
    staff = {u.username: u for u in get_user_model().objects.filter(username__in=_staff_usernames())}
    activities = _activities_by_area(plan, editor_organisation_key=plan.editor_organisation)
    postcodes = _postcodes_by_area()
    editor_actor = actor_for_user(editor)
    residents: dict[int, Resident] = {}
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
        # The second activity is another provider's, from anywhere in the area.
        area_pool = activities[(spec.service, "editor")] + activities[(spec.service, "other")]
        others = [a for a in area_pool if a.get_parent().pk != activity.get_parent().pk]
        second = rng.choice(others) if spec.second and others else None
        if spec.again_of is not None:
            resident = residents[spec.again_of]  # referred again: the same person
        else:
            resident = _resident(rng, spec, service=services_by_area[spec.service], service_spec=service_spec,
                                 postcodes=postcodes[spec.service], number=number, actor=actor_for_user(triage_user),
                                 practices=practices, looks_like=residents.get(spec.looks_like))
        residents[number] = resident
        referral = _walk(
            spec, rng=rng, service=services_by_area[spec.service], resident=resident, activity=activity,
            second=second, triage=actor_for_user(triage_user), worker=staff.get(spec.link_worker),
            provider=editor_actor if spec.provider == "editor" else factories.provider_actor(activity.organisation),
            gp_practice=resident.practice.name if resident.practice_id else "", now=now,
            services_by_area=services_by_area,
        )
        _move_into_the_past(referral, spec, now=now)
        if spec.discharge:
            _discharge(referral, spec, worker=staff[spec.link_worker], now=now)
    build_demo_casework(services_by_area, now=now, concern_for=LW)
    # The tracking job, as the worker would run it next: it agrees with the alerts above (the
    # ages leave room for weekends and bank holidays), so it raises nothing new on the demo.

    run_alerts(now=now)


ELIGIBILITY_TEXT = (
    "Adults registered with a GP practice in the primary care networks we work with, who would like "
    "support with the things that affect their health and wellbeing: loneliness, money, housing, "
    "caring, getting active."
)
EXCLUSIONS = "In crisis and needing urgent mental health care\nNeeds a clinical service rather than social support"


def _demo_practices() -> dict[str, GpPractice]:
    """The practices of primarycare's sample NHS files, by ODS code. Administrators enter NHSmail
    addresses (the files carry none): the demo gives every open practice one but Dorchester Health
    Centre (J99003), which gets its summaries as letters to print."""
    load_sample_practices()
    for practice in GpPractice.objects.filter(is_open=True, nhsmail="").exclude(ods_code="J99003"):
        practice.nhsmail = f"{practice.ods_code.lower()}.demo@nhs.net"
        practice.save(update_fields=["nhsmail"])
    return {practice.ods_code: practice for practice in GpPractice.objects.all()}


def _networks_in(prefixes: str) -> list[PrimaryCareNetwork]:
    """The networks whose practices are in the service's postcode areas."""
    areas = tuple(prefix.strip().upper() for prefix in prefixes.split(",") if prefix.strip())
    codes = {
        practice.pcn_id for practice in GpPractice.objects.filter(pcn__isnull=False)
        if practice.postcode.upper().startswith(areas)
    }
    return list(PrimaryCareNetwork.objects.filter(pk__in=codes).order_by("ods_code"))


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


def _resident(rng, spec: ReferralSpec, *, service, service_spec, postcodes, number: int, actor, practices,
              looks_like: Resident | None = None) -> Resident:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    today = timezone.localdate()
    age = spec.age if spec.age is not None else rng.randint(19, 88)
    born = today.replace(year=today.year - age) - timedelta(days=rng.randint(1, 364))
    practice = None if spec.no_gp else practices.get(rng.choice(service_spec.gp_practices))
    if looks_like is not None:
        # The same person keyed in again without their NHS number: a new record, for triage to join.
        return services.resident_create(
            service=service, actor=actor, first_name=looks_like.first_name, last_name=looks_like.last_name,
            date_of_birth=looks_like.date_of_birth, postcode=looks_like.postcode, address=looks_like.address,
            phone=looks_like.phone, preferred_contact=ContactRoute.PHONE, practice=looks_like.practice,
        )
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
        practice=practice,
        has_no_gp=spec.no_gp,
    )


def _walk(spec: ReferralSpec, *, rng, service, resident, activity, second, triage: Actor, worker,
          provider: Actor, gp_practice: str, now: datetime, services_by_area) -> Referral:
    """Take a new referral along the pathway to ``spec.status`` (with its connections), as the people who
    own each step. A referral to be discharged stops short of it: ``_discharge`` does that once the story
    is in the past."""
    target = spec.status

    def step(service_function, **arguments) -> Referral:
        return _sent(service_function(**arguments))

    consents = {ConsentPurpose.REFERRAL: True, ConsentPurpose.SHARE_WITH_PROVIDER: True,
                ConsentPurpose.FEEDBACK_TO_REFERRER: spec.consent_feedback, ConsentPurpose.SHARE_WITH_GP: True}
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
    if target == S.NOT_ELIGIBLE:
        return triage_outcomes.referral_decline_not_eligible(
            referral=referral, actor=triage, reason=spec.not_eligible,
            note="Our service is for adults: the school nurse or Dorset's youth service can help.")
    if target == S.REDIRECTED:
        there = services_by_area.get(spec.redirect_to)
        return triage_outcomes.referral_redirect(
            referral=referral, actor=triage, to_service=there, to_name="" if there else spec.redirect_to,
            note="Has moved to Widnes: Halton's service covers their new GP practice." if there
            else "Said on the form that they are in crisis: needs urgent mental health care first.")
    if worker is None:
        raise DemoReferralsError(f"A {target} referral needs a link worker.")
    lw = actor_for_user(worker)
    first_connection = target if target in C.values else spec.connection
    tier = Tier.SIGNPOSTING if spec.signpost and not first_connection and not spec.second else Tier.ONE_TO_ONE
    note = "Allocated to a link worker who speaks the person's language." if spec.interpreter else ""
    referral = step(services.referral_triage, referral=referral, actor=triage, tier=tier, link_worker=worker,
                    note=note)
    if target == S.TRIAGED or spec.discharge == DischargeReason.NOT_CONTACTABLE:
        return referral  # the attempts to reach the person are recorded once the story is in the past
    if target == S.DECLINED_BY_PERSON:
        return step(services.referral_person_declines, referral=referral, actor=lw,
                    note="Said on the phone that now is not the right time.")
    if spec.contacted_late:
        services.raise_alert(referral, AlertKind.NOT_CONTACTED)
    referral = step(services.referral_record_contact, referral=referral, actor=lw,
                    note="Phoned and had a 'what matters to you' conversation.")
    if first_connection:
        _connect(referral, first_connection, activity=activity, worker=lw, provider=provider, spec=spec, now=now)
    if spec.second and second is not None:
        _connect(referral, spec.second, activity=second, worker=lw, provider=factories.provider_actor(
            second.organisation), spec=spec, now=now, session_in_days=2)
    if spec.signpost:
        signpost = services.connection_signpost(referral=referral, actor=lw, service_name="Citizens Advice",
                                                service_contact="0800 144 8848",
                                                note="For help with benefits and a council tax bill.")
        if spec.signpost != C.SIGNPOSTED:
            services.connection_record_signpost_outcome(
                connection=signpost, actor=lw, outcome=spec.signpost,
                note="Has an appointment about Attendance Allowance." if spec.signpost == C.TOOK_UP
                else "Decided to sort it out with her son instead.",
            )
    referral.refresh_from_db()
    return referral


def _connect(referral: Referral, target: str, *, activity, worker: Actor, provider: Actor, spec: ReferralSpec,
             now: datetime, session_in_days: float | None = None) -> Connection:
    """A connection of ``referral`` to ``activity``, walked to ``target`` as the link worker and the provider would."""

    def step(service_function, **arguments) -> Connection:
        connection = service_function(**arguments)
        _sent(referral)
        return connection

    connection = step(services.connection_choose_activity, referral=referral, actor=worker, activity=activity,
                      note="Chose this together after looking at a few.")
    if target == C.ACTIVITY_CHOSEN:
        return connection
    connection = step(services.connection_send_to_provider, connection=connection, actor=worker)
    if target == C.SENT_TO_PROVIDER:
        return connection
    if target == C.WITHDRAWN:
        return step(services.connection_withdraw, connection=connection, actor=worker,
                    note="Has started a new job and cannot make the daytime sessions.")
    if target == C.DECLINED_BY_PROVIDER:
        return step(services.connection_provider_decline, connection=connection, actor=provider,
                    reason=ProviderDeclineReason.FULL, note="The group is full until the new year.")
    connection = step(services.connection_provider_accept, connection=connection, actor=provider)
    if target == C.ACCEPTED:
        return connection
    # The service only books sessions in the future; past ones are moved back afterwards.
    in_days = session_in_days if session_in_days is not None else spec.session_in_days
    days = in_days if in_days and in_days > 0 else 1
    starts_at = (now + timedelta(days=days)).replace(hour=10, minute=30, second=0, microsecond=0)
    if starts_at <= now:
        starts_at += timedelta(days=1)
    if target == C.FIRST_SESSION_BOOKED and referral.resident.preferred_contact in (ContactRoute.EMAIL,
                                                                                    ContactRoute.TEXT):
        # The message would tell the person straight away, and move the connection on to "resident notified".
        raise DemoReferralsError("A demo connection left at 'first session booked' needs a phone or letter route.")
    connection = step(services.connection_book_first_session, connection=connection, actor=provider,
                      starts_at=starts_at, note="Ask for Sue at the door; she will introduce you to the group.")
    if target == C.FIRST_SESSION_BOOKED:
        return connection
    connection = _tell_resident(connection, worker=worker)
    if target == C.RESIDENT_NOTIFIED:
        return connection
    if target != C.CANCELLED:
        # Attendance is recorded once the session has started; _move_into_the_past dates it properly.
        connection = factories.first_session_held(connection)
    if target == C.DID_NOT_ATTEND:
        return step(services.connection_record_did_not_attend, connection=connection, actor=provider,
                    note="Did not come and did not ring.")
    if target == C.CANCELLED:
        return step(services.connection_cancel_first_session, connection=connection, actor=provider,
                    note="The hall was closed for repairs that week.")
    connection = step(services.connection_record_attendance, connection=connection, actor=provider,
                      note="Joined in and enjoyed it.")
    if target == C.ATTENDED:
        return connection
    raise DemoReferralsError(f"The demo cannot reach {target}.")


def _sent(referral: Referral) -> Referral:
    """Send the emails and texts a step queued straight away, as the task queued on commit would."""
    waiting = Notification.objects.filter(referral_id=referral.pk, status=DeliveryStatus.PENDING,
                                          channel__in=[Channel.EMAIL, Channel.TEXT])
    for pk in waiting.order_by("created_at").values_list("pk", flat=True):
        send_notification(pk)
    referral.refresh_from_db()
    return referral


def _tell_resident(connection: Connection, *, worker: Actor) -> Connection:
    """The person hears of their first session as they asked: the message sent on booking, or a call or letter."""
    calls = connection.notifications.filter(
        kind=NotificationKind.FIRST_SESSION_FOR_RESIDENT, channel__in=[Channel.PHONE_TASK, Channel.LETTER_TASK]
    )
    for task in calls:
        services.notification_complete_task(notification=task, actor=worker)
    connection.refresh_from_db()
    if connection.status == C.FIRST_SESSION_BOOKED:
        # The message could not be sent just now (no mail server, say): the link worker rang instead.
        connection = services.connection_mark_resident_notified(connection=connection, actor=worker,
                                                                note="Rang them to tell them.")
    return connection


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
    NotificationKind.CONNECTION_WITHDRAWN: "withdraw",
    NotificationKind.FEEDBACK_TO_REFERRER: "discharge",
    NotificationKind.NOT_CONTACTABLE_TO_REFERRER: "discharge",
}
_ATTENDANCE = ("record_attendance", "record_did_not_attend")


def _timeline(
    events: list[ReferralEvent], spec: ReferralSpec, *, now: datetime, session_of: dict[int, datetime]
) -> dict[int, datetime]:
    """When each event happened in the story (by event id); ``session_of``: the moved first session of
    each connection whose session is in the past."""
    received = now - timedelta(hours=spec.age_hours)
    # A late first contact pushes every later step back too.
    late = timedelta(hours=34 if spec.contacted_late else 0)

    def planned(event: ReferralEvent) -> datetime | None:
        action, session = event.action, session_of.get(event.connection_id)
        if action in ("create", "triage"):
            return received + timedelta(hours=_STEP_HOURS[action])
        if action in _STEP_HOURS:
            return received + timedelta(hours=_STEP_HOURS[action]) + late
        if session is not None and action in _ATTENDANCE:
            return session + timedelta(hours=3)
        if session is not None and action == "cancel_first_session":
            return session - timedelta(hours=20)
        return None  # just after the step before

    plan = [(event, planned(event)) for event in events]
    # Squeeze a short story into the time it has: before the first session, or before now.
    steps = [moment for event, moment in plan if event.action in _STEP_HOURS]
    first_session = min(session_of.values()) if session_of else None
    limit = first_session - timedelta(days=1) if first_session is not None else now - timedelta(minutes=5)
    squeeze = 1.0
    if steps and max(steps) > limit:
        squeeze = max(0.0, (limit - received) / (max(steps) - received))
    times, previous = {}, None
    for event, moment in plan:
        if event.action in _STEP_HOURS:
            moment = received + (moment - received) * squeeze
        elif moment is None:
            moment = (previous or received) + timedelta(minutes=1)
        if previous is not None and moment <= previous:
            moment = previous + timedelta(minutes=1)
        times[event.pk] = previous = min(moment, now - timedelta(minutes=1))
    return times


def _sessions_in_the_past(referral: Referral, spec: ReferralSpec, *, now: datetime) -> dict[int, datetime]:
    """The first connection's first session, moved to ``spec.session_in_days`` ago (if that is in the past)."""
    if spec.session_in_days is None or spec.session_in_days >= 0:
        return {}
    first = referral.connections.filter(number=1, first_session_at__isnull=False).first()
    if first is None:
        return {}
    return {first.pk: (now + timedelta(days=spec.session_in_days)).replace(hour=10, minute=30, second=0,
                                                                          microsecond=0)}


def _move_into_the_past(referral: Referral, spec: ReferralSpec, *, now: datetime) -> None:
    events = list(referral.events.order_by("at", "pk"))
    session_of = _sessions_in_the_past(referral, spec, now=now)
    times = _timeline(events, spec, now=now, session_of=session_of)
    by_action: dict[str, datetime] = {}
    # The same, for each connection's own steps.
    by_connection: dict[int, dict[str, datetime]] = {}
    connection_stamps: dict[int, dict[str, datetime]] = {}
    stamps = {}
    for event in events:
        moment = times[event.pk]
        ReferralEvent.objects.filter(pk=event.pk).update(at=moment)
        key = "attendance" if event.action in _ATTENDANCE else event.action
        by_action[key] = moment
        if event.connection_id is None:
            transition = TRANSITIONS.get(event.action)
            if transition is not None and transition.stamp:
                stamps[transition.stamp] = moment
            continue
        by_connection.setdefault(event.connection_id, {})[key] = moment
        own = connection_stamps.setdefault(event.connection_id, {})
        if event.action in ("choose_activity", "signpost"):
            own["created_at"] = moment
        transition = CONNECTION_TRANSITIONS.get(event.action)
        if transition is not None and transition.stamp and (transition.stamp_latest or transition.stamp not in own):
            own[transition.stamp] = moment
        if event.action == "record_attendance":
            own["attended_at"] = moment
        if event.action == "record_did_not_attend":
            own["did_not_attend_at"] = moment
        if event.to_status in CONNECTION_ENDED and event.from_status not in CONNECTION_ENDED:
            own["ended_at"] = moment
    received = by_action["create"]
    Referral.objects.filter(pk=referral.pk).update(received_at=received, **stamps)
    for connection_id, own in connection_stamps.items():
        if connection_id in session_of:
            own["first_session_at"] = session_of[connection_id]
        Connection.objects.filter(pk=connection_id).update(**own)
    if referral.resident.referrals.count() == 1:
        Resident.objects.filter(pk=referral.resident_id).update(created_at=received)
    Consent.objects.filter(referral=referral).update(recorded_at=received)

    for kind, step in _NOTIFICATION_STEP.items():
        for message in Notification.objects.filter(referral=referral, kind=kind):
            moment = by_connection.get(message.connection_id, {}).get(step) or by_action.get(step)
            if moment is None:
                continue
            done = by_connection.get(message.connection_id, {}).get("mark_resident_notified", moment)
            Notification.objects.filter(pk=message.pk).update(
                created_at=moment, next_attempt_at=moment,
                # Sent within the minute; a phone call or letter when the link worker marked it done.
                sent_at=(moment + timedelta(seconds=20)) if message.status == DeliveryStatus.SENT
                else done if message.status == DeliveryStatus.DONE else message.sent_at,
            )
    for connection_id, steps in by_connection.items():
        if "send_to_provider" in steps:
            sent = next(e.at for e in events if e.action == "send_to_provider" and e.connection_id == connection_id)
            moved = steps["send_to_provider"] - sent
            ActionLink.objects.filter(referral=referral, connection_id=connection_id).update(
                created_at=F("created_at") + moved, expires_at=F("expires_at") + moved)

    # The alerts the tracking job would have raised by now, and when.
    for kind in spec.alerts:
        services.raise_alert(referral, kind, connection=_alert_connection(referral, kind))
    for alert in Alert.objects.filter(referral=referral):
        steps = by_connection.get(alert.connection_id, by_action)
        raised = {
            AlertKind.NOT_CONTACTED: received + timedelta(hours=48),
            AlertKind.NO_PROVIDER_RESPONSE: steps.get("send_to_provider", received) + timedelta(days=3),
            AlertKind.ATTENDANCE_NOT_RECORDED: session_of.get(alert.connection_id, now) + timedelta(days=1),
            AlertKind.DID_NOT_ATTEND: steps.get("attendance", now),
        }.get(alert.kind, now)
        moment = min(raised, now - timedelta(minutes=2))
        cleared = by_action.get(alert.cleared_by_action) if alert.cleared_at else None
        Alert.objects.filter(pk=alert.pk).update(raised_at=moment, cleared_at=cleared or alert.cleared_at)

    for connection_id in session_of:
        # The first-session messages and the link worker's tasks give the moved date.
        _rewrite_first_session_messages(connection_id)


def _alert_connection(referral: Referral, kind: str) -> Connection | None:
    """The connection an alert of ``kind`` names: the first that needs it (none for the referral's own)."""
    statuses = {
        AlertKind.NO_PROVIDER_RESPONSE: {C.SENT_TO_PROVIDER},
        AlertKind.ATTENDANCE_NOT_RECORDED: set(FIRST_SESSION_PENDING),
        AlertKind.DID_NOT_ATTEND: {C.DID_NOT_ATTEND},
    }.get(kind)
    if statuses is None:
        return None
    return referral.connections.filter(status__in=sorted(statuses)).order_by("number").first()


def _rewrite_first_session_messages(connection_id: int) -> None:
    connection = Connection.objects.select_related(
        "referral", "referral__resident", "activity", "provider", "first_session"
    ).get(pk=connection_id)
    referral = connection.referral
    context = {
        "referral": referral,
        "connection": connection,
        "resident": referral.resident,
        "activity": connection.activity,
        "provider": connection.provider,
        "base_url": settings.WAGTAILADMIN_BASE_URL.rstrip("/"),
        "kind": NotificationKind.FIRST_SESSION_FOR_RESIDENT,
    }
    # Sent ones too: in the story they went out with the moved date (the copies in the sent-mail
    # folder, written when the demo was built, keep the date the session was first booked for).
    for message in connection.notifications.filter(kind=NotificationKind.FIRST_SESSION_FOR_RESIDENT):
        subject, body = render_message(message.kind, message.channel, context)
        Notification.objects.filter(pk=message.pk).update(subject=subject, body=body)


# Review and discharge ----------------------------------------------------------------------------

DISCHARGE_NOTES = {
    DischargeReason.GOALS_MET: "Going every week now and has made friends there. Feels much less alone.",
    DischargeReason.NOT_CONTACTABLE: "Three calls over a week, none answered; a letter sent with our number.",
    DischargeReason.PERSON_DECLINED: "Feels better and does not want more support for now; knows how to come back.",
    DischargeReason.REFERRED_ELSEWHERE: "Referred on to the community mental health team, who will take it from here.",
}


def _discharge(referral: Referral, spec: ReferralSpec, *, worker, now: datetime) -> Referral:
    """Review (for goals met) and discharge, once the story is in the past, through the same services as
    the link worker's pages: the contacts before it, the summary previewed and then confirmed. The
    discharge is then dated a day after the last thing that happened."""
    lw = actor_for_user(worker)
    referral.refresh_from_db()
    last = referral.events.order_by("-at").values_list("at", flat=True).first()
    received = referral.received_at
    if spec.discharge == DischargeReason.NOT_CONTACTABLE:
        # Three calls on three working days, none answered.
        for day in range(1, referral.service.attempts_before_not_contactable + 1):
            contacts.contact_record(referral=referral, actor=lw, at=received + timedelta(days=day, hours=2),
                                    method=ContactMethod.PHONE, status=ContactStatus.COULD_NOT_REACH, now=now,
                                    note="No answer; left a voicemail.")
        last = received + timedelta(days=referral.service.attempts_before_not_contactable, hours=2)
    else:
        first = referral.contacted_at
        contacts.contact_record(referral=referral, actor=lw, at=first, method=ContactMethod.FACE_TO_FACE,
                                status=ContactStatus.HELD, duration_minutes=50, now=now,
                                note="Guided conversation: what matters, and what they would like to try.")
        follow_up = first + timedelta(days=7)
        if follow_up < last:
            contacts.contact_record(referral=referral, actor=lw, at=follow_up, method=ContactMethod.PHONE,
                                    status=ContactStatus.HELD, duration_minutes=20, now=now,
                                    note="Checked how the first steps went.")
        if spec.discharge == DischargeReason.GOALS_MET:
            last = min(last + timedelta(days=1), now - timedelta(hours=3))
            contacts.contact_record(referral=referral, actor=lw, at=last, method=ContactMethod.FACE_TO_FACE,
                                    status=ContactStatus.HELD, duration_minutes=40, is_review=True, now=now,
                                    note="Review: looked back at the plan together before saying goodbye.")
    when = min(last + timedelta(days=1), now - timedelta(hours=2))
    if spec.discharge == DischargeReason.PERSON_DECLINED:
        referral = services.referral_person_declines(referral=referral, actor=lw,
                                                     note="Feels better and does not want more support for now.")
        Referral.objects.filter(pk=referral.pk).update(declined_at=when - timedelta(minutes=5))
        ReferralEvent.objects.filter(referral=referral, action="person_declines").update(
            at=when - timedelta(minutes=5))
    referral = factories.discharge(referral, reason=spec.discharge, note=DISCHARGE_NOTES[spec.discharge], actor=lw)
    _sent(referral)
    Referral.objects.filter(pk=referral.pk).update(discharged_at=when)
    ReferralEvent.objects.filter(referral=referral, action="discharge").update(at=when)
    # Signposts still open at discharge stay as they are; activities not yet sent were withdrawn with it.
    withdrawn = ReferralEvent.objects.filter(referral=referral, action="withdraw", note="Withdrawn at discharge")
    Connection.objects.filter(pk__in=withdrawn.values("connection_id")).update(ended_at=when)
    withdrawn.update(at=when)
    DischargeSummary.objects.filter(referral=referral).update(prepared_at=when, final_at=when)
    for kind in (NotificationKind.FEEDBACK_TO_REFERRER, NotificationKind.NOT_CONTACTABLE_TO_REFERRER):
        messages = Notification.objects.filter(referral=referral, kind=kind)
        messages.update(created_at=when, next_attempt_at=when)
        messages.filter(status=DeliveryStatus.SENT).update(sent_at=when + timedelta(seconds=20))
    referral.refresh_from_db()
    return referral
