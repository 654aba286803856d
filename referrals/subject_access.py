"""A resident's rights over their data: everything Signpost holds about them (subject access), and
erasure where no duty to keep it applies.

``subject_access_export`` gathers it as one plain dict, which the readable page and the JSON
download both show, so the two cannot disagree. ``erase_resident`` removes the personal data
through the retention routines (``referrals.retention``): the same fields go as at the end of the
retention period, at once, recorded as an erasure with its grounds. Both are audited (actions
"export" and "erase"); who may do either is ``referrals.permissions``.

What is kept after an erasure, and why, is ``docs/retention.md``. In short: the audit trail (ids,
never personal data), the referral's event log without its notes, the time stamps and codes
reporting counts, and that each message was sent, without its recipient or words.

An erasure is refused while any of the resident's referrals is open (the service still owes them
care and a provider may be expecting them): discharge them, or record that the person declined, first.

A discharged person may be referred again later: each of their referrals is exported, with its
connections (the activities and services they were connected to, and what came of each) and its
discharge summary as it was sent.
All of a resident's records are erased in one transaction, with their referrals locked: all, or none.
"""

from __future__ import annotations

import re
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from referrals.audit import audit
from referrals.choices import AuditAction, ConnectionStatus, ReferralStatus
from referrals.errors import ReferralError
from referrals.models import (
    AuditEntry,
    CarePlan,
    Connection,
    Consent,
    Referral,
    Resident,
)
from referrals.permissions import check_may_erase_resident, check_may_export_resident
from referrals.retention import (
    FINISHED,
    Removal,
    anonymise_referrals,
    anonymise_resident,
)
from referrals.roles import Actor
from referrals.workflow import CONNECTION_TRANSITIONS, REALLOCATE, TRANSITIONS

# The longest grounds for an erasure we keep (the audit entry holds them).
REASON_MAX_LENGTH = 1000

# What each step in a referral's event log is called, for a person reading their record.
STEP_NAMES = {
    "create": "Referral received",
    REALLOCATE.action: REALLOCATE.label,
    **{action: transition.label for action, transition in TRANSITIONS.items() if transition.label},
    **{action: transition.label for action, transition in CONNECTION_TRANSITIONS.items() if transition.label},
    "anonymise": "Personal data removed at the end of the retention period",
    "erase": "Personal data erased on request",
}

# What a format of the export is called in the audit trail.
FORMATS = {"document": "web page", "json": "JSON download"}

LINK_REMOVED = "[link removed: it let someone act without signing in]"


class ErasureRefused(ReferralError):
    """An erasure that cannot be done as asked: the message says what to do first."""


# Subject access ---------------------------------------------------------------------------


def subject_access_export(actor: Actor, resident: Resident, *, format: str = "document", path: str = "") -> dict:
    """Everything held about ``resident``, as plain data (strings, numbers, booleans, dates, lists
    and dicts). The export is audited first, so it lists itself among the looks at the record.

    Leaves out what would let someone act as Signpost: the emailed links' tokens (and the links in
    messages' text) and every key or hash.
    """
    check_may_export_resident(actor, resident)
    audit(actor, action=AuditAction.EXPORT, resident=resident,
          what=f"subject access export ({FORMATS.get(format, format)})", path=path)
    resident = Resident.objects.select_related("service").get(pk=resident.pk)
    referrals = list(
        Referral.objects.filter(resident=resident)
        .select_related("link_worker", "referred_by", "feedback", "discharge_summary")
        .prefetch_related("needs")
        .order_by("received_at", "pk")
    )
    references = {referral.pk: referral.reference for referral in referrals}
    return {
        "about": {
            "title": "Everything Signpost holds about " + (
                "a person whose details were removed" if resident.anonymised_at else resident.full_name
            ),
            "service": resident.service.name,
            "prepared_at": timezone.now(),
            "prepared_by": actor.label,
            "resident_id": resident.pk,
            "anonymised_at": resident.anonymised_at,
        },
        "resident": _resident(resident),
        "consents": [_consent(consent, references) for consent in
                     Consent.objects.filter(resident=resident).select_related("recorded_by", "withdrawn_recorded_by")
                     .order_by("recorded_at", "pk")],
        "referrals": [_referral(referral) for referral in referrals],
        "audit": [_audit_entry(entry, references) for entry in
                  AuditEntry.objects.filter(Q(resident_id=resident.pk) | Q(referral_id__in=list(references)))
                  .order_by("at", "pk")],
    }


def _person(user) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


def _resident(resident: Resident) -> dict:
    return {
        "first_name": resident.first_name,
        "last_name": resident.last_name,
        "date_of_birth": resident.date_of_birth,
        "nhs_number": resident.nhs_number,
        "address": resident.address,
        "postcode": resident.postcode,
        "phone": resident.phone,
        "email": resident.email,
        "preferred_contact": resident.get_preferred_contact_display(),
        "language": resident.language,
        "interpreter_needed": resident.interpreter_needed,
        "accessibility_needs": resident.accessibility_needs,
        "gp_practice": resident.practice_name,
        "created_at": resident.created_at,
        "anonymised_at": resident.anonymised_at,
    }


def _consent(consent: Consent, references: dict[int, str]) -> dict:
    return {
        "purpose": consent.get_purpose_display(),
        "referral": references.get(consent.referral_id, ""),
        "given": consent.given,
        "given_by": consent.given_by,
        "method": consent.get_method_display(),
        "recorded_at": consent.recorded_at,
        "recorded_by": _person(consent.recorded_by),
        "withdrawn_at": consent.withdrawn_at,
        "withdrawn_recorded_by": _person(consent.withdrawn_recorded_by),
        "withdrawal_note": consent.withdrawal_note,
    }


def _referral(referral: Referral) -> dict:
    feedback = getattr(referral, "feedback", None)
    return {
        "reference": referral.reference,
        "status": referral.get_status_display(),
        "source": referral.get_source_display(),
        "referrer": {
            "name": referral.referrer_name or _person(referral.referred_by),
            "role": referral.referrer_role,
            "organisation": referral.referrer_organisation,
            "email": referral.referrer_email,
            "phone": referral.referrer_phone,
        },
        "received_at": referral.received_at,
        "needs": [need.name for need in referral.needs.all()],
        "what_matters": referral.what_matters,
        "notes": referral.notes,
        "priority": referral.get_priority_display(),
        "tier": referral.get_tier_display() if referral.tier else "",
        "link_worker": _person(referral.link_worker),
        "snomed_code": referral.snomed_code,
        "contacted_at": referral.contacted_at,
        "discharge_reason": referral.get_discharge_reason_display() if referral.discharge_reason else "",
        "discharge_note": referral.discharge_note,
        "discharged_at": referral.discharged_at,
        "declined_at": referral.declined_at,
        "anonymised_at": referral.anonymised_at,
        "events": [
            {
                "at": event.at,
                "step": STEP_NAMES.get(event.action, event.action.replace("_", " ").capitalize()),
                "by": event.actor_label,
                "from_status": _status_name(event.from_status, of_connection=event.connection_id is not None),
                "to_status": _status_name(event.to_status, of_connection=event.connection_id is not None),
                "activity": event.activity.title if event.activity else "",
                "connection": _connection_name(event.connection),
                "note": event.note,
            }
            for event in referral.events.select_related("activity", "connection__activity").order_by("at", "pk")
        ],
        "notifications": [
            {
                "created_at": message.created_at,
                "kind": message.get_kind_display(),
                "channel": message.get_channel_display(),
                "to": message.recipient or _person(message.recipient_user) or (
                    message.recipient_organisation.title if message.recipient_organisation else ""
                ) or ("The social prescribing team" if message.recipient_service_id else ""),
                "subject": message.subject,
                "body": without_links(message.body),
                "status": message.get_status_display(),
                "sent_at": message.sent_at,
            }
            for message in referral.notifications.select_related("recipient_user", "recipient_organisation")
            .order_by("created_at", "pk")
        ],
        "wellbeing": [
            {
                "stage": score.get_stage_display(),
                "recorded_at": score.recorded_at,
                "life_satisfaction": score.life_satisfaction,
                "worthwhile": score.worthwhile,
                "happiness": score.happiness,
                "anxiety": score.anxiety,
                "answered_by": "The person themselves" if score.by_the_person else _person(score.recorded_by),
            }
            for score in referral.wellbeing_scores.select_related("recorded_by").order_by("recorded_at", "pk")
        ],
        "contacts": [
            {
                "at": contact.at,
                "method": contact.get_method_display(),
                "status": contact.get_status_display(),
                "duration_minutes": contact.duration_minutes,
                "review": contact.is_review,
                "note": contact.note,
                "recorded_by": contact.recorded_by_label,
            }
            for contact in referral.contacts.order_by("at", "pk")
        ],
        # The person's right of access covers these too; whether any is withheld (serious harm) is the
        # safeguarding lead's decision before the export is handed over.
        "safeguarding_concerns": [
            {
                "raised_at": concern.raised_at,
                "raised_by": concern.raised_by_label,
                "concern": concern.concern,
                "action_taken": concern.action_taken,
                "resolved_at": concern.resolved_at,
                "resolved_by": concern.resolved_by_label,
                "resolution": concern.resolution,
            }
            for concern in referral.safeguarding_concerns.order_by("raised_at", "pk")
        ],
        "feedback": {
            "submitted_at": feedback.submitted_at,
            "satisfaction": feedback.satisfaction,
            "comments": feedback.comments,
        } if feedback is not None else None,
        "alerts": [
            {
                "kind": alert.get_kind_display(),
                "connection": _connection_name(alert.connection),
                "raised_at": alert.raised_at,
                "cleared_at": alert.cleared_at,
                "cleared_by": _person(alert.cleared_by),
            }
            for alert in referral.alerts.select_related("cleared_by", "connection__activity")
            .order_by("raised_at", "pk")
        ],
        "connections": [_connection(connection) for connection in
                        referral.connections.select_related("activity", "provider").order_by("number")],
        "discharge_summary": _discharge_summary(referral),
        # What the GP practice was told, where and when (its words are the summary's, above, or the referral's).
        "gp_messages": [
            {
                "kind": message.get_kind_display(),
                "route": message.get_route_display(),
                "practice": message.practice.name if message.practice_id else "",
                "sent_to": message.recipient,
                "not_sent_because": message.not_sent_reason,
                "prepared_at": message.prepared_at,
                "prepared_by": message.prepared_by_label,
            }
            for message in referral.gp_messages.select_related("practice")
        ],
        "care_plan": _care_plan(referral),
        # That a link was emailed, to whom and whether it was used: never its id or token.
        "provider_links": [
            {
                "action": STEP_NAMES.get(link.action, link.action),
                "connection": _connection_name(link.connection),
                "organisation": link.organisation.title,
                "created_at": link.created_at,
                "expires_at": link.expires_at,
                "used_at": link.used_at,
            }
            for link in referral.action_links.select_related("organisation", "connection__activity")
            .order_by("created_at")
        ],
    }


def _status_name(status: str, *, of_connection: bool) -> str:
    """A status in words: a connection's step moves the connection, the others the referral."""
    names = dict(ConnectionStatus.choices if of_connection else ReferralStatus.choices)
    return str(names.get(status, status.replace("_", " ").capitalize())) if status else ""


def _connection_name(connection: Connection | None) -> str:
    return f"{connection.number}. {connection.name}" if connection is not None else ""


def _connection(connection: Connection) -> dict:
    """One activity or service the person was connected to, and what came of it."""
    return {
        "number": connection.number,
        "kind": connection.get_kind_display(),
        "name": connection.name,
        "provider": connection.provider.title if connection.provider_id else "",
        "service_contact": connection.service_contact,
        "status": connection.get_status_display(),
        "created_at": connection.created_at,
        "sent_to_provider_at": connection.sent_to_provider_at,
        "provider_decline_reason": connection.get_provider_decline_reason_display()
        if connection.provider_decline_reason else "",
        "provider_decline_note": connection.provider_decline_note,
        "first_session_at": connection.first_session_at,
        "first_session_note": connection.first_session_note,
        "outcome_note": connection.outcome_note,
        "ended_at": connection.ended_at,
    }


# The discharge summary's sections, as the person reads them.
SUMMARY_SECTIONS = {
    "person": "About you",
    "referral": "The referral",
    "contacts": "Contacts with the link worker",
    "plan": "Care and support plan",
    "connections": "Activities and services",
    "wellbeing": "Wellbeing (before and after)",
    "discharge": "Discharge",
}


def _label(key: str) -> str:
    return key.replace("_", " ").capitalize()


def _value(value) -> str:
    if value is None or value == "":
        return "not recorded"
    if value is True or value is False:
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_value(item) for item in value) or "none"
    if isinstance(value, dict):
        return "; ".join(f"{_label(key)}: {_value(item)}" for key, item in value.items())
    return str(value)


def _summary_lines(value) -> list[str]:
    """A section of the summary's content as lines of words ("Name: Margaret Oyelaran"); a list of
    records (goals, connections) gives a line each."""
    if isinstance(value, dict):
        lines = []
        for key, item in value.items():
            if isinstance(item, list) and any(isinstance(entry, dict) for entry in item):
                lines.extend(f"{_label(key)}: {_value(entry)}" for entry in item)
            elif isinstance(item, dict):
                lines.extend(f"{_label(key)}: {line}" for line in _summary_lines(item))
            else:
                lines.append(f"{_label(key)}: {_value(item)}")
        return lines
    if isinstance(value, list):
        return [_value(item) for item in value]
    return [_value(value)]


def _discharge_summary(referral: Referral) -> dict | None:
    """The discharge summary: the link worker's reason and note, and its content as it was sent (the
    referrer and GP get the same), in words. Nothing but the reason is left once the person's data is removed."""
    summary = getattr(referral, "discharge_summary", None)
    if summary is None:
        return None
    content = summary.content if isinstance(summary.content, dict) else {}
    return {
        "reason": summary.get_reason_display(),
        "note": summary.note,
        "prepared_at": summary.prepared_at,
        "prepared_by": summary.prepared_by_label,
        "final_at": summary.final_at,
        "content": [
            {"section": SUMMARY_SECTIONS.get(key, _label(key)), "lines": _summary_lines(value)}
            for key, value in content.items()
            if key not in ("fingerprint", "anonymised")
        ],
    }


def _care_plan(referral: Referral) -> dict | None:
    """The person's care and support plan as it stands, and every version of it kept (the history)."""
    plan = CarePlan.objects.filter(referral=referral).first()
    if plan is None:
        return None
    return {
        "created_at": plan.created_at,
        "what_matters": plan.what_matters,
        "goals": [
            {"description": goal.description, "status": goal.get_status_display(), "review_on": goal.review_on}
            for goal in plan.goals.order_by("created_at", "pk")
        ],
        "actions": [
            {"description": action.description, "who": action.who, "due_on": action.due_on,
             "done_at": action.done_at}
            for action in plan.actions.order_by("created_at", "pk")
        ],
        "history": [
            {"version": version.number, "at": version.at, "by": version.actor_label, "change": version.change,
             "content": version.content}
            for version in plan.versions.order_by("number")
        ],
    }


def _audit_entry(entry: AuditEntry, references: dict[int, str]) -> dict:
    return {
        "at": entry.at,
        "by": entry.actor_label,
        "action": entry.get_action_display(),
        "what": entry.what,
        "referral": references.get(entry.referral_id, ""),
        "reason": entry.reason,
    }


def _link_pattern() -> re.Pattern:
    """Any URL to a page that acts on a signed token in its path (a provider's link, a resident's answers,
    the person's copy of their plan)."""
    prefixes = [
        re.escape(reverse(name, args=["TOKEN"]).split("TOKEN")[0])
        for name in ("referrals:provider_link", "referrals:resident_answers", "referrals:care_plan_public")
    ]
    return re.compile(r"\S*(?:" + "|".join(prefixes) + r")[^\s/]+/?")


def without_links(text: str) -> str:
    """``text`` with every link that carries a signed token replaced by a note saying so."""
    return _link_pattern().sub(LINK_REMOVED, text) if text else text


# Erasure ----------------------------------------------------------------------------------


def erase_resident(actor: Actor, resident: Resident, reason: str, *, now: datetime | None = None) -> Resident:
    """Remove ``resident``'s personal data now, giving ``reason`` (the grounds: required, kept in the
    audit trail). Refused (``ErasureRefused``) while a referral of theirs is open, or when there is
    nothing left to erase; ``NotPermitted`` for anyone but their service's triage or administrators.
    """
    check_may_erase_resident(actor, resident)
    reason = (reason or "").strip()
    if not reason:
        raise ErasureRefused("Enter the grounds for erasing this person's data.", field="reason")
    if len(reason) > REASON_MAX_LENGTH:
        raise ErasureRefused(f"Keep the grounds to {REASON_MAX_LENGTH:,} characters or fewer.", field="reason")
    now = now or timezone.now()
    with transaction.atomic():
        # Lock the referrals first (as retention does), so a step on one of them waits for us, or we for it.
        referrals = list(
            Referral.objects.select_for_update().filter(resident_id=resident.pk).order_by("pk")
            .values_list("pk", "reference", "status", "anonymised_at")
        )
        locked = Resident.objects.select_for_update().get(pk=resident.pk)
        still_open = [(reference, status) for _, reference, status, _ in referrals if status not in FINISHED]
        if still_open:
            names = ", ".join(f"{reference} ({Referral(status=status).get_status_display().lower()})"
                              for reference, status in still_open)
            raise ErasureRefused(
                f"This person has a referral still open: {names}. Discharge them, or record that the person "
                "declined social prescribing, before erasing their data."
            )
        due = [pk for pk, _, _, anonymised_at in referrals if anonymised_at is None]
        if locked.anonymised_at is not None and not due:
            raise ErasureRefused("This person's personal data has already been removed: there is nothing left to erase.")
        removal = Removal(
            actor=actor, audit_action=AuditAction.ERASE, event_action="erase",
            event_note="Personal data erased on request. The grounds are in the audit trail.",
            cause="erasure on request", reason=reason,
        )
        if due:
            anonymise_referrals(due, now=now, removal=removal)
        if locked.anonymised_at is None:
            anonymise_resident(locked, now=now, removal=removal)
    return Resident.objects.get(pk=resident.pk)


def erasure_blockers(resident: Resident) -> list[Referral]:
    """The resident's referrals that stop an erasure now (open ones), for the page to name before asking."""
    return list(Referral.objects.filter(resident=resident).exclude(status__in=FINISHED).order_by("received_at"))

