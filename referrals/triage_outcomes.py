"""Triage's two other answers: decline a referral as not eligible, or redirect it to another service.

Both are steps of the referral (``referrals.workflow``: from received, owned by the service's triage
team) and both are final. The referrer is told either way (a professional by email, or a task for the
team when there is no address; a self-referrer by the route they chose), because it is the answer to
their own referral: this does not wait for the person's consent to feedback, and says only what the
referrer needs (the reason in words, and what they can do instead).

Redirecting to another service that uses Signpost hands the referral over: a new referral in that
service's triage queue, on that service's record of the person (found by NHS number, else a new record
copied from this one), with the needs, what matters, the referrer and the consents. All in one
transaction: if anything fails, neither service sees a change. The receiving service sees the handed-over
referral and where it came from, nothing more of this service's record.

Declining for eligibility is the service's answer, not the person's: the SNOMED CT code stays
"referral to social prescribing service" (871731000000106); "social prescribing declined"
(871711000000103) is kept for the person declining.
"""

from __future__ import annotations

from django.utils import timezone

from referrals.audit import audit
from referrals.choices import (
    AlertKind,
    AuditAction,
    NotEligibleReason,
    NotificationKind,
    ReferralStatus,
)
from referrals.errors import ReferralError
from referrals.models import (
    Consent,
    Referral,
    ReferralEvent,
    Resident,
    SocialPrescribingService,
)
from referrals.notifications.outbox import queue_notifications
from referrals.people import known_person
from referrals.roles import Actor
from referrals.services import _step, clear_alerts

# What the referrer can do instead, by reason: to a professional, and to a person who referred themselves.
WHAT_INSTEAD = {
    NotEligibleReason.AGE: (
        "Please look for a service for the person's age group: their GP practice or the local council can say "
        "which one covers them.",
        "Your GP practice or the local council can tell you about services for your age group.",
    ),
    NotEligibleReason.NOT_IN_AREA: (
        "Every GP practice in England has access to social prescribing: please refer the person to the "
        "service that covers their own practice.",
        "Every GP practice in England has access to social prescribing: ask your own GP practice about "
        "their link worker.",
    ),
    NotEligibleReason.IN_CRISIS: (
        "The person needs urgent care first. Please arrange it (NHS 111, option 2 for mental health; 999 in an "
        "emergency) and refer them again once they are ready.",
        "If you need help now, call NHS 111 and choose option 2 for mental health, or 999 in an emergency. "
        "You can ask us again once you feel ready.",
    ),
    NotEligibleReason.CLINICAL_NEED: (
        "Please arrange the clinical care the person needs; they can be referred again once social "
        "prescribing can help.",
        "Please speak to your GP practice about the care you need. You can ask us again later.",
    ),
    NotEligibleReason.ALREADY_SUPPORTED: (
        "The person is already supported by a similar service: please contact that service. Refer them again "
        "if that support ends and they still need it.",
        "You are already supported by a similar service: please keep in touch with them. You can ask us again "
        "if that support ends.",
    ),
    NotEligibleReason.OTHER: (
        "Please contact us if you would like to talk about other options.",
        "Please contact us if you would like to talk about other options.",
    ),
}

_CLEAR_ALL = set(AlertKind)


def what_instead(referral: Referral) -> str:
    """What the referrer (the person, for a self-referral) can do instead, for a referral declined as not eligible."""
    professional, person = WHAT_INSTEAD.get(referral.not_eligible_reason, WHAT_INSTEAD[NotEligibleReason.OTHER])
    return person if referral.is_self_referral else professional


def referral_decline_not_eligible(*, referral: Referral, actor: Actor, reason: str, note: str = "") -> Referral:
    """Decline ``referral`` as not eligible, with a reason code (``NotEligibleReason``; "other" needs a
    note). The note is sent to the referrer with the reason."""
    note = (note or "").strip()
    if reason not in NotEligibleReason.values:
        raise ReferralError("Choose why the person is not eligible.", field="reason")
    if reason == NotEligibleReason.OTHER and not note:
        raise ReferralError("Say why the person is not eligible.", field="note")
    label = NotEligibleReason(reason).label

    def change(r):
        r.not_eligible_reason, r.triage_note = reason, note

    def then(r):
        clear_alerts(r, kinds=_CLEAR_ALL, actor=actor, action="decline_not_eligible")
        queue_notifications(r, NotificationKind.NOT_ELIGIBLE_TO_REFERRER, context={"what_instead": what_instead(r)})

    return _step(referral, actor=actor, action="decline_not_eligible", note=f"{label}. {note}".strip(),
                 change=change, then=then)


def redirect_targets(service) -> list[SocialPrescribingService]:
    """The other services that use Signpost, which a referral to ``service`` can be handed over to."""
    return list(SocialPrescribingService.objects.exclude(pk=service.pk).order_by("name"))


def referral_redirect(*, referral: Referral, actor: Actor, note: str, to_service: SocialPrescribingService | None = None,
                      to_name: str = "") -> Referral:
    """Redirect ``referral`` to another service, with the reason (``note``, told to the referrer).

    ``to_service``: another service that uses Signpost, which gets the referral handed over (a new
    referral in its triage queue, ``redirected_referral``); or ``to_name``: a service outside Signpost,
    by name. Returns this (now redirected) referral."""
    note, to_name = (note or "").strip(), (to_name or "").strip()
    if to_service is not None and to_name:
        raise ReferralError("Choose a service that uses Signpost, or name one outside it, not both.", field="to_name")
    if to_service is None and not to_name:
        raise ReferralError("Choose the service to redirect the referral to, or name one outside Signpost.",
                            field="to_service")
    if to_service is not None and to_service.pk == referral.service_id:
        raise ReferralError("That is this service. Choose another service, or triage the referral here.",
                            field="to_service")
    if not note:
        raise ReferralError("Say why the referral is for another service.", field="note")
    where = to_service.name if to_service is not None else to_name

    def change(r):
        r.redirected_to_service, r.redirected_to_name, r.triage_note = to_service, where, note

    def then(r):
        clear_alerts(r, kinds=_CLEAR_ALL, actor=actor, action="redirect")
        if to_service is not None:
            r.redirected_referral = _hand_over(r, to_service=to_service, actor=actor, note=note)
            r.save(update_fields=["redirected_referral", "updated_at"])
        queue_notifications(r, NotificationKind.REDIRECTED_TO_REFERRER)

    return _step(referral, actor=actor, action="redirect", note=f"To {where}: {note}", change=change, then=then)


# The hand-over ------------------------------------------------------------------------------------

# A resident's own details, copied to the other service's new record (never its links to this service).
_RESIDENT_NOT_COPIED = {"id", "service", "merged_into", "merged_at", "created_at", "anonymised_at"}


def _person_there(resident: Resident, service: SocialPrescribingService) -> Resident | None:
    """The other service's record of the person, by NHS number (the only match made without a person
    confirming it; that service's triage sees any match by name, date of birth and postcode)."""
    if not resident.nhs_number:
        return None
    return known_person(service, nhs_number=resident.nhs_number)


def _copy_resident(resident: Resident, service: SocialPrescribingService, actor: Actor) -> Resident:
    fields = {
        field.attname: getattr(resident, field.attname)
        for field in Resident._meta.concrete_fields
        if field.name not in _RESIDENT_NOT_COPIED
    }
    copy = Resident.objects.create(service=service, **fields)
    audit(actor, action=AuditAction.CREATE, what="resident record (referral handed over)", resident=copy)
    return copy


def _hand_over(referral: Referral, *, to_service: SocialPrescribingService, actor: Actor, note: str) -> Referral:
    """A new referral in ``to_service`` for the person ``referral`` is about, as it was received here.

    Runs inside the redirect's transaction (``_step``): a failure undoes the redirect too."""
    resident = _person_there(referral.resident, to_service) or _copy_resident(referral.resident, to_service, actor)
    # Received there at the moment it left here: one time on both timelines.
    now = referral.redirected_at or timezone.now()
    new = Referral.objects.create(
        service=to_service,
        resident=resident,
        received_at=now,
        status=ReferralStatus.RECEIVED,
        source=referral.source,
        # Who referred, in words: a user of this service is no one the other service knows.
        referred_by=None,
        referrer_name=referral.referrer_name or _name(referral.referred_by),
        referrer_role=referral.referrer_role,
        referrer_organisation=referral.referrer_organisation or ("" if referral.is_self_referral
                                                                 else referral.service.name),
        referrer_email=referral.referrer_email,
        referrer_phone=referral.referrer_phone,
        what_matters=referral.what_matters,
        notes=referral.notes,
        priority=referral.priority,
    )
    new.needs.set(referral.needs.all())
    for consent in referral.consents.filter(withdrawn_at__isnull=True):
        Consent.objects.create(
            resident=resident, referral=new, purpose=consent.purpose, given=consent.given,
            given_by=consent.given_by, method=consent.method, recorded_by=consent.recorded_by,
            recorded_at=consent.recorded_at,
        )
    ReferralEvent.objects.create(
        referral=new, at=now, actor=actor.user, actor_label=actor.label, action="create", from_status="",
        to_status=new.status,
        note=f"Redirected from {referral.service.name} (their reference {referral.reference}): {note}",
    )
    audit(actor, action=AuditAction.CREATE, what=f"referral handed over from {referral.service.name}"[:255],
          referral=new)
    return new


def _name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""
