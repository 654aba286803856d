"""A referral as the API shows it, built for the serializers in ``outputs``: the team's full view,
or, for anyone who sees it only as its provider, the provider summary
(``referrals.provider_summary``): never the notes, what matters to the person, their NHS number,
date of birth or address.
"""

from __future__ import annotations

from referrals.api.outputs import (
    PROVIDER_VIEW,
    TEAM_VIEW,
    ProviderReferralOutput,
    ProviderTimeStampsOutput,
    ReferralOutput,
    ResidentOutput,
    TimeStampsOutput,
)
from referrals.choices import ProviderDeclineReason, ReferralStatus
from referrals.provider_summary import provider_summary


def _staff(user) -> dict | None:
    if user is None:
        return None
    return {"name": user.get_full_name() or user.get_username(), "email": user.email}


def _activity(referral) -> dict | None:
    return {"id": referral.activity_id, "title": referral.activity.title} if referral.activity_id else None


def _provider(referral) -> dict | None:
    return {"id": referral.provider_id, "name": referral.provider.title} if referral.provider_id else None


def _decline(referral) -> dict | None:
    if not referral.provider_decline_reason:
        return None
    return {
        "reason": referral.provider_decline_reason,
        "reason_label": ProviderDeclineReason(referral.provider_decline_reason).label,
        "note": referral.provider_decline_note,
    }


def _first_session(referral) -> dict | None:
    if referral.first_session_at is None:
        return None
    return {"starts_at": referral.first_session_at, "session": referral.first_session_id,
            "note": referral.first_session_note}


def team_view(referral) -> dict:
    """The full referral, for its social prescribing team (select its resident, activity,
    provider and link worker, and prefetch its needs and consents, with it)."""
    resident = referral.resident
    data = {
        "view": TEAM_VIEW,
        "reference": referral.reference,
        "status": referral.status,
        "status_label": ReferralStatus(referral.status).label,
        "snomed_code": referral.snomed_code,
        "source": referral.source,
        "priority": referral.priority,
        "tier": referral.tier,
        "resident": {field: getattr(resident, field) for field in ResidentOutput().fields},
        "referrer": {
            "name": referral.referrer_name,
            "role": referral.referrer_role,
            "organisation": referral.referrer_organisation,
            "email": referral.referrer_email,
            "phone": referral.referrer_phone,
        },
        "needs": [{"slug": need.slug, "oruk_id": need.oruk_id, "name": need.name} for need in referral.needs.all()],
        "what_matters": referral.what_matters,
        "notes": referral.notes,
        "link_worker": _staff(referral.link_worker),
        "activity": _activity(referral),
        "provider": _provider(referral),
        "provider_decline": _decline(referral),
        "first_session": _first_session(referral),
        "outcome": referral.outcome,
        "outcome_note": referral.outcome_note,
        "consents": list(referral.consents.all()),
        "time_stamps": {field: getattr(referral, field) for field in TimeStampsOutput().fields},
    }
    return ReferralOutput(data).data


def provider_view(referral) -> dict:
    """The provider summary of a referral (from ``referrals.provider_summary``, as the provider's pages show it)."""
    summary = provider_summary(referral)
    data = {
        "view": PROVIDER_VIEW,
        "reference": summary.reference,
        "status": summary.status,
        "status_label": summary.status_label,
        "resident": {
            "first_name": summary.first_name,
            "last_name": summary.last_name,
            "contact_shared": summary.contact_shared,
            "contact_route": summary.contact_route,
            "contact_detail": summary.contact_detail,
            "language": summary.language,
            "interpreter_needed": summary.interpreter_needed,
            "accessibility_needs": summary.accessibility_needs,
        },
        "needs": list(summary.needs),
        "link_worker": (
            {"name": summary.link_worker_name, "email": summary.link_worker_email} if summary.link_worker_name else None
        ),
        "activity": _activity(referral),
        "provider": _provider(referral),
        "provider_decline": _decline(referral),
        "first_session": _first_session(referral),
        "time_stamps": {field: getattr(referral, field) for field in ProviderTimeStampsOutput().fields},
    }
    return ProviderReferralOutput(data).data
