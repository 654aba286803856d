"""A link worker's contacts with the person: booked, held, missed, or attempts that did not reach them.

Each is a ``Contact`` on the referral. The first *held* contact is the pathway's "first contact"
step (``record_contact``: triaged → contacted), taken through ``referrals.services`` in the same
transaction, so its event, time stamp, cleared alert and audit entry are the step's as before.
Attempts before any held contact (could not reach, did not attend) count towards closing the
referral as "could not be contacted" (``SocialPrescribingService.attempts_before_not_contactable``,
3 unless set); that close is the pathway's own close step with ``Outcome.NOT_CONTACTABLE``, and
the referrer is told (``NOT_CONTACTABLE_TO_REFERRER``, if they agreed to feedback).

A booked contact is a contact in the future; the day before it (UK time), the person is reminded
of it by their preferred route (``queue_contact_reminders``: hourly in the worker, the
``queue_contact_reminders`` command by hand), once. Who may do what is ``referrals.permissions``
(only the allocated link worker records and books; triage reads).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django_tasks import task

from referrals import services
from referrals.audit import audit
from referrals.choices import (
    AlertKind,
    AuditAction,
    ContactMethod,
    ContactStatus,
    NotificationKind,
    DischargeReason,
)
from referrals.choices import ReferralStatus as S
from referrals.errors import InvalidTransition, ReferralError
from referrals.models import Contact, Referral
from referrals.notifications.messages import clock_time
from referrals.notifications.outbox import queue_notifications
from referrals.permissions import check_may_record_contacts
from referrals.roles import Actor
from referrals.workflow import OPEN

logger = logging.getLogger(__name__)

# A referral takes contacts once it has a link worker (triaged) until it is finished.
TAKES_CONTACTS = OPEN - {S.RECEIVED}
# What a contact can turn out to be (a booked one may also be cancelled).
OUTCOMES = (ContactStatus.HELD, ContactStatus.DID_NOT_ATTEND, ContactStatus.COULD_NOT_REACH)
RESULTS = (*OUTCOMES, ContactStatus.CANCELLED)
FAILED = (ContactStatus.DID_NOT_ATTEND, ContactStatus.COULD_NOT_REACH)
MIN_MINUTES, MAX_MINUTES = 1, 600
# A clock a few minutes fast is not "in the future".
CLOCK_SLACK = timedelta(minutes=5)
# How far ahead a contact can be booked.
BOOK_AHEAD = timedelta(days=366)
NOTE_MAX = 5000
# Reminders go in the day (UK time): never a text at 3am.
REMINDER_HOURS = range(8, 20)


def when_in_words(moment: datetime) -> str:
    """"Tuesday 8 December 2026 at 10:30am" (UK time)."""
    local = timezone.localtime(moment)
    return f"{date_format(local, 'l j F Y')} at {clock_time(local)}"


def _check_method(method: str) -> None:
    if method not in ContactMethod.values:
        raise ReferralError("Choose how the contact was made (face to face, phone, video and so on).", field="method")


def _check_note(note: str) -> str:
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ReferralError(f"Keep the note to {NOTE_MAX:,} characters or fewer.", field="note")
    return note


def _check_duration(status: str, duration_minutes: int | None) -> int | None:
    if duration_minutes is None:
        if status == ContactStatus.HELD:
            raise ReferralError("Enter how long the contact lasted, in minutes.", field="duration_minutes")
        return None
    if not MIN_MINUTES <= duration_minutes <= MAX_MINUTES:
        raise ReferralError(
            f"Enter how long the contact lasted as a number of minutes from {MIN_MINUTES} to {MAX_MINUTES} "
            f"({MAX_MINUTES // 60} hours).", field="duration_minutes",
        )
    return duration_minutes if status == ContactStatus.HELD else None


def _check_happened(at: datetime, *, now: datetime, referral: Referral) -> None:
    if at > now + CLOCK_SLACK:
        raise ReferralError(
            f"That contact is in the future ({when_in_words(at)}): record what happened once it has, or book it.",
            field="at",
        )
    if timezone.localdate(at) < timezone.localdate(referral.received_at):
        raise ReferralError(
            f"The contact cannot be before the referral was received "
            f"({date_format(timezone.localtime(referral.received_at), 'j F Y')}).", field="at",
        )


def _locked(referral: Referral, actor: Actor) -> Referral:
    locked = Referral.objects.select_for_update(of=("self",)).select_related("service").get(pk=referral.pk)
    check_may_record_contacts(actor, locked)
    if locked.status not in TAKES_CONTACTS:
        raise InvalidTransition(
            f"This referral is {locked.get_status_display().lower()}: contacts can be recorded only while it is "
            "open and has a link worker."
        )
    return locked


def _after_held(locked: Referral, contact: Contact, actor: Actor) -> None:
    """The first held contact is the pathway's "first contact" step (triaged → contacted); a held review
    ends the "past expected length" alert."""
    if contact.status != ContactStatus.HELD:
        return
    if locked.status == S.TRIAGED:
        minutes = f", {contact.duration_minutes} minutes" if contact.duration_minutes else ""
        services.referral_record_contact(referral=locked, actor=actor, note=f"{contact.get_method_display()}{minutes}")
    if contact.is_review:
        services.clear_alerts(locked, kinds={AlertKind.PAST_EXPECTED_LENGTH}, actor=actor, action="review_contact")


def contact_book(
    *, referral: Referral, actor: Actor, at: datetime | None, method: str, note: str = "", is_review: bool = False,
    now: datetime | None = None,
) -> Contact:
    """Book the next contact with the person (they are reminded the day before)."""
    now = now or timezone.now()
    _check_method(method)
    note = _check_note(note)
    if at is None:
        raise ReferralError("Enter the date and time of the contact.", field="at")
    if at <= now:
        raise ReferralError("A booked contact must be in the future. To record one that has happened, use "
                            "“Record a contact”.", field="at")
    if at > now + BOOK_AHEAD:
        raise ReferralError("Book a contact within the next year.", field="at")
    with transaction.atomic():
        locked = _locked(referral, actor)
        contact = Contact.objects.create(
            referral=locked, at=at, method=method, status=ContactStatus.BOOKED, is_review=is_review, note=note,
            recorded_by=actor.user, recorded_by_label=actor.label,
        )
        audit(actor, action=AuditAction.CREATE, what="contact booked", referral=locked)
    return contact


def contact_record(
    *, referral: Referral, actor: Actor, at: datetime | None, method: str, status: str,
    duration_minutes: int | None = None, note: str = "", is_review: bool = False, now: datetime | None = None,
) -> Contact:
    """Record a contact that was not booked (or an attempt to reach the person) after it happened."""
    now = now or timezone.now()
    _check_method(method)
    if status not in OUTCOMES:
        raise ReferralError("Say whether the contact was held, the person did not attend, or you could not reach "
                            "them.", field="status")
    if at is None:
        raise ReferralError("Enter the date and time of the contact.", field="at")
    note = _check_note(note)
    duration_minutes = _check_duration(status, duration_minutes)
    with transaction.atomic():
        locked = _locked(referral, actor)
        _check_happened(at, now=now, referral=locked)
        contact = Contact.objects.create(
            referral=locked, at=at, method=method, status=status, duration_minutes=duration_minutes,
            is_review=is_review, note=note, recorded_by=actor.user, recorded_by_label=actor.label,
        )
        audit(actor, action=AuditAction.CREATE, what=f"contact: {contact.get_status_display().lower()}",
              referral=locked)
        _after_held(locked, contact, actor)
    return contact


def contact_record_result(
    *, contact: Contact, actor: Actor, status: str, duration_minutes: int | None = None, note: str = "",
    now: datetime | None = None,
) -> Contact:
    """What became of a booked contact: held, did not attend, could not reach, or cancelled."""
    now = now or timezone.now()
    if status not in RESULTS:
        raise ReferralError("Say whether the contact was held, the person did not attend, you could not reach "
                            "them, or it was cancelled.", field="status")
    note = _check_note(note)
    duration_minutes = _check_duration(status, duration_minutes)
    with transaction.atomic():
        locked_referral = _locked(contact.referral, actor)
        locked = Contact.objects.select_for_update().get(pk=contact.pk, referral=locked_referral)
        if locked.status != ContactStatus.BOOKED:
            if locked.status == status:
                return locked  # the same answer twice (a double click): recorded once
            raise InvalidTransition(
                f"This contact is already recorded as {locked.get_status_display().lower()}. Record another contact "
                "if something else happened."
            )
        if status != ContactStatus.CANCELLED:
            _check_happened(locked.at, now=now, referral=locked_referral)
        locked.status, locked.duration_minutes = status, duration_minutes
        if note:
            locked.note = f"{locked.note}\n\n{note}".strip() if locked.note else note
        locked.recorded_by, locked.recorded_by_label = actor.user, actor.label
        locked.save()
        audit(actor, action=AuditAction.CHANGE, what=f"contact: {locked.get_status_display().lower()}",
              referral=locked_referral)
        _after_held(locked_referral, locked, actor)
    return locked


# Could not be contacted ---------------------------------------------------------------------


def attempts_needed(referral: Referral) -> int:
    return referral.service.attempts_before_not_contactable


def discharge_not_contactable_preview(*, referral: Referral, actor: Actor, note: str = "") -> dict:
    """The discharge summary for "could not be contacted", once enough attempts failed (checked again,
    under the referral's lock, when the discharge is confirmed)."""
    check_may_record_contacts(actor, referral)
    return services.referral_discharge_preview(referral=referral, actor=actor, reason=DischargeReason.NOT_CONTACTABLE,
                                               note=note)


# The day-before reminder --------------------------------------------------------------------


def contacts_to_remind(*, now: datetime):
    """Booked contacts tomorrow (UK date) on open referrals whose reminder has not been queued."""
    tomorrow = timezone.localdate(now) + timedelta(days=1)
    start = timezone.make_aware(datetime.combine(tomorrow, datetime.min.time()))
    end = timezone.make_aware(datetime.combine(tomorrow + timedelta(days=1), datetime.min.time()))
    return Contact.objects.filter(
        status=ContactStatus.BOOKED, reminder_queued_at__isnull=True, at__gte=start, at__lt=end,
        referral__status__in=sorted(TAKES_CONTACTS),
    ).order_by("at", "pk")


def queue_contact_reminders(*, now: datetime | None = None) -> int:
    """Queue a reminder by the person's preferred route for each contact booked tomorrow; returns how many.

    Each is queued once (``Contact.reminder_queued_at``, set in the reminder's transaction under a
    row lock), so the job can run hourly, twice at once, or by hand. Outside the day's hours it waits.
    """
    now = now or timezone.now()
    if timezone.localtime(now).hour not in REMINDER_HOURS:
        return 0
    queued = 0
    for pk in list(contacts_to_remind(now=now).values_list("pk", flat=True)):
        with transaction.atomic():
            contact = (
                Contact.objects.select_for_update(of=("self",)).select_related("referral", "referral__resident")
                .filter(pk=pk, status=ContactStatus.BOOKED, reminder_queued_at__isnull=True).first()
            )
            if contact is None:
                continue
            queue_notifications(contact.referral, NotificationKind.CONTACT_REMINDER, context={
                "contact": contact,
                "contact_when": when_in_words(contact.at),
                "contact_time": clock_time(timezone.localtime(contact.at)),
                "contact_method": contact.get_method_display().lower(),
            })
            contact.reminder_queued_at = now
            contact.save(update_fields=["reminder_queued_at", "updated_at"])
            queued += 1
    logger.info("Contact reminders queued: %s", queued)
    return queued


@task()
def queue_contact_reminders_task() -> int:
    """The hourly job for the worker (enqueued by ``pages.scheduler``)."""
    return queue_contact_reminders()
