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
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.formats import date_format

from directory.choices import ActivityStatus
from directory.schedules import next_occurrences
from referrals import gp_messages, people
from referrals.audit import audit
from referrals.choices import (
    SNOMED_DECLINED,
    AlertKind,
    AuditAction,
    Channel,
    ConnectionKind,
    ConnectionStatus,
    ConsentMethod,
    ConsentPurpose,
    DeliveryStatus,
    DischargeReason,
    NotificationKind,
    ProviderDeclineReason,
    ReferralStatus,
    Source,
    StaffRole,
    Tier,
)
from referrals.errors import AlreadyUpdated, FirstSessionNotStarted, InvalidTransition, NotPermitted, ReferralError
from referrals.discharge import build_discharge_summary
from referrals.models import Alert, Connection, Consent, DischargeSummary, Notification, Referral, ReferralEvent, Resident
from referrals.notifications.outbox import queue_notifications
from referrals.permissions import check_may_take, may_complete_task, may_take
from referrals.roles import LINK_WORKERS_GROUP, SYSTEM, Actor, actor_for_user
from referrals.selectors import failed_contact_attempts, has_held_contact, has_held_review
from referrals.validators import normalise_nhs_number
from referrals.workflow import (
    CONNECTING,
    CONNECTION_ENDED,
    CONNECTION_OPEN,
    CONNECTION_TRANSITIONS,
    OPEN,
    REALLOCATE,
    SIGNPOST_OUTCOMES,
    TRANSITIONS,
    WITH_PROVIDER,
    Transition,
    first_session_started,
)

logger = logging.getLogger(__name__)

# A first session more than a year away is almost always a mistyped year.
MAX_FIRST_SESSION_AHEAD = timedelta(days=366)

# The alerts each step resolves (a connection's step, only that connection's).
_CLEARS = {
    "record_contact": {AlertKind.NOT_CONTACTED},
    "provider_accept": {AlertKind.NO_PROVIDER_RESPONSE},
    "provider_decline": {AlertKind.NO_PROVIDER_RESPONSE},
    "record_attendance": {AlertKind.ATTENDANCE_NOT_RECORDED},
    "record_did_not_attend": {AlertKind.ATTENDANCE_NOT_RECORDED},
    "cancel_first_session": {AlertKind.ATTENDANCE_NOT_RECORDED},
    "book_first_session": {AlertKind.ATTENDANCE_NOT_RECORDED},
    "withdraw": {AlertKind.NO_PROVIDER_RESPONSE, AlertKind.ATTENDANCE_NOT_RECORDED, AlertKind.DID_NOT_ATTEND},
    "person_declines": set(AlertKind),
    "discharge": set(AlertKind),
}
# Choosing another activity answers a missed first session, whichever connection it was.
_CLEARS_ON_REFERRAL = {"choose_activity": {AlertKind.DID_NOT_ATTEND}, "signpost": {AlertKind.DID_NOT_ATTEND}}


def _validation_error(error: ValidationError) -> ReferralError:
    if hasattr(error, "error_dict"):
        field, messages = next(iter(error.message_dict.items()))
        return ReferralError(messages[0], field=None if field == "__all__" else field)
    return ReferralError(error.messages[0])


def _step(
    referral: Referral, *, actor: Actor, action: str, note: str = "", change=None, same=None, notify=None,
    then=None,
) -> Referral:
    """Run one of the referral's own steps on a locked copy of ``referral`` and return it.

    ``change(locked)`` applies the step's own fields (and may refuse by raising
    ``ReferralError``); ``same(locked)`` says whether a repeat of an idempotent step asks for
    what is already recorded (then nothing is written, and no one is notified again).
    ``notify`` is the notification kind to queue and ``then(locked)`` anything else the step
    does; both run in the same transaction, only when the referral really moved.
    """
    transition: Transition = TRANSITIONS[action]
    with transaction.atomic():
        locked = _lock_referral(referral)
        check_may_take(actor, locked, transition)
        if _already_done(locked, transition, same):
            return locked
        _refuse_unless_it_follows(locked, transition, "referral")
        from_status = locked.status
        now = timezone.now()
        # Stamped first, so a step's own fields can take the same moment.
        _stamp(locked, transition, now)
        if change is not None:
            change(locked)
        locked.status = transition.target
        _full_clean(locked, exclude=["resident", "service"])
        locked.save()
        ReferralEvent.objects.create(
            referral=locked, at=now, actor=actor.user, actor_label=actor.label, action=action,
            from_status=from_status, to_status=locked.status, note=note,
        )
        clear_alerts(locked, kinds=_CLEARS.get(action, set()), actor=actor, action=action)
        audit(actor, action=AuditAction.CHANGE, what=f"referral: {transition.label or action}", referral=locked)
        if then is not None:
            then(locked)
        if notify is not None:
            queue_notifications(locked, notify)
    return locked


def _already_done(locked, transition: Transition, same) -> bool:
    """A repeat of an idempotent step asking for what is already recorded: nothing to write, no one to tell."""
    return locked.status == transition.target and transition.idempotent and (same is None or same(locked))


def _refuse_unless_it_follows(locked, transition: Transition, what: str) -> None:
    """Refuse a step the referral's (or connection's) status does not lead to, in words a person can act on."""
    if locked.status not in transition.sources:
        raise InvalidTransition(
            f"This {what} is {locked.get_status_display().lower()}, so it cannot be "
            f"{transition.label.lower() or transition.action} now. Someone may have updated it: reload the page.",
        )


def _stamp(locked, transition: Transition, now) -> None:
    """Set the step's time stamp: the first time it happens, or every time for steps that alerts time from."""
    if transition.stamp and (transition.stamp_latest or getattr(locked, transition.stamp) is None):
        setattr(locked, transition.stamp, now)


def _lock_referral(referral: Referral) -> Referral:
    return Referral.objects.select_for_update(of=("self",)).select_related("resident", "service").get(pk=referral.pk)


def _full_clean(instance, *, exclude=()) -> None:
    try:
        instance.full_clean(exclude=list(exclude))
    except ValidationError as error:
        raise _validation_error(error) from None


def _refuse_unless_open(referral: Referral, label: str) -> None:
    if not referral.is_open:
        raise InvalidTransition(
            f"This referral is {referral.get_status_display().lower()}, so its connections cannot change "
            f"({label.lower()}). Someone may have updated it: reload the page."
        )


def _connection_step(
    connection: Connection, *, actor: Actor, action: str, note: str = "", change=None, same=None, notify=None,
    then=None,
) -> Connection:
    """Run one of a connection's steps (``CONNECTION_TRANSITIONS``) on a locked copy and return it.

    The referral is locked first, then the connection (always in that order, as ``_step`` and
    discharge do), so two people acting on one connection at once take turns: the second sees
    what the first did. Otherwise as ``_step``.
    """
    transition: Transition = CONNECTION_TRANSITIONS[action]
    with transaction.atomic():
        referral = _lock_referral(connection.referral)
        locked = Connection.objects.select_for_update(of=("self",)).select_related("activity", "provider").get(
            pk=connection.pk, referral=referral
        )
        locked.referral = referral
        check_may_take(actor, referral, transition, locked)
        if _already_done(locked, transition, same):
            return locked
        # A person who declined may still have a connection with a provider: withdrawing it is how it ends
        # (discharge waits for it), so that one step stays open to them.
        if not (action == "withdraw" and referral.status == ReferralStatus.DECLINED_BY_PERSON):
            _refuse_unless_open(referral, transition.label)
        _refuse_unless_it_follows(locked, transition, "connection")
        from_status = locked.status
        now = timezone.now()
        _stamp(locked, transition, now)
        if transition.target:
            locked.status = transition.target
        if change is not None:
            change(locked)
        if locked.status in CONNECTION_ENDED and locked.ended_at is None:
            locked.ended_at = now
        _full_clean(locked, exclude=["referral"])
        locked.save()
        _connection_event(locked, actor=actor, action=action, from_status=from_status, note=note, at=now)
        clear_alerts(referral, kinds=_CLEARS.get(action, set()), actor=actor, action=action, connection=locked)
        audit(actor, action=AuditAction.CHANGE, what=f"connection {locked.number}: {transition.label or action}",
              referral=referral)
        if then is not None:
            then(locked)
        if notify is not None:
            queue_notifications(referral, notify, connection=locked)
    return locked


def _connection_event(connection: Connection, *, actor: Actor, action: str, from_status: str, note: str, at=None):
    ReferralEvent.objects.create(
        referral=connection.referral, connection=connection, at=at or timezone.now(), actor=actor.user,
        actor_label=actor.label, action=action, from_status=from_status, to_status=connection.status,
        activity=connection.activity, note=note,
    )


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


@contextmanager
def connection_as_seen(connection: Connection, *, seen_status: str, action: str):
    """As ``as_seen``, for a step on ``connection`` asked for from a page that showed it at ``seen_status``."""
    with transaction.atomic():
        _lock_referral(connection.referral)
        current = Connection.objects.select_for_update(of=("self",)).get(pk=connection.pk)
        transition = CONNECTION_TRANSITIONS[action]
        repeat = transition.idempotent and current.status == transition.target
        if seen_status and current.status != seen_status and not repeat:
            raise AlreadyUpdated(current.get_status_display().lower())
        yield current


def clear_alerts(referral: Referral, *, kinds, actor: Actor, action: str, connection: Connection | None = None) -> int:
    """Clear ``referral``'s open alerts of ``kinds`` (for a connection's step: that connection's, and any
    not tied to a connection)."""
    if not kinds:
        return 0
    alerts = Alert.objects.open().filter(referral=referral, kind__in=kinds)
    if connection is not None:
        alerts = alerts.filter(Q(connection=connection) | Q(connection__isnull=True))
    return alerts.update(cleared_at=timezone.now(), cleared_by=actor.user, cleared_by_action=action)


# Creating ---------------------------------------------------------------------------------


def resident_create(*, service, actor: Actor, **fields) -> Resident:
    """A new record in ``service``. One the service already holds for the NHS number is refused in words
    (a new referral joins it instead: ``referral_create_for_new_resident``), even when another request
    made it a moment ago."""
    resident = Resident(service=service, **fields)
    if resident.nhs_number:
        resident.nhs_number = normalise_nhs_number(resident.nhs_number)
    try:
        resident.full_clean()
    except ValidationError as error:
        raise _validation_error(error) from None
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction goes on
            resident.save()
    except IntegrityError:
        if not people.known_person(service, nhs_number=resident.nhs_number):
            raise
        raise ReferralError("The service already has a record with this NHS number.", field="nhs_number") from None
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
    """A referral for the person described by ``resident`` (their fields), with the referral's own fields
    (``referral``: as for ``referral_create``), in one transaction: all is saved, or nothing. The person
    is the service's record of them when their NHS number is known (the referral joins it, and says so
    in its event log: ``referrals.people``), otherwise a new record. An error in the resident's details
    names its field under ``resident_field_prefix`` when one is given (the API's ``resident.nhs_number``).
    The staff form, the API and the online self-referral all come this way."""
    with transaction.atomic():
        try:
            person = people.resident_for_referral(service=service, actor=actor, fields=resident)
        except ReferralError as error:
            if not resident_field_prefix:
                raise
            field = f"{resident_field_prefix}.{error.field}" if error.field else resident_field_prefix
            raise ReferralError(error.message, field=field) from None
        made = referral_create(actor=actor, service=service, resident=person.resident, **referral)
        people.record_joined(made, person, actor=actor)
        return made


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

    def then(r):
        # Some services tell the practice at once that the referral was accepted.
        if r.service.acknowledge_to_gp:
            gp_messages.send_acknowledgement(r, actor=actor)

    return _step(referral, actor=actor, action="triage", note=note, change=change, then=then)


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


# Connections ------------------------------------------------------------------------------


def _running(activity) -> bool:
    return activity is not None and activity.live and activity.status == ActivityStatus.ACTIVE


def _new_connection(referral: Referral, *, actor: Actor, action: str, note: str, **fields) -> Connection:
    """A new connection on ``referral`` (``action``: choose_activity or signpost), numbered after the last."""
    transition = CONNECTION_TRANSITIONS[action]
    with transaction.atomic():
        locked = _lock_referral(referral)
        check_may_take(actor, locked, transition)
        if locked.status not in CONNECTING:
            raise InvalidTransition(
                f"This referral is {locked.get_status_display().lower()}. Connect the person to activities and "
                "services once they are in support (after the first contact). Someone may have updated it: "
                "reload the page."
            )
        activity = fields.get("activity")
        if activity is not None and locked.connections.filter(activity=activity, status__in=CONNECTION_OPEN).exists():
            raise ReferralError("The person is already being connected to this activity.", field="activity")
        number = (locked.connections.aggregate(last=Max("number"))["last"] or 0) + 1
        connection = Connection(referral=locked, number=number, status=transition.target, **fields)
        _full_clean(connection, exclude=["referral"])
        connection.save()
        _connection_event(connection, actor=actor, action=action, from_status="", note=note, at=connection.created_at)
        clear_alerts(locked, kinds=_CLEARS_ON_REFERRAL.get(action, set()), actor=actor, action=action)
        audit(actor, action=AuditAction.CHANGE, what=f"connection {number}: {transition.label}", referral=locked)
    return connection


def connection_choose_activity(*, referral: Referral, actor: Actor, activity, note: str = "") -> Connection:
    """Connect the person to an activity in the directory (a new connection, not yet sent to its provider)."""
    if not _running(activity):
        raise ReferralError("Choose an activity that is running now.", field="activity")
    return _new_connection(referral, actor=actor, action="choose_activity", note=note, kind=ConnectionKind.ACTIVITY,
                           activity=activity)


def connection_signpost(*, referral: Referral, actor: Actor, service_name: str, service_contact: str = "",
                        note: str = "") -> Connection:
    """Signpost the person to a service outside the directory (Citizens Advice, Talking Therapies)."""
    service_name, service_contact = (service_name or "").strip(), (service_contact or "").strip()
    if not service_name:
        raise ReferralError("Enter the name of the service.", field="service_name")
    return _new_connection(referral, actor=actor, action="signpost", note=note, kind=ConnectionKind.SIGNPOST,
                           service_name=service_name, service_contact=service_contact)


def connection_change_activity(*, connection: Connection, actor: Actor, activity, note: str = "") -> Connection:
    """Another activity instead, before it has been sent to the provider."""
    if not _running(activity):
        raise ReferralError("Choose an activity that is running now.", field="activity")

    def change(c):
        c.activity = activity

    return _connection_step(connection, actor=actor, action="change_activity", note=note, change=change)


def connection_send_to_provider(*, connection: Connection, actor: Actor, note: str = "") -> Connection:
    def change(c):
        if not c.referral.consents.in_force().filter(purpose=ConsentPurpose.SHARE_WITH_PROVIDER).exists():
            raise ReferralError(
                "The person has not agreed to their details being shared with the provider. "
                "Record their consent before sending the referral.",
                field="consent_share_with_provider",
            )
        c.provider = c.activity.organisation

    return _connection_step(connection, actor=actor, action="send_to_provider", note=note, change=change,
                            notify=NotificationKind.NEW_REFERRAL_FOR_PROVIDER)


def connection_provider_accept(*, connection: Connection, actor: Actor, note: str = "") -> Connection:
    return _connection_step(connection, actor=actor, action="provider_accept", note=note,
                            notify=NotificationKind.PROVIDER_ACCEPTED)


def connection_provider_decline(*, connection: Connection, actor: Actor, reason: str, note: str = "") -> Connection:
    if reason not in ProviderDeclineReason.values:
        raise ReferralError("Choose a reason for declining.", field="reason")
    if reason == ProviderDeclineReason.OTHER and not note.strip():
        raise ReferralError("Say why you are declining.", field="note")

    def change(c):
        c.provider_decline_reason, c.provider_decline_note = reason, note

    return _connection_step(connection, actor=actor, action="provider_decline", note=note, change=change,
                            notify=NotificationKind.PROVIDER_DECLINED)


def connection_book_first_session(
    *, connection: Connection, actor: Actor, starts_at: datetime | None = None, session=None, note: str = ""
) -> Connection:
    """The provider proposes the first session: a date and time, or one of the activity's own sessions.

    With ``session`` (an ``ActivitySession`` of the connection's activity), its next occurrence is used.
    """
    if session is not None:
        if connection.activity_id is None or session.activity_id != connection.activity_id:
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
    if starts_at > timezone.now() + MAX_FIRST_SESSION_AHEAD:
        raise ReferralError("The first session must be within a year from now. Check the year.", field="starts_at")

    def change(c):
        c.first_session_at, c.first_session, c.first_session_note = starts_at, session, note

    return _connection_step(connection, actor=actor, action="book_first_session", note=note, change=change,
                            notify=NotificationKind.FIRST_SESSION_FOR_RESIDENT)


def connection_mark_resident_notified(*, connection: Connection, actor: Actor, note: str = "") -> Connection:
    return _connection_step(connection, actor=actor, action="mark_resident_notified", note=note)


def first_session_when(connection: Connection) -> str:
    """When the first session starts, in words ("Wednesday 9 December 2026 at 10:30", local time)."""
    return date_format(timezone.localtime(connection.first_session_at), "l j F Y \\a\\t H:i")


def _attendance(action: str, connection: Connection, actor: Actor, note: str) -> Connection:
    first_time_field = "attended_at" if action == "record_attendance" else "did_not_attend_at"

    def change(c):
        if not first_session_started(c, now=c.attendance_recorded_at):
            raise FirstSessionNotStarted(
                f"The first session is on {first_session_when(c)}. Record whether the person attended once it "
                "has started."
            )
        if getattr(c, first_time_field) is None:
            setattr(c, first_time_field, c.attendance_recorded_at)

    def then(c):
        if action == "record_did_not_attend":
            raise_alert(c.referral, AlertKind.DID_NOT_ATTEND, connection=c)

    return _connection_step(connection, actor=actor, action=action, note=note, change=change, then=then,
                            notify=NotificationKind.ATTENDANCE_RECORDED)


def connection_record_attendance(*, connection: Connection, actor: Actor, note: str = "") -> Connection:
    return _attendance("record_attendance", connection, actor, note)


def connection_record_did_not_attend(*, connection: Connection, actor: Actor, note: str = "") -> Connection:
    return _attendance("record_did_not_attend", connection, actor, note)


def connection_cancel_first_session(*, connection: Connection, actor: Actor, note: str = "") -> Connection:
    if not note.strip():
        raise ReferralError("Say why the first session is cancelled.", field="note")
    return _connection_step(connection, actor=actor, action="cancel_first_session", note=note)


def connection_record_signpost_outcome(*, connection: Connection, actor: Actor, outcome: str,
                                       note: str = "") -> Connection:
    """Whether the person took up the service they were signposted to."""
    if outcome not in SIGNPOST_OUTCOMES:
        raise ReferralError("Choose whether the person took up the service.", field="outcome")

    def change(c):
        c.status, c.outcome_note = outcome, note

    return _connection_step(connection, actor=actor, action="record_signpost_outcome", note=note, change=change)


def connection_withdraw(*, connection: Connection, actor: Actor, note: str = "") -> Connection:
    """Stop a connection that is still open (the person changed their mind, the activity is no longer
    right). A provider it was sent to is told."""
    if not note.strip():
        raise ReferralError("Say why the connection is withdrawn.", field="note")

    def then(c):
        if c.provider_id is not None:
            queue_notifications(c.referral, NotificationKind.CONNECTION_WITHDRAWN, connection=c)

    return _connection_step(connection, actor=actor, action="withdraw", note=note, then=then)


def connection_for_step(referral: Referral, action: str, *, actor: Actor | None = None) -> Connection:
    """The one connection a step named without a connection means (the API's operations from before
    several connections): the referral's only connection that the step can follow, else the latest
    one. Refused (``InvalidTransition``) when several connections could be meant.

    With ``actor``, only the connections they may take the step on count (a provider's own, never
    another organisation's, which they must not learn of), and a step that is theirs on none is
    refused (``NotPermitted``)."""
    if action in ("choose_activity", "signpost"):
        raise ValueError(f"{action} makes a new connection; it names none.")
    transition = CONNECTION_TRANSITIONS[action]
    connections = list(referral.connections.select_related("activity", "provider").order_by("number"))
    if actor is not None:
        connections = [c for c in connections if may_take(actor, referral, transition, c)]
        if not connections:
            check_may_take(actor, referral, transition)
    if not connections:
        raise InvalidTransition("This referral has no connection yet: choose an activity first.")
    candidates = [c for c in connections if c.status in transition.sources or
                  (transition.idempotent and c.status == transition.target)]
    if len(candidates) > 1:
        numbers = ", ".join(str(c.number) for c in candidates)
        raise InvalidTransition(f"This referral has several connections this step could mean ({numbers}): "
                                "name the connection.", field="connection")
    return candidates[0] if candidates else connections[-1]


# Discharge --------------------------------------------------------------------------------


def referral_person_declines(*, referral: Referral, actor: Actor, note: str = "") -> Referral:
    def change(r):
        r.snomed_code = SNOMED_DECLINED

    return _step(referral, actor=actor, action="person_declines", note=note, change=change)


def _check_may_discharge(referral: Referral, reason: str) -> None:
    if reason not in DischargeReason.values:
        raise ReferralError("Choose the reason for discharge.", field="reason")
    if referral.anonymised_at is not None:
        # Retention took the person's details: a summary now would be of no one.
        raise InvalidTransition("This referral's personal data has been removed (retention), so it can no longer "
                                "be discharged.")
    with_provider = [c for c in referral.connections.all() if c.status in WITH_PROVIDER]
    if with_provider:
        names = "; ".join(f"{c.number}. {c.name}" for c in with_provider)
        raise ReferralError(
            f"A provider is still working on a connection ({names}). Record what happened, or withdraw it, "
            "before discharging.", field="reason",
        )
    if reason == DischargeReason.NOT_CONTACTABLE:
        _check_enough_attempts(referral)
    if reason == DischargeReason.GOALS_MET and not has_held_review(referral):
        raise ReferralError("Hold a review with the person before discharging with their goals met "
                            "(record a contact as their review).", field="reason")


def referral_discharge_preview(*, referral: Referral, actor: Actor, reason: str, note: str = "") -> dict:
    """The discharge summary as it would be sent, for the link worker to check, and its fingerprint
    (``summary_fingerprint``) which ``referral_discharge`` must be given back."""
    check_may_take(actor, referral, "discharge")
    _check_may_discharge(referral, reason)
    return build_discharge_summary(referral, reason=reason, note=note)


def referral_discharge(*, referral: Referral, actor: Actor, reason: str, note: str = "", fingerprint: str) -> Referral:
    """Discharge: the summary the link worker checked (``fingerprint`` from the preview) becomes final, the
    connections still open are withdrawn (a signpost keeps "outcome not known"), and the referrer is told."""
    def change(r):
        _check_may_discharge(r, reason)
        content = build_discharge_summary(r, reason=reason, note=note)
        if content["fingerprint"] != fingerprint:
            raise ReferralError("The summary has changed since you checked it (something was recorded meanwhile). "
                                "Check it again before discharging.", field="fingerprint")
        r.discharge_reason, r.discharge_note = reason, note
        if reason == DischargeReason.PERSON_DECLINED:
            r.snomed_code = SNOMED_DECLINED
        r._discharge_content = content

    def then(r):
        now = r.discharged_at
        for connection in r.connections.select_for_update().filter(status=ConnectionStatus.ACTIVITY_CHOSEN):
            connection.status, connection.ended_at = ConnectionStatus.WITHDRAWN, now
            connection.save(update_fields=["status", "ended_at", "updated_at"])
            _connection_event(connection, actor=actor, action="withdraw", from_status=ConnectionStatus.ACTIVITY_CHOSEN,
                              note="Withdrawn at discharge", at=now)
        DischargeSummary.objects.update_or_create(referral=r, defaults={
            "reason": reason, "note": note, "content": r._discharge_content, "prepared_at": now,
            "prepared_by": actor.user, "prepared_by_label": actor.label, "final_at": now,
        })
        # The message back to the GP, from the summary just made final (sent once this commits).
        gp_messages.send_discharge_message(r, actor=actor)

    # The referrer hears that the person could not be contacted in its own words (if they agreed to feedback).
    notify = (NotificationKind.NOT_CONTACTABLE_TO_REFERRER if reason == DischargeReason.NOT_CONTACTABLE
              else NotificationKind.FEEDBACK_TO_REFERRER)
    return _step(referral, actor=actor, action="discharge", note=note, change=change, then=then,
                 same=lambda r: r.discharge_reason == reason, notify=notify)


def _check_enough_attempts(referral: Referral) -> None:
    """"Could not be contacted" only after the service's number of failed attempts, none of them reaching the person."""
    needed = referral.service.attempts_before_not_contactable
    if has_held_contact(referral):
        raise ReferralError("The person has been contacted (a contact was held), so they cannot be discharged as "
                            "“could not be contacted”. Choose another reason.", field="reason")
    made = failed_contact_attempts(referral)
    if made < needed:
        raise ReferralError(
            f"Record {needed} attempts to contact the person before discharging as “could not be contacted”: "
            f"{made} of {needed} so far (calls not answered, or contacts they did not attend).", field="reason",
        )


def raise_alert(referral: Referral, kind: str, *, connection: Connection | None = None) -> Alert | None:
    """Open an alert of ``kind`` unless one is already open (returns the new alert, or None)."""
    with transaction.atomic():
        if Alert.objects.open().filter(referral=referral, kind=kind).exists():
            return None
        return Alert.objects.create(referral=referral, kind=kind, connection=connection)


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
    connection = task.connection
    if (task.kind == NotificationKind.FIRST_SESSION_FOR_RESIDENT and connection is not None
            and connection.status == ConnectionStatus.FIRST_SESSION_BOOKED and referral.is_open):
        connection_mark_resident_notified(connection=connection, actor=actor,
                                          note=note or "Told by " + task.get_channel_display().lower())
    return task


# After a message has gone ------------------------------------------------------------------


def connection_mark_resident_notified_by_message(*, notification: Notification) -> bool:
    """Move the connection to "resident notified" now that its first-session message has gone
    (``referrals.tasks`` calls this after each successful send); True if it moved.

    Robust to the connection having moved on (attendance already recorded, the session booked
    again): then nothing changes. Never raises: the message has gone whatever happens here.
    """
    if notification.kind != NotificationKind.FIRST_SESSION_FOR_RESIDENT or notification.connection_id is None:
        return False
    try:
        connection = Connection.objects.select_related("referral").get(pk=notification.connection_id)
        if connection.status != ConnectionStatus.FIRST_SESSION_BOOKED or not connection.referral.is_open:
            return False
        if notification.is_about_an_earlier_booking():
            return False
        connection_mark_resident_notified(
            connection=connection, actor=SYSTEM, note=f"Sent by {notification.get_channel_display().lower()}"
        )
    except ReferralError as error:
        logger.info("Connection %s not marked as notified: %s", notification.connection_id, type(error).__name__)
        return False
    except Exception as error:  # noqa: BLE001 - the sweep tries again (resident_notified_repairs)
        logger.warning("Connection %s not marked as notified: %s; the sweep will retry", notification.connection_id,
                       type(error).__name__)
        return False
    return True


def resident_notified_repairs() -> int:
    """Record "resident notified" where the first-session message went but the step is missing
    (the process stopped between the two); returns how many connections moved."""
    latest_booking = Subquery(
        ReferralEvent.objects.filter(connection=OuterRef("connection"), action="book_first_session")
        .order_by("-at").values("at")[:1]
    )
    missed = Notification.objects.annotate(latest_booking=latest_booking).filter(
        kind=NotificationKind.FIRST_SESSION_FOR_RESIDENT,
        channel__in=(Channel.EMAIL, Channel.TEXT),
        status=DeliveryStatus.SENT,
        connection__status=ConnectionStatus.FIRST_SESSION_BOOKED,
        referral__status__in=sorted(OPEN),
        created_at__gte=F("latest_booking"),
    )
    return sum(connection_mark_resident_notified_by_message(notification=notification) for notification in missed)
