"""Everything that changes a referral, a resident or a consent: one function per step.

Each step runs in a transaction, locks the referral row, checks the transition table
(``referrals.workflow``) and that the actor owns the step for this referral
(``referrals.permissions``), writes a
``ReferralEvent``, clears the alerts the step resolves, and queues its notifications in
the same transaction. The pages, the API, the emailed links and the jobs all call these.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from datetime import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone
from django.utils.formats import date_format

from directory.choices import ActivityStatus
from directory.schedules import next_occurrences
from referrals.audit import audit
from referrals.choices import (
    SNOMED_DECLINED,
    AlertKind,
    AuditAction,
    Channel,
    ConsentMethod,
    ConsentPurpose,
    DeliveryStatus,
    NotificationKind,
    Outcome,
    ProviderDeclineReason,
    ReferralStatus,
    Source,
    StaffRole,
    Tier,
)
from referrals.errors import AlreadyUpdated, FirstSessionNotStarted, InvalidTransition, NotPermitted, ReferralError
from referrals.models import Alert, Consent, Notification, Referral, ReferralEvent, Resident
from referrals.notifications.outbox import queue_notifications
from referrals.permissions import check_may_take, may_complete_task
from referrals.roles import LINK_WORKERS_GROUP, SYSTEM, Actor, actor_for_user
from referrals.selectors import failed_contact_attempts, has_held_contact
from referrals.validators import normalise_nhs_number
from referrals.workflow import REALLOCATE, TRANSITIONS, Transition, first_session_started

logger = logging.getLogger(__name__)

# The alerts each step resolves.
_CLEARS = {
    "record_contact": {AlertKind.NOT_CONTACTED},
    "provider_accept": {AlertKind.NO_PROVIDER_RESPONSE},
    "provider_decline": {AlertKind.NO_PROVIDER_RESPONSE},
    "record_attendance": {AlertKind.ATTENDANCE_NOT_RECORDED},
    "record_did_not_attend": {AlertKind.ATTENDANCE_NOT_RECORDED},
    "cancel_first_session": {AlertKind.ATTENDANCE_NOT_RECORDED},
    "book_first_session": {AlertKind.ATTENDANCE_NOT_RECORDED},
    "choose_activity": {AlertKind.DID_NOT_ATTEND},
    "person_declines": set(AlertKind),
    "close": set(AlertKind),
}


def _validation_error(error: ValidationError) -> ReferralError:
    if hasattr(error, "error_dict"):
        field, messages = next(iter(error.message_dict.items()))
        return ReferralError(messages[0], field=None if field == "__all__" else field)
    return ReferralError(error.messages[0])


def _step(
    referral: Referral, *, actor: Actor, action: str, note: str = "", change=None, same=None, notify=None,
    then=None,
) -> Referral:
    """Run one state-machine step on a locked copy of ``referral`` and return it.

    ``change(locked)`` applies the step's own fields (and may refuse by raising
    ``ReferralError``); ``same(locked)`` says whether a repeat of an idempotent step asks for
    what is already recorded (then nothing is written, and no one is notified again).
    ``notify`` is the notification kind to queue and ``then(locked)`` anything else the step
    does; both run in the same transaction, only when the referral really moved.
    """
    transition: Transition = TRANSITIONS[action]
    with transaction.atomic():
        locked = Referral.objects.select_for_update(of=("self",)).select_related("resident", "provider", "activity").get(
            pk=referral.pk
        )
        check_may_take(actor, locked, transition)
        if locked.status == transition.target and transition.idempotent and (same is None or same(locked)):
            return locked
        if locked.status not in transition.sources:
            raise InvalidTransition(
                f"This referral is {locked.get_status_display().lower()}, so it cannot be "
                f"{transition.label.lower() or action} now. Someone may have updated it: reload the page.",
            )
        from_status = locked.status
        now = timezone.now()
        # Stamped first, so a step's own fields can take the same moment (see _attendance).
        if transition.stamp and (transition.stamp_latest or getattr(locked, transition.stamp) is None):
            setattr(locked, transition.stamp, now)
        if change is not None:
            change(locked)
        locked.status = transition.target
        try:
            locked.full_clean(exclude=["resident", "service"])
        except ValidationError as error:
            raise _validation_error(error) from None
        locked.save()
        ReferralEvent.objects.create(
            referral=locked,
            at=now,
            actor=actor.user,
            actor_label=actor.label,
            action=action,
            from_status=from_status,
            to_status=locked.status,
            activity=locked.activity,
            note=note,
        )
        clear_alerts(locked, kinds=_CLEARS.get(action, set()), actor=actor, action=action)
        audit(actor, action=AuditAction.CHANGE, what=f"referral: {transition.label or action}", referral=locked)
        if then is not None:
            then(locked)
        if notify is not None:
            queue_notifications(locked, notify)
    return locked


@contextmanager
def as_seen(referral: Referral, *, seen_status: str, action: str):
    """Lock ``referral`` for a step asked for from a page that showed it at ``seen_status``.

    When two people act on one referral at once, the second is told it has already been
    updated (``AlreadyUpdated``) rather than silently acting on what they did not see, unless
    they are asking again for what is already recorded (an idempotent step's repeat). Yields
    the locked referral, for the step's service function, in the same transaction.
    """
    with transaction.atomic():
        current = Referral.objects.select_for_update(of=("self",)).get(pk=referral.pk)
        transition = TRANSITIONS[action]
        repeat = transition.idempotent and current.status == transition.target
        if seen_status and current.status != seen_status and not repeat:
            raise AlreadyUpdated(current.get_status_display().lower())
        yield current


def clear_alerts(referral: Referral, *, kinds, actor: Actor, action: str) -> int:
    if not kinds:
        return 0
    return Alert.objects.open().filter(referral=referral, kind__in=kinds).update(
        cleared_at=timezone.now(), cleared_by=actor.user, cleared_by_action=action
    )


# Creating ---------------------------------------------------------------------------------


def resident_create(*, service, actor: Actor, **fields) -> Resident:
    resident = Resident(service=service, **fields)
    if resident.nhs_number:
        resident.nhs_number = normalise_nhs_number(resident.nhs_number)
    try:
        resident.full_clean()
    except ValidationError as error:
        raise _validation_error(error) from None
    resident.save()
    audit(actor, action=AuditAction.CREATE, what="resident record", resident=resident)
    return resident


def consent_record(
    *, resident: Resident, referral: Referral | None, purpose: str, given: bool, method: str, actor: Actor,
    given_by: str = "The person themselves",
) -> Consent:
    consent = Consent(
        resident=resident,
        referral=referral,
        purpose=purpose,
        given=given,
        method=method,
        given_by=given_by,
        recorded_by=actor.user,
    )
    consent.full_clean()
    consent.save()
    audit(actor, action=AuditAction.CHANGE, what=f"consent: {consent.get_purpose_display()}", resident=resident)
    return consent


@transaction.atomic
def consent_withdraw(*, consent: Consent, actor: Actor, note: str = "") -> Consent:
    consent = Consent.objects.select_for_update().get(pk=consent.pk)
    if consent.withdrawn_at is None:
        consent.withdrawn_at = timezone.now()
        consent.withdrawn_recorded_by = actor.user
        consent.withdrawal_note = note
        consent.save(update_fields=["withdrawn_at", "withdrawn_recorded_by", "withdrawal_note"])
        audit(actor, action=AuditAction.CHANGE, what=f"consent withdrawn: {consent.get_purpose_display()}",
              resident=consent.resident_id)
    return consent


@transaction.atomic
def referral_create(
    *,
    actor: Actor,
    service,
    resident: Resident,
    source: str,
    needs=(),
    what_matters: str = "",
    notes: str = "",
    priority: str = "routine",
    referrer: dict | None = None,
    consents: dict[str, bool] | None = None,
    consent_method: str = ConsentMethod.VERBAL,
    consent_given_by: str = "The person themselves",
) -> Referral:
    """A new referral into ``service``'s single point of access (it lands in the triage queue).

    ``consents`` maps each ``ConsentPurpose`` to whether it was agreed; consent to the
    referral itself is required. ``referrer`` holds the professional's name, role,
    organisation, email and phone (blank for a self-referral).
    """
    consents = dict(consents or {})
    if not consents.get(ConsentPurpose.REFERRAL):
        raise ReferralError("The person must agree to being referred.", field="consent_referral")
    if resident.service_id != service.pk:
        raise NotPermitted("This resident belongs to another service.")
    if source not in Source.values:
        raise ReferralError("Choose where the referral comes from.", field="source")
    referrer = referrer or {}
    referral = Referral(
        service=service,
        resident=resident,
        source=source,
        referred_by=actor.user,
        referrer_name=referrer.get("name", ""),
        referrer_role=referrer.get("role", ""),
        referrer_organisation=referrer.get("organisation", ""),
        referrer_email=referrer.get("email", ""),
        referrer_phone=referrer.get("phone", ""),
        what_matters=what_matters,
        notes=notes,
        priority=priority,
    )
    try:
        referral.full_clean(exclude=["resident", "service"])
    except ValidationError as error:
        raise _validation_error(error) from None
    referral.save()
    referral.needs.set(needs)
    for purpose in ConsentPurpose.values:
        if purpose in consents:
            consent_record(
                resident=resident, referral=referral, purpose=purpose, given=bool(consents[purpose]),
                method=consent_method, actor=actor, given_by=consent_given_by,
            )
    ReferralEvent.objects.create(
        referral=referral, actor=actor.user, actor_label=actor.label, action="create",
        from_status="", to_status=referral.status,
    )
    audit(actor, action=AuditAction.CREATE, what="referral", referral=referral)
    if source == Source.SELF:
        queue_notifications(referral, NotificationKind.SELF_REFERRAL_RECEIVED)
    return referral


def referral_create_for_new_resident(
    *, actor: Actor, service, resident: dict, resident_field_prefix: str = "", **referral
) -> Referral:
    """A new resident (``resident``: their fields) and their referral (``referral``: as for
    ``referral_create``), in one transaction: both are saved, or neither. An error in the
    resident's details names its field under ``resident_field_prefix`` when one is given
    (the API's ``resident.nhs_number``)."""
    with transaction.atomic():
        try:
            new_resident = resident_create(service=service, actor=actor, **resident)
        except ReferralError as error:
            if not resident_field_prefix:
                raise
            field = f"{resident_field_prefix}.{error.field}" if error.field else resident_field_prefix
            raise ReferralError(error.message, field=field) from None
        return referral_create(actor=actor, service=service, resident=new_resident, **referral)


# The pathway ------------------------------------------------------------------------------


def _link_worker_in_service(user, service_id) -> bool:
    candidate = actor_for_user(user)
    return candidate.has_role(StaffRole.LINK_WORKER) and service_id in candidate.service_ids


def referral_triage(*, referral: Referral, actor: Actor, tier: str, link_worker, priority: str | None = None,
                    note: str = "") -> Referral:
    if tier not in Tier.values:
        raise ReferralError("Choose a tier.", field="tier")
    if link_worker is None or not _link_worker_in_service(link_worker, referral.service_id):
        raise ReferralError("Choose a link worker from this service.", field="link_worker")

    def change(r):
        r.tier, r.link_worker = tier, link_worker
        if priority:
            r.priority = priority

    return _step(referral, actor=actor, action="triage", note=note, change=change)


@transaction.atomic
def referral_reallocate(*, referral: Referral, actor: Actor, link_worker, note: str = "") -> Referral:
    locked = Referral.objects.select_for_update().get(pk=referral.pk)
    check_may_take(actor, locked, REALLOCATE)
    if locked.status not in REALLOCATE.sources:
        raise InvalidTransition("Only a triaged, open referral can move to another link worker.")
    if link_worker is None or not _link_worker_in_service(link_worker, locked.service_id):
        raise ReferralError("Choose a link worker from this service.", field="link_worker")
    if locked.link_worker_id == link_worker.pk:
        return locked
    locked.link_worker = link_worker
    locked.save(update_fields=["link_worker", "updated_at"])
    ReferralEvent.objects.create(
        referral=locked, actor=actor.user, actor_label=actor.label, action="reallocate",
        from_status=locked.status, to_status=locked.status,
        note=note or f"Allocated to {link_worker.get_full_name() or link_worker.get_username()}",
    )
    return locked


def referral_record_contact(*, referral: Referral, actor: Actor, note: str = "") -> Referral:
    return _step(referral, actor=actor, action="record_contact", note=note)


def referral_choose_activity(*, referral: Referral, actor: Actor, activity, note: str = "") -> Referral:
    if activity is None or not activity.live or activity.status != ActivityStatus.ACTIVE:
        raise ReferralError("Choose an activity that is running now.", field="activity")

    def change(r):
        r.activity = activity
        r.provider = None
        r.provider_decline_reason, r.provider_decline_note = "", ""
        r.first_session_at, r.first_session, r.first_session_note = None, None, ""

    return _step(referral, actor=actor, action="choose_activity", note=note, change=change)


def referral_send_to_provider(*, referral: Referral, actor: Actor, note: str = "") -> Referral:
    def change(r):
        if not r.consents.in_force().filter(purpose=ConsentPurpose.SHARE_WITH_PROVIDER).exists():
            raise ReferralError(
                "The person has not agreed to their details being shared with the provider. "
                "Record their consent before sending the referral.",
                field="consent_share_with_provider",
            )
        if r.activity is None:
            raise ReferralError("Choose an activity first.", field="activity")
        r.provider = r.activity.organisation

    return _step(referral, actor=actor, action="send_to_provider", note=note, change=change,
                 notify=NotificationKind.NEW_REFERRAL_FOR_PROVIDER)


def referral_provider_accept(*, referral: Referral, actor: Actor, note: str = "") -> Referral:
    return _step(referral, actor=actor, action="provider_accept", note=note, notify=NotificationKind.PROVIDER_ACCEPTED)


def referral_provider_decline(*, referral: Referral, actor: Actor, reason: str, note: str = "") -> Referral:
    if reason not in ProviderDeclineReason.values:
        raise ReferralError("Choose a reason for declining.", field="reason")
    if reason == ProviderDeclineReason.OTHER and not note.strip():
        raise ReferralError("Say why you are declining.", field="note")

    def change(r):
        r.provider_decline_reason, r.provider_decline_note = reason, note

    return _step(referral, actor=actor, action="provider_decline", note=note, change=change,
                 notify=NotificationKind.PROVIDER_DECLINED)


def referral_book_first_session(
    *, referral: Referral, actor: Actor, starts_at: datetime | None = None, session=None, note: str = ""
) -> Referral:
    """The provider proposes the first session: a date and time, or one of the activity's own sessions.

    With ``session`` (an ``ActivitySession`` of the chosen activity), its next occurrence is used.
    """
    if session is not None:
        if referral.activity_id is None or session.activity_id != referral.activity_id:
            raise ReferralError("Choose one of this activity's sessions.", field="session")
        # The next time it starts: one already under way is too late to be a first session.
        now = timezone.now()
        occurrences = [o.starts for o in next_occurrences([session], count=2) if o.starts > now]
        if not occurrences:
            raise ReferralError("That session has no dates coming up. Choose another, or give a date and time.",
                                field="session")
        starts_at = occurrences[0]
    if starts_at is None:
        raise ReferralError("Enter the date and time of the first session.", field="starts_at")
    if starts_at <= timezone.now():
        raise ReferralError("The first session must be in the future.", field="starts_at")

    def change(r):
        r.first_session_at, r.first_session, r.first_session_note = starts_at, session, note

    return _step(referral, actor=actor, action="book_first_session", note=note, change=change,
                 notify=NotificationKind.FIRST_SESSION_FOR_RESIDENT)


def referral_mark_resident_notified(*, referral: Referral, actor: Actor, note: str = "") -> Referral:
    return _step(referral, actor=actor, action="mark_resident_notified", note=note)


def first_session_when(referral: Referral) -> str:
    """When the first session starts, in words ("Wednesday 9 December 2026 at 10:30", local time)."""
    return date_format(timezone.localtime(referral.first_session_at), "l j F Y \\a\\t H:i")


def _attendance(action: str, referral: Referral, actor: Actor, note: str) -> Referral:
    first_time_field = "attended_at" if action == "record_attendance" else "did_not_attend_at"

    def change(r):
        if not first_session_started(r, now=r.attendance_recorded_at):
            raise FirstSessionNotStarted(
                f"The first session is on {first_session_when(r)}. Record whether the person attended once it "
                "has started."
            )
        if getattr(r, first_time_field) is None:
            setattr(r, first_time_field, r.attendance_recorded_at)

    def then(r):
        if action == "record_did_not_attend":
            raise_alert(r, AlertKind.DID_NOT_ATTEND)

    return _step(referral, actor=actor, action=action, note=note, change=change, then=then,
                 notify=NotificationKind.ATTENDANCE_RECORDED)


def referral_record_attendance(*, referral: Referral, actor: Actor, note: str = "") -> Referral:
    return _attendance("record_attendance", referral, actor, note)


def referral_record_did_not_attend(*, referral: Referral, actor: Actor, note: str = "") -> Referral:
    return _attendance("record_did_not_attend", referral, actor, note)


def referral_cancel_first_session(*, referral: Referral, actor: Actor, note: str = "") -> Referral:
    if not note.strip():
        raise ReferralError("Say why the first session is cancelled.", field="note")
    return _step(referral, actor=actor, action="cancel_first_session", note=note)


def referral_person_declines(*, referral: Referral, actor: Actor, note: str = "") -> Referral:
    def change(r):
        r.snomed_code = SNOMED_DECLINED

    return _step(referral, actor=actor, action="person_declines", note=note, change=change)


def referral_close(*, referral: Referral, actor: Actor, outcome: str, note: str = "") -> Referral:
    if outcome not in Outcome.values:
        raise ReferralError("Choose the outcome.", field="outcome")

    def change(r):
        if outcome == Outcome.NOT_CONTACTABLE:
            _check_enough_attempts(r)
        r.outcome, r.outcome_note = outcome, note
        if outcome == Outcome.DECLINED:
            r.snomed_code = SNOMED_DECLINED

    # The referrer hears that the person could not be contacted in its own words (if they agreed to feedback).
    notify = (NotificationKind.NOT_CONTACTABLE_TO_REFERRER if outcome == Outcome.NOT_CONTACTABLE
              else NotificationKind.FEEDBACK_TO_REFERRER)
    return _step(referral, actor=actor, action="close", note=note, change=change,
                 same=lambda r: r.outcome == outcome, notify=notify)


def _check_enough_attempts(referral: Referral) -> None:
    """"Could not be contacted" only after the service's number of failed attempts, none of them reaching the person."""
    needed = referral.service.attempts_before_not_contactable
    if has_held_contact(referral):
        raise ReferralError("The person has been contacted (a contact was held), so the referral cannot be closed as "
                            "“could not be contacted”. Choose another outcome.", field="outcome")
    made = failed_contact_attempts(referral)
    if made < needed:
        raise ReferralError(
            f"Record {needed} attempts to contact the person before closing as “could not be contacted”: "
            f"{made} of {needed} so far (calls not answered, or contacts they did not attend).", field="outcome",
        )


def raise_alert(referral: Referral, kind: str) -> Alert | None:
    """Open an alert of ``kind`` unless one is already open (returns the new alert, or None)."""
    with transaction.atomic():
        if Alert.objects.open().filter(referral=referral, kind=kind).exists():
            return None
        return Alert.objects.create(referral=referral, kind=kind)


def link_workers_of(service):
    """The link workers who work for ``service`` (for triage's allocation list)."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=LINK_WORKERS_GROUP, staff_membership__service=service)
        .order_by("first_name", "last_name")
        .distinct()
    )


@transaction.atomic
def notification_complete_task(*, notification, actor: Actor, note: str = ""):
    """A person has made the phone call or sent the letter a notification asked for."""
    task = Notification.objects.select_for_update(of=("self",)).select_related("referral").get(pk=notification.pk)
    if task.channel not in (Channel.PHONE_TASK, Channel.LETTER_TASK):
        raise ReferralError("Only a phone call or a letter is marked as done by hand.")
    referral = task.referral
    if not may_complete_task(actor, task):
        raise NotPermitted("This task is on someone else's list.")
    if task.status == DeliveryStatus.DONE:
        return task
    task.status, task.sent_at, task.done_by = DeliveryStatus.DONE, timezone.now(), actor.user
    task.save(update_fields=["status", "sent_at", "done_by"])
    if task.kind == NotificationKind.FIRST_SESSION_FOR_RESIDENT and referral.status == ReferralStatus.FIRST_SESSION_BOOKED:
        referral_mark_resident_notified(referral=referral, actor=actor, note=note or "Told by " + task.get_channel_display().lower())
    return task


# After a message has gone ------------------------------------------------------------------


def referral_mark_resident_notified_by_message(*, notification: Notification) -> bool:
    """Move the referral to "resident notified" now that its first-session message has gone
    (``referrals.tasks`` calls this after each successful send); True if it moved.

    Robust to the referral having moved on (attendance already recorded, the session booked
    again): then nothing changes. Never raises: the message has gone whatever happens here.
    """
    if notification.kind != NotificationKind.FIRST_SESSION_FOR_RESIDENT:
        return False
    try:
        referral = Referral.objects.get(pk=notification.referral_id)
        if referral.status != ReferralStatus.FIRST_SESSION_BOOKED:
            return False
        if notification.is_about_an_earlier_booking():
            return False
        referral_mark_resident_notified(
            referral=referral, actor=SYSTEM, note=f"Sent by {notification.get_channel_display().lower()}"
        )
    except ReferralError as error:
        logger.info("Referral %s not marked as notified: %s", notification.referral_id, type(error).__name__)
        return False
    except Exception as error:  # noqa: BLE001 - the sweep tries again (resident_notified_repairs)
        logger.warning("Referral %s not marked as notified: %s; the sweep will retry", notification.referral_id,
                       type(error).__name__)
        return False
    return True


def resident_notified_repairs() -> int:
    """Record "resident notified" where the first-session message went but the step is missing
    (the process stopped between the two); returns how many referrals moved."""
    latest_booking = Subquery(
        ReferralEvent.objects.filter(referral=OuterRef("referral"), action="book_first_session")
        .order_by("-at").values("at")[:1]
    )
    missed = Notification.objects.annotate(latest_booking=latest_booking).filter(
        kind=NotificationKind.FIRST_SESSION_FOR_RESIDENT,
        channel__in=(Channel.EMAIL, Channel.TEXT),
        status=DeliveryStatus.SENT,
        referral__status=ReferralStatus.FIRST_SESSION_BOOKED,
        created_at__gte=F("latest_booking"),
    )
    return sum(referral_mark_resident_notified_by_message(notification=notification) for notification in missed)
