"""Building referrals in code: shared by the tests and the demo data command.

``make_referral(status=...)`` walks a referral along the pathway through the real service
functions (so every event, alert clearance and notification is as in life), as the staff
who own each step.
"""

import itertools
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone
from django.utils.text import slugify

from directory.permissions import organisation_sync_editor_permissions
from referrals import services
from referrals.choices import ConsentPurpose, ContactRoute, Outcome, ReferralStatus, Source, StaffRole, Tier
from referrals.models import Referral, Resident, SocialPrescribingService, StaffMembership
from referrals.roles import LINK_WORKERS_GROUP, SYSTEM, TRIAGE_GROUP, Actor, actor_for_user, ensure_staff_groups

_sequence = itertools.count(1)

ALL_CONSENTS = {purpose: True for purpose in ConsentPurpose.values}


def make_service(name: str | None = None, *, prefixes: str = "BH, DT", **fields) -> SocialPrescribingService:
    number = next(_sequence)
    name = name or f"Social prescribing service {number}"

    service, _ = SocialPrescribingService.objects.get_or_create(
        name=name, defaults={"slug": slugify(name)[:100], "postcode_prefixes": prefixes, **fields}
    )
    return service


def make_user(username: str | None = None, *, groups=(), **fields):
    username = username or f"user{next(_sequence)}"
    fields.setdefault("email", f"{username}@example.org")
    fields.setdefault("first_name", username.capitalize())
    user, _ = get_user_model().objects.get_or_create(username=username, defaults=fields)
    if groups:
        ensure_staff_groups()
        user.groups.add(*Group.objects.filter(name__in=groups))
    return user


def make_staff(role_group: str, *, service, username: str | None = None, languages: str = "", **fields):
    """A link worker, triage officer or commissioner (by group name) working for ``service``."""
    user = make_user(username, groups=[role_group], **fields)
    StaffMembership.objects.update_or_create(user=user, defaults={"service": service, "languages": languages})
    return user


def make_link_worker(*, service, username: str | None = None, **fields):
    return make_staff(LINK_WORKERS_GROUP, service=service, username=username, **fields)


def make_triage(*, service, username: str | None = None, **fields):
    return make_staff(TRIAGE_GROUP, service=service, username=username, **fields)


def make_provider_editor(*, organisation, username: str | None = None, **fields):
    group = organisation.editors or organisation_sync_editor_permissions(organisation=organisation)
    user = make_user(username, **fields)
    user.groups.add(group)
    return user


def make_resident(*, service, **fields) -> Resident:
    number = next(_sequence)
    defaults = {
        "first_name": "Jo",
        "last_name": f"Resident{number}",
        "phone": "07700 900123",
        "email": f"resident{number}@example.net",
        "postcode": "BH15 1AB",
        "address": "1 High Street, Poole",
        "preferred_contact": ContactRoute.EMAIL,
    }
    defaults.update(fields)
    resident = Resident(service=service, **defaults)
    resident.full_clean()
    resident.save()
    return resident


def provider_actor(organisation) -> Actor:
    return Actor(label=f"{organisation.title} (provider)", roles=frozenset({StaffRole.PROVIDER}),
                 organisation_ids=frozenset({organisation.pk}))


# The order of the pathway make_referral walks, and where each status leaves it.
_PATH = [
    ReferralStatus.RECEIVED,
    ReferralStatus.TRIAGED,
    ReferralStatus.CONTACTED,
    ReferralStatus.ACTIVITY_CHOSEN,
    ReferralStatus.SENT_TO_PROVIDER,
    ReferralStatus.ACCEPTED,
    ReferralStatus.FIRST_SESSION_BOOKED,
]


def first_session_held(referral, *, hours_ago: float = 1):
    """Time passes: ``referral``'s first session (booked, as always, in the future) started
    ``hours_ago``, so whether the person attended can be recorded."""
    Referral.objects.filter(pk=referral.pk).update(first_session_at=timezone.now() - timedelta(hours=hours_ago))
    referral.refresh_from_db()
    return referral


def make_referral(
    *,
    service,
    status: str = ReferralStatus.RECEIVED,
    resident: Resident | None = None,
    triage=None,
    link_worker=None,
    activity=None,
    source: str = Source.PRIMARY_CARE,
    needs=(),
    consents=None,
    first_session_at=None,
    referrer=None,
    outcome: str = Outcome.ENGAGED,
):
    """A referral in ``status``, got there by the service functions, as the staff who own each step."""
    resident = resident or make_resident(service=service)
    triage = triage or make_triage(service=service)
    referrer_actor = actor_for_user(triage)
    referral = services.referral_create(
        actor=referrer_actor,
        service=service,
        resident=resident,
        source=source,
        needs=needs,
        what_matters="Getting out of the house and meeting people.",
        referrer=referrer or ({} if source == Source.SELF else {"name": "Dr A Patel", "organisation": "Harbour Surgery",
                                                                "email": "referrals@harbour-surgery.example.nhs.uk"}),
        consents=ALL_CONSENTS if consents is None else consents,
    )
    if status == ReferralStatus.RECEIVED:
        return referral
    link_worker = link_worker or make_link_worker(service=service)
    worker = actor_for_user(link_worker)
    referral = services.referral_triage(referral=referral, actor=referrer_actor, tier=Tier.ONE_TO_ONE,
                                        link_worker=link_worker)
    if status == ReferralStatus.TRIAGED:
        return referral
    if status == ReferralStatus.DECLINED_BY_PERSON:
        return services.referral_person_declines(referral=referral, actor=worker, note="Not for them just now.")
    referral = services.referral_record_contact(referral=referral, actor=worker, note="Spoke on the phone.")
    if status == ReferralStatus.CONTACTED:
        return referral
    if activity is None:
        raise ValueError(f"A referral in {status} needs an activity.")
    referral = services.referral_choose_activity(referral=referral, actor=worker, activity=activity)
    if status == ReferralStatus.ACTIVITY_CHOSEN:
        return referral
    referral = services.referral_send_to_provider(referral=referral, actor=worker)
    if status == ReferralStatus.SENT_TO_PROVIDER:
        return referral
    provider = provider_actor(activity.organisation)
    if status == ReferralStatus.DECLINED_BY_PROVIDER:
        return services.referral_provider_decline(referral=referral, actor=provider, reason="full")
    referral = services.referral_provider_accept(referral=referral, actor=provider)
    if status == ReferralStatus.ACCEPTED:
        return referral
    referral = services.referral_book_first_session(
        referral=referral, actor=provider, starts_at=first_session_at or timezone.now() + timedelta(days=3)
    )
    referral.refresh_from_db()
    if status == ReferralStatus.FIRST_SESSION_BOOKED:
        return referral
    if referral.status == ReferralStatus.FIRST_SESSION_BOOKED:
        # The notification is sent after commit; tests and the demo move on without waiting for it.

        referral = services.referral_mark_resident_notified(referral=referral, actor=SYSTEM)
    if status == ReferralStatus.RESIDENT_NOTIFIED:
        return referral
    if status in (ReferralStatus.ATTENDED, ReferralStatus.DID_NOT_ATTEND, ReferralStatus.CLOSED):
        # Attendance is known only once the session has started.
        referral = first_session_held(referral)
    if status == ReferralStatus.ATTENDED:
        return services.referral_record_attendance(referral=referral, actor=provider)
    if status == ReferralStatus.DID_NOT_ATTEND:
        return services.referral_record_did_not_attend(referral=referral, actor=provider)
    if status == ReferralStatus.CANCELLED:
        return services.referral_cancel_first_session(referral=referral, actor=provider, note="Venue closed.")
    if status == ReferralStatus.CLOSED:
        referral = services.referral_record_attendance(referral=referral, actor=provider)
        return services.referral_close(referral=referral, actor=worker, outcome=outcome)
    raise ValueError(f"make_referral cannot reach {status}")
