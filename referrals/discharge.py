"""The discharge summary: what the person's support came to, built once from the record.

The link worker checks it before the discharge is final (``referrals.services.referral_discharge``
takes back the fingerprint of the summary they saw, so nothing recorded in between slips
through unchecked); what was final is kept (``DischargeSummary``) and is what the referrer and
the GP are sent. Its content follows the PRSB Social Prescribing standard's "message back to
GP and referrer": who the person is, the referral, what matters to them, the plan, the
activities and services they were connected to and their attendance, the wellbeing scores
before and after, the discharge reason, and the SNOMED CT codes.
"""

from __future__ import annotations

import hashlib
import json

from django.utils import timezone

from referrals.choices import ContactStatus, DischargeReason, WellbeingStage

# The ONS4 questions, in the order they are asked.
WELLBEING_QUESTIONS = {
    "life_satisfaction": "Overall, how satisfied are you with your life nowadays?",
    "worthwhile": "Overall, to what extent do you feel the things you do in your life are worthwhile?",
    "happiness": "Overall, how happy did you feel yesterday?",
    "anxiety": "Overall, how anxious did you feel yesterday? (lower is better)",
}


def when(value) -> str | None:
    return timezone.localtime(value).isoformat(timespec="minutes") if value else None


def _wellbeing(referral) -> list[dict]:
    scores = {score.stage: score for score in referral.wellbeing_scores.all()}
    before, after = scores.get(WellbeingStage.FIRST_CONVERSATION), scores.get(WellbeingStage.REVIEW)
    return [
        {
            "question": question,
            "measure": name,
            "before": getattr(before, name) if before else None,
            "after": getattr(after, name) if after else None,
        }
        for name, question in WELLBEING_QUESTIONS.items()
    ]


def _plan(referral) -> dict:
    plan = getattr(referral, "care_plan", None)
    if plan is None:
        return {"what_matters": referral.what_matters, "goals": [], "actions": []}
    return {
        "what_matters": plan.what_matters or referral.what_matters,
        "goals": [{"goal": goal.description, "status": goal.get_status_display()} for goal in plan.goals.all()],
        "actions": [
            {"action": action.description, "who": action.who, "done": action.done_at is not None}
            for action in plan.actions.all()
        ],
    }


def _connections(referral) -> list[dict]:
    return [
        {
            "number": connection.number,
            "kind": connection.kind,
            "name": connection.name,
            "provider": connection.provider.title if connection.provider_id else "",
            "status": connection.get_status_display(),
            "first_session": when(connection.first_session_at),
            "attended_first_session": (True if connection.attended_at else False if connection.did_not_attend_at
                                       else None),
            "outcome_note": connection.outcome_note,
        }
        for connection in referral.connections.select_related("activity", "provider").order_by("number")
    ]


def person_details(resident) -> dict:
    """Who the person is, as every message about them says it (the discharge summary, the GP's messages)."""
    return {
        "name": resident.full_name,
        "date_of_birth": resident.date_of_birth.isoformat() if resident.date_of_birth else None,
        "nhs_number": resident.nhs_number,
        "postcode": resident.postcode,
        "gp_practice": resident.practice_name,
    }


def referral_details(referral) -> dict:
    """The referral, as every message about it says it."""
    worker = referral.link_worker if referral.link_worker_id else None
    return {
        "reference": referral.reference,
        "received": when(referral.received_at),
        "source": referral.get_source_display(),
        "referrer": referral.referrer_name,
        "referrer_organisation": referral.referrer_organisation,
        "snomed_code": referral.snomed_code,
        "needs": sorted(need.name for need in referral.needs.all()),
        "tier": referral.get_tier_display() if referral.tier else "",
        "link_worker": (worker.get_full_name() or worker.get_username()) if worker else "",
    }


def build_discharge_summary(referral, *, reason: str, note: str = "") -> dict:
    """The summary as it stands now, with a ``fingerprint`` of everything in it."""
    resident = referral.resident
    contacts = list(referral.contacts.all())
    held = [contact for contact in contacts if contact.status == ContactStatus.HELD]
    content = {
        "person": person_details(resident),
        "referral": referral_details(referral),
        "contacts": {
            "held": len(held),
            "attempts_not_reached": len(contacts) - len(held) - sum(c.status == ContactStatus.BOOKED for c in contacts),
            "first": when(held[0].at) if held else None,
            "last": when(held[-1].at) if held else None,
            "reviewed": any(contact.is_review for contact in held),
        },
        "plan": _plan(referral),
        "connections": _connections(referral),
        "wellbeing": _wellbeing(referral),
        "discharge": {
            "reason": reason,
            "reason_text": DischargeReason(reason).label,
            "note": note,
        },
    }
    # The fingerprint is over the content, not the time it was built.
    content["fingerprint"] = hashlib.sha256(
        json.dumps(content, sort_keys=True, default=str).encode()
    ).hexdigest()[:32]
    return content
