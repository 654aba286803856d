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
from referrals import contacts, services
from referrals.choices import (
    ConnectionStatus,
    ConsentPurpose,
    ContactMethod,
    ContactRoute,
    ContactStatus,
    DischargeReason,
    ReferralStatus,
    Source,
    StaffRole,
    Tier,
)
from referrals.models import Connection, Referral, Resident, SocialPrescribingService, StaffMembership
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


def first_session_held(connection, *, hours_ago: float = 1):
    """Time passes: ``connection``'s first session (booked, as always, in the future) started
    ``hours_ago``, so whether the person attended can be recorded. Given a referral, its latest connection."""
    if isinstance(connection, Referral):
        connection = connection.connections.order_by("-number").first()
    Connection.objects.filter(pk=connection.pk).update(first_session_at=timezone.now() - timedelta(hours=hours_ago))
    connection.refresh_from_db()
    return connection


def only_connection(referral) -> Connection:
    """The referral's one connection (most tests walk a single activity)."""
    return referral.connections.select_related("activity", "provider").get()


def make_connection(*, referral, status: str = ConnectionStatus.ACTIVITY_CHOSEN, activity=None, link_worker=None,
                    first_session_at=None) -> Connection:
    """A connection of ``referral`` (in support) to ``activity``, walked to ``status`` by the service functions,
    as the link worker and the provider who own each step."""
    worker = actor_for_user(link_worker or referral.link_worker)
    connection = services.connection_choose_activity(referral=referral, actor=worker, activity=activity)
    if status == ConnectionStatus.ACTIVITY_CHOSEN:
        return connection
    connection = services.connection_send_to_provider(connection=connection, actor=worker)
    if status == ConnectionStatus.SENT_TO_PROVIDER:
        return connection
    provider = provider_actor(activity.organisation)
    if status == ConnectionStatus.WITHDRAWN:
        return services.connection_withdraw(connection=connection, actor=worker, note="Not the right time.")
    if status == ConnectionStatus.DECLINED_BY_PROVIDER:
        return services.connection_provider_decline(connection=connection, actor=provider, reason="full")
    connection = services.connection_provider_accept(connection=connection, actor=provider)
    if status == ConnectionStatus.ACCEPTED:
        return connection
    connection = services.connection_book_first_session(
        connection=connection, actor=provider, starts_at=first_session_at or timezone.now() + timedelta(days=3)
    )
    connection.refresh_from_db()
    if status == ConnectionStatus.FIRST_SESSION_BOOKED:
        return connection
    if connection.status == ConnectionStatus.FIRST_SESSION_BOOKED:
        # The notification is sent after commit; tests and the demo move on without waiting for it.
        connection = services.connection_mark_resident_notified(connection=connection, actor=SYSTEM)
    if status == ConnectionStatus.RESIDENT_NOTIFIED:
        return connection
    if status == ConnectionStatus.CANCELLED:
        return services.connection_cancel_first_session(connection=connection, actor=provider, note="Venue closed.")
    # Attendance is known only once the session has started.
    connection = first_session_held(connection)
    if status == ConnectionStatus.ATTENDED:
        return services.connection_record_attendance(connection=connection, actor=provider)
    if status == ConnectionStatus.DID_NOT_ATTEND:
        return services.connection_record_did_not_attend(connection=connection, actor=provider)
    raise ValueError(f"make_connection cannot reach {status}")


def make_signpost(*, referral, service_name: str = "Citizens Advice Poole", outcome: str = "",
                  link_worker=None) -> Connection:
    """A signpost of ``referral`` to a service outside the directory, with ``outcome`` if given."""
    worker = actor_for_user(link_worker or referral.link_worker)
    connection = services.connection_signpost(referral=referral, actor=worker, service_name=service_name,
                                              service_contact="0800 144 8848")
    if outcome:
        connection = services.connection_record_signpost_outcome(connection=connection, actor=worker, outcome=outcome)
    return connection


def hold_review(referral, *, link_worker=None):
    """The link worker holds the review with the person (a held contact marked as the review)."""
    worker = actor_for_user(link_worker or referral.link_worker)
    return contacts.contact_record(referral=referral, actor=worker, at=timezone.now(),
                                   method=ContactMethod.PHONE, status=ContactStatus.HELD, duration_minutes=30,
                                   is_review=True, note="Reviewed the plan together.")


def discharge(referral, *, reason: str = DischargeReason.GOALS_MET, note: str = "", actor=None):
    """Discharge ``referral`` as its link worker would: preview the summary, then confirm what was shown."""
    actor = actor or actor_for_user(referral.link_worker)
    summary = services.referral_discharge_preview(referral=referral, actor=actor, reason=reason, note=note)
    return services.referral_discharge(referral=referral, actor=actor, reason=reason, note=note,
                                       fingerprint=summary["fingerprint"])


def received_earlier(referral: Referral, by: timedelta = timedelta(hours=3)) -> Referral:
    """``referral`` as if it had been received ``by`` earlier, so that a test may record a contact a few minutes
    ago even just after midnight: a contact cannot be dated before the day the referral was received."""
    Referral.objects.filter(pk=referral.pk).update(received_at=referral.received_at - by)
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
    discharge_reason: str = DischargeReason.GOALS_MET,
):
    """A referral in ``status``, got there by the service functions, as the staff who own each step.

    ``status`` is the referral's own (received ... discharged), or a connection's (accepted, attended...):
    then the referral is in support with one connection, to ``activity``, in that status. A discharged
    referral had one activity, attended, and (for goals met) a review."""
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
    if status in ConnectionStatus.values:
        make_connection(referral=referral, status=status, activity=activity, first_session_at=first_session_at)
        referral.refresh_from_db()
        return referral
    if status == ReferralStatus.DISCHARGED:
        make_connection(referral=referral, status=ConnectionStatus.ATTENDED, activity=activity,
                        first_session_at=first_session_at)
        if discharge_reason == DischargeReason.GOALS_MET:
            hold_review(referral)
        return discharge(referral, reason=discharge_reason)
    raise ValueError(f"make_referral cannot reach {status}")
