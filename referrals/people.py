"""One record per person within a service: finding the person a new referral is for, joining two
records made in error, and the person's earlier referrals.

- **By NHS number** a new referral joins the record the service already holds (``known_person``):
  no one has to confirm it. The staff form, the API and the online self-referral all come through
  ``resident_for_referral`` (from ``services.referral_create_for_new_resident``). Staff and API
  tokens update the record's contact details and practice with what they newly give; an online
  self-referral (no one signed in, so no one vouches for it) only fills the record's blanks, and
  what it gave that differs is kept in the referral's event log for triage to check with the person.
  Otherwise anyone who knew a person's NHS number could redirect their letters and calls.
- **By name, date of birth and postcode** a record is only a *possible* match
  (``possible_matches``): triage confirms it and joins the two (``resident_merge``).
- Nothing crosses between services: every look-up is within one service, and the unique constraint
  ``one_record_per_nhs_number_in_a_service`` holds it even when two referrals arrive at once.
- Joining two records leaves both referrals as they were, open ones too: triage then sees both on
  the person's record and closes whichever is not needed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from directory.postcodes import PostcodeError, normalise_postcode
from referrals.audit import audit
from referrals.choices import AuditAction, ReferralStatus
from referrals.errors import ReferralError
from referrals.models import Consent, Referral, ReferralEvent, Resident
from referrals.permissions import (
    check_may_merge_residents,
    may_merge_residents,
    team_referrals_visible_to,
)
from referrals.roles import Actor
from referrals.validators import normalise_nhs_number

# The event written on a referral that joined a person's record (when it came in, or when two were joined).
JOINED_ACTION = "joined_to_earlier_record"
JOINED_NOTE = "Joined to the person's earlier record."
MERGED_WHAT = "resident records merged"

# What a new referral from staff or an API token brings up to date on the person's record.
_UPDATED_FROM_REFERRAL = ("address", "postcode", "phone", "email", "accessibility_needs")
# The practice is one answer given three ways (listed practice, none, as written): replaced together.
_PRACTICE = ("practice_id", "has_no_gp", "gp_practice")
# Personal data a joined (duplicate) record gives to the kept one and then no longer holds.
_PERSONAL = ("first_name", "last_name", "address", "postcode", "phone", "email", "accessibility_needs",
             "gp_practice", "nhs_number")
_FILLED_FROM_DUPLICATE = (*_PERSONAL, "date_of_birth", "practice_id")
_FIELD_WORDS = {
    "address": "address", "postcode": "postcode", "phone": "phone", "email": "email",
    "accessibility_needs": "accessibility needs", "preferred_contact": "how to contact them",
    "practice_id": "GP practice", "has_no_gp": "GP practice", "gp_practice": "GP practice",
    "interpreter_needed": "interpreter", "language": "language", "date_of_birth": "date of birth",
}


# Finding the person -----------------------------------------------------------------------------


def _people(service) -> QuerySet:
    """The service's records that stand for a person: not joined to another, not anonymised."""
    service_id = getattr(service, "pk", service)
    return Resident.objects.filter(service_id=service_id, merged_into__isnull=True, anonymised_at__isnull=True)


def known_person(service, *, nhs_number: str, lock: bool = False) -> Resident | None:
    """The service's record of the person with this NHS number (however it was typed), or None."""
    digits = normalise_nhs_number(nhs_number)
    if not digits:
        return None
    people = _people(service).filter(nhs_number=digits)
    if lock:
        people = people.select_for_update()
    return people.order_by("created_at", "pk").first()


def _words(value: str) -> str:
    """A name or postcode as compared: upper case, single spaces, no spaces at the ends."""
    return re.sub(r"\s+", " ", value or "").strip().upper()


def _same_details(a: Resident, b: Resident) -> bool:
    return (
        a.date_of_birth == b.date_of_birth
        and _words(a.first_name) == _words(b.first_name)
        and _words(a.last_name) == _words(b.last_name)
        and _postcode(a.postcode) == _postcode(b.postcode)
    )


def _postcode(value: str) -> str:
    """A postcode as compared: "bh151ab" and "BH15 1AB" are one postcode."""
    try:
        return normalise_postcode(value)
    except PostcodeError:
        return _words(value)


def possible_matches(resident: Resident) -> list[Resident]:
    """Other records in ``resident``'s service with the same first and last name, date of birth and
    postcode, for a member of staff to confirm. Each of the four must be known; a record whose NHS
    number differs from this one's is someone else. Oldest first."""
    if resident.date_of_birth is None or not all(
        _words(value) for value in (resident.first_name, resident.last_name, resident.postcode)
    ):
        return []
    candidates = (
        _people(resident.service_id).filter(date_of_birth=resident.date_of_birth)
        .exclude(pk=resident.pk).order_by("created_at", "pk")
    )
    return [
        other for other in candidates
        if _same_details(resident, other)
        and not (resident.nhs_number and other.nhs_number and resident.nhs_number != other.nhs_number)
    ]


# A new referral's person ------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonForReferral:
    """Whose record a new referral goes on: a new one, or the one the service already held (``joined``),
    with what to say about it in the referral's event log."""

    resident: Resident
    joined: bool = False
    note: str = ""


def _vouched_for(actor: Actor) -> bool:
    """Staff and API tokens act for the service; the online self-referral form (no one signed in) does not."""
    return actor.user is not None or bool(actor.roles)


def _validation_error(error: ValidationError) -> ReferralError:
    if hasattr(error, "error_dict"):
        field, messages = next(iter(error.message_dict.items()))
        return ReferralError(messages[0], field=None if field == "__all__" else field)
    return ReferralError(error.messages[0])


def resident_for_referral(*, service, actor: Actor, fields: dict) -> PersonForReferral:
    """The record a new referral into ``service`` goes on, given the person's details (``fields``):
    the service's record of the person if their NHS number is known, otherwise a new one.

    Call it inside the transaction that makes the referral. Two referrals for one new NHS number
    at once both make a new record; the database lets only one through, and the other joins it.
    """
    candidate = Resident(service=service, **fields)
    candidate.nhs_number = normalise_nhs_number(candidate.nhs_number)
    try:
        # The unique NHS number is checked by looking (below) and by the database, not here.
        candidate.full_clean(validate_constraints=False)
    except ValidationError as error:
        raise _validation_error(error) from None
    if candidate.nhs_number:
        known = known_person(service, nhs_number=candidate.nhs_number, lock=True)
        if known is not None:
            return _join(known, candidate, actor=actor)
    try:
        with transaction.atomic():  # a savepoint: the transaction goes on if another request won
            candidate.save()
    except IntegrityError:
        known = known_person(service, nhs_number=candidate.nhs_number, lock=True)
        if known is None:
            raise
        candidate.pk = None
        return _join(known, candidate, actor=actor)
    audit(actor, action=AuditAction.CREATE, what="resident record", resident=candidate)
    return PersonForReferral(candidate)


def _join(known: Resident, given: Resident, *, actor: Actor) -> PersonForReferral:
    """``known`` takes the new referral; what ``given`` says brings it up to date (or only fills its blanks,
    when no one vouches for it)."""
    vouched = _vouched_for(actor)
    changed, not_copied = [], []

    def offer(field: str, value, *, replace: bool) -> None:
        current = getattr(known, field)
        if value in ("", None) or value == current:
            return
        if replace or current in ("", None):
            setattr(known, field, value)
            changed.append(field)
        else:
            not_copied.append(field)

    for field in _UPDATED_FROM_REFERRAL:
        offer(field, getattr(given, field), replace=vouched)
    offer("date_of_birth", given.date_of_birth, replace=False)
    if vouched:
        offer("preferred_contact", given.preferred_contact, replace=True)
        if given.interpreter_needed:
            offer("interpreter_needed", True, replace=True)
            offer("language", given.language, replace=True)
    if any(getattr(given, field) not in ("", None, False) for field in _PRACTICE):
        if vouched or not any(getattr(known, field) not in ("", None, False) for field in _PRACTICE):
            for field in _PRACTICE:
                if getattr(known, field) != getattr(given, field):
                    setattr(known, field, getattr(given, field))
                    changed.append(field)
        elif any(getattr(known, field) != getattr(given, field) for field in _PRACTICE):
            not_copied.append("gp_practice")
    if changed:
        try:
            known.full_clean()
        except ValidationError as error:
            raise _validation_error(error) from None
        known.save()
    updated = _field_words(changed)
    audit(
        actor, action=AuditAction.CHANGE, resident=known,
        what="resident record: joined by a new referral (same NHS number)"
        + (f"; updated {', '.join(updated)}" if updated else ""),
    )
    return PersonForReferral(known, joined=True, note=_join_note(known, given, updated, not_copied))


def _field_words(fields) -> list[str]:
    words = []
    for field in fields:
        word = _FIELD_WORDS.get(field, field.replace("_", " "))
        if word not in words:
            words.append(word)
    return words


def _join_note(known: Resident, given: Resident, updated: list[str], not_copied: list[str]) -> str:
    lines = ["The NHS number matched a person the service already knows: this referral joined their record."]
    if updated:
        lines.append(f"Brought up to date from this referral: {', '.join(updated)}.")
    if not_copied:
        # Kept here (the event log is part of the record, and is cleared with it) so nothing given is lost.
        given_values = "; ".join(f"{_FIELD_WORDS.get(field, field)}: {_shown(given, field)}" for field in not_copied)
        lines.append(f"Given with this online self-referral but not copied to their record (check with the "
                     f"person): {given_values}.")
    if _words(known.first_name) != _words(given.first_name) or _words(known.last_name) != _words(given.last_name):
        lines.append(f"The name given ({given.full_name}) differs from the record's: check it is the same person.")
    return "\n".join(lines)


def _shown(resident: Resident, field: str) -> str:
    if field == "gp_practice":
        return resident.practice_name or "not given"
    value = getattr(resident, field)
    return value.strftime("%d/%m/%Y") if hasattr(value, "strftime") else str(value).replace("\n", ", ")


def record_joined(referral: Referral, person: PersonForReferral, *, actor: Actor) -> None:
    """Say in the new referral's event log that it joined the person's record."""
    if person.joined:
        ReferralEvent.objects.create(
            referral=referral, actor=actor.user, actor_label=actor.label, action=JOINED_ACTION,
            from_status=referral.status, to_status=referral.status, note=person.note,
        )


# Joining two records made in error --------------------------------------------------------------


def _lock_both(keep: Resident, duplicate: Resident) -> tuple[Resident, Resident]:
    # Always in the same order, so two people joining the same pair at once do not deadlock.
    locked = {r.pk: r for r in Resident.objects.select_for_update().filter(pk__in=[keep.pk, duplicate.pk]).order_by("pk")}
    if keep.pk not in locked or duplicate.pk not in locked:
        raise ReferralError("One of these records no longer exists. Reload the page.")
    return locked[keep.pk], locked[duplicate.pk]


def _refuse_merge(keep: Resident, duplicate: Resident) -> None:
    if keep.pk == duplicate.pk:
        raise ReferralError("These are the same record already.")
    if keep.service_id != duplicate.service_id:
        raise ReferralError("These records belong to different services: records are never joined across services.")
    if keep.anonymised_at or duplicate.anonymised_at:
        raise ReferralError("One of these records has had its personal data removed, so it cannot be joined.")
    if keep.merged_into_id or duplicate.merged_into_id:
        raise ReferralError("One of these records has already been joined to another. Reload the page.")
    if keep.nhs_number and duplicate.nhs_number and keep.nhs_number != duplicate.nhs_number:
        raise ReferralError(
            "These records have different NHS numbers, so they are not the same person. If one number was "
            "typed wrongly, correct it first."
        )


def resident_merge(*, keep: Resident, duplicate: Resident, actor: Actor, note: str = "") -> Resident:
    """Join ``duplicate`` (a record made in error) to ``keep``: its referrals and consents move to ``keep``,
    whose blanks it fills; it keeps no personal data and points at ``keep``. Triage staff of the
    service only (``permissions.may_merge_residents``); audited on both records."""
    with transaction.atomic():
        keep, duplicate = _lock_both(keep, duplicate)
        check_may_merge_residents(actor, keep)
        check_may_merge_residents(actor, duplicate)
        _refuse_merge(keep, duplicate)
        now = timezone.now()
        filled = [field for field in _FILLED_FROM_DUPLICATE
                  if getattr(keep, field) in ("", None) and getattr(duplicate, field) not in ("", None)]
        values = {field: getattr(duplicate, field) for field in filled}
        if "practice_id" in filled:
            values["has_no_gp"] = False
        moved = list(Referral.objects.filter(resident=duplicate).order_by("received_at", "pk"))
        Referral.objects.filter(resident=duplicate).update(resident=keep)
        Consent.objects.filter(resident=duplicate).update(resident=keep)
        # The duplicate gives up its NHS number before the kept record takes it (one record per number).
        for field in _PERSONAL:
            setattr(duplicate, field, "")
        duplicate.date_of_birth, duplicate.practice, duplicate.has_no_gp = None, None, False
        duplicate.merged_into, duplicate.merged_at = keep, now
        duplicate.save()
        for field, value in values.items():
            setattr(keep, field, value)
        if values:
            keep.save()
        why = f" Note: {note}" if note else ""
        for referral in moved:
            ReferralEvent.objects.create(
                referral=referral, at=now, actor=actor.user, actor_label=actor.label, action=JOINED_ACTION,
                from_status=referral.status, to_status=referral.status, note=f"{JOINED_NOTE}{why}",
            )
        filled_words = _field_words(filled)
        detail = f"; filled {', '.join(filled_words)}" if filled_words else ""
        audit(actor, action=AuditAction.CHANGE, what=MERGED_WHAT, resident=keep,
              reason=f"kept; joined record {duplicate.pk}{detail}. {note}".strip())
        audit(actor, action=AuditAction.CHANGE, what=MERGED_WHAT, resident=duplicate,
              reason=f"joined to record {keep.pk}; its personal data removed. {note}".strip())
    return keep


def kept_and_duplicate(a: Resident, b: Resident) -> tuple[Resident, Resident]:
    """Which of two records of one person to keep: the earlier one (the person's history starts there)."""
    return (a, b) if (a.created_at, a.pk) <= (b.created_at, b.pk) else (b, a)


# The person's history ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EarlierReferral:
    referral: Referral
    received_at: datetime
    ended_at: datetime | None
    status_label: str
    how_it_ended: str
    url: str = ""

    @property
    def reference(self) -> str:
        return self.referral.reference


def ended_at(referral: Referral) -> datetime | None:
    """When the person's support through this referral ended (discharged, declined, not eligible), if it has."""
    ends = [at for at in (referral.discharged_at, referral.declined_at, referral.not_eligible_at) if at]
    return max(ends) if ends else None


def how_it_ended(referral: Referral) -> str:
    status = referral.status
    if status == ReferralStatus.DISCHARGED:
        reason = referral.get_discharge_reason_display() if referral.discharge_reason else ""
        return f"Discharged: {reason}" if reason else "Discharged"
    if status == ReferralStatus.DECLINED_BY_PERSON:
        return "The person declined social prescribing"
    if status == ReferralStatus.NOT_ELIGIBLE:
        reason = referral.get_not_eligible_reason_display() if referral.not_eligible_reason else ""
        return f"Not eligible: {reason}" if reason else "Not eligible"
    if status == ReferralStatus.REDIRECTED:
        where = referral.redirected_to_name or (referral.redirected_to_service.name
                                                if referral.redirected_to_service_id else "")
        return f"Redirected to {where}" if where else "Redirected to another service"
    return f"Still open ({referral.get_status_display().lower()})"


def earlier_referrals(referral: Referral, *, actor: Actor | None = None) -> list[EarlierReferral]:
    """The person's other referrals to this service, newest first: when each came, how it ended, and a
    link to each one ``actor`` may open (every one, when no actor is given: triage's own pages)."""
    others = list(
        Referral.objects.filter(resident_id=referral.resident_id, service_id=referral.service_id)
        .exclude(pk=referral.pk).select_related("redirected_to_service").order_by("-received_at", "-pk")
    )
    if actor is None:
        openable = {other.pk for other in others}
    else:
        openable = set(team_referrals_visible_to(actor, Referral.objects.filter(pk__in=[o.pk for o in others]))
                       .values_list("pk", flat=True))
    return [
        EarlierReferral(
            referral=other, received_at=other.received_at, ended_at=ended_at(other),
            status_label=other.get_status_display(), how_it_ended=how_it_ended(other),
            url=reverse("referrals:referral", kwargs={"pk": other.pk}) if other.pk in openable else "",
        )
        for other in others
    ]


@dataclass(frozen=True)
class Rereferral:
    """A referral for someone whose support here ended shortly before: the earlier referral, and how long before."""

    earlier: EarlierReferral
    days: int
    period_days: int


def is_rereferral(referral: Referral, *, history: list[EarlierReferral] | None = None) -> Rereferral | None:
    """Whether the person's support here ended (discharged, declined, or not eligible) within the service's
    re-referral period before this referral was received; with that earlier referral. A period of 0 turns
    the flag off."""
    period = referral.service.rereferral_days
    if not period:
        return None
    since = referral.received_at - timedelta(days=period)
    history = earlier_referrals(referral) if history is None else history
    ended = [item for item in history
             if item.ended_at is not None and since <= item.ended_at <= referral.received_at
             and item.received_at <= referral.received_at]
    if not ended:
        return None
    latest = max(ended, key=lambda item: item.ended_at)
    return Rereferral(earlier=latest, days=(referral.received_at - latest.ended_at).days, period_days=period)


# What the pages show ----------------------------------------------------------------------------


def history_context(referral: Referral, *, actor: Actor) -> dict:
    """For the referral page: the person's other referrals (linked where ``actor`` may open them) and the
    re-referral flag."""
    history = earlier_referrals(referral, actor=actor)
    return {"earlier_referrals": history, "rereferral": is_rereferral(referral, history=history)}


@dataclass(frozen=True)
class PossibleMatch:
    resident: Resident
    referrals: list
    url: str = ""


def triage_context(referral: Referral, *, actor: Actor | None = None) -> dict:
    """For the triage page (``templates/referrals/includes/person_matches.html``): the re-referral flag,
    the person's other referrals, and the records that may be the same person, each with the page to
    join them (for those who may)."""
    history = earlier_referrals(referral, actor=actor)
    can_merge = actor is None or may_merge_residents(actor, referral.resident)
    matches = []
    for other in possible_matches(referral.resident):
        url = reverse("referrals:same_person", kwargs={"pk": referral.pk, "match_id": other.pk}) if can_merge else ""
        matches.append(PossibleMatch(
            resident=other, url=url,
            referrals=list(other.referrals.filter(service_id=referral.service_id).order_by("-received_at", "-pk")),
        ))
    return {
        "earlier_referrals": history,
        "rereferral": is_rereferral(referral, history=history),
        "person_matches": matches,
    }
