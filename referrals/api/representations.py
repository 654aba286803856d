"""A referral and its connections as the API shows them, built for the serializers in ``outputs``:
the team's full view, or, for anyone who sees the referral only as a provider, the provider
summary: never the notes, what matters to the person, their NHS number, date of birth or
address, never a connection sent to someone else, and never what the team noted on a connection.
"""

from __future__ import annotations

from django.urls import reverse

from referrals.api.outputs import (
    PROVIDER_VIEW,
    TEAM_VIEW,
    ConnectionOutput,
    ConnectionTimeStampsOutput,
    ProviderConnectionOutput,
    ProviderReferralOutput,
    ProviderTimeStampsOutput,
    ReferralOutput,
    ResidentOutput,
    TimeStampsOutput,
)
from referrals.choices import ConsentPurpose, ContactRoute, DischargeReason, ProviderDeclineReason, ReferralStatus


def _staff(user) -> dict | None:
    if user is None:
        return None
    return {"name": user.get_full_name() or user.get_username(), "email": user.email}


def _activity(connection) -> dict | None:
    return {"id": connection.activity_id, "title": connection.activity.title} if connection.activity_id else None


def _provider(connection) -> dict | None:
    return {"id": connection.provider_id, "name": connection.provider.title} if connection.provider_id else None


def _decline(connection) -> dict | None:
    if not connection.provider_decline_reason:
        return None
    return {
        "reason": connection.provider_decline_reason,
        "reason_label": ProviderDeclineReason(connection.provider_decline_reason).label,
        "note": connection.provider_decline_note,
    }


def _first_session(connection) -> dict | None:
    if connection.first_session_at is None:
        return None
    return {"starts_at": connection.first_session_at, "session": connection.first_session_id,
            "note": connection.first_session_note}


def _connection_common(connection) -> dict:
    return {
        "number": connection.number,
        "kind": connection.kind,
        "status": connection.status,
        "status_label": connection.get_status_display(),
        "activity": _activity(connection),
        "provider": _provider(connection),
        "provider_decline": _decline(connection),
        "first_session": _first_session(connection),
        "time_stamps": {field: getattr(connection, field) for field in ConnectionTimeStampsOutput().fields},
    }


def connection_team_view(connection) -> dict:
    """A connection as the social prescribing team sees it (select its activity and provider with it)."""
    data = {
        "view": TEAM_VIEW,
        **_connection_common(connection),
        "service": ({"name": connection.service_name, "contact": connection.service_contact}
                    if connection.is_signpost else None),
        "outcome_note": connection.outcome_note,
    }
    return ConnectionOutput(data).data


def connection_provider_view(connection) -> dict:
    """A connection as the provider it was sent to sees it: the hand-over, none of the team's notes."""
    return ProviderConnectionOutput({"view": PROVIDER_VIEW, **_connection_common(connection)}).data


def _discharge(referral) -> dict | None:
    if not referral.discharge_reason or referral.discharged_at is None:
        return None
    summary = getattr(referral, "discharge_summary", None)
    final = summary is not None and summary.is_final
    return {
        "reason": referral.discharge_reason,
        "reason_label": DischargeReason(referral.discharge_reason).label,
        "note": referral.discharge_note,
        "discharged_at": referral.discharged_at,
        "summary": (reverse("api-referral-discharge-summary", kwargs={"reference": referral.reference})
                    if final else None),
    }


def team_view(referral, connections) -> dict:
    """The full referral, for its social prescribing team (select its resident and link worker, and
    prefetch its needs and consents, with it), with all its ``connections``."""
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
        "connections": [connection_team_view(connection) for connection in connections],
        "discharge": _discharge(referral),
        "consents": list(referral.consents.all()),
        "time_stamps": {field: getattr(referral, field) for field in TimeStampsOutput().fields},
    }
    return ReferralOutput(data).data


def _contact_detail(resident, route: str) -> str:
    if route == ContactRoute.EMAIL:
        return resident.email
    if route in (ContactRoute.TEXT, ContactRoute.PHONE):
        return resident.phone
    # A letter would need the person's address, which a provider never sees.
    return ""


def provider_view(referral, connections) -> dict:
    """What a provider sees of ``referral``: the person, enough to welcome them (their contact details
    only while their consent to sharing is in force), and ``connections``: only those sent to the
    provider's organisation (``referrals.permissions.provider_connections_visible_to``)."""
    resident = referral.resident
    worker = referral.link_worker
    shared = any(consent.purpose == ConsentPurpose.SHARE_WITH_PROVIDER and consent.given
                 and consent.withdrawn_at is None for consent in referral.consents.all())
    route = resident.preferred_contact
    detail = _contact_detail(resident, route) if shared else ""
    data = {
        "view": PROVIDER_VIEW,
        "reference": referral.reference,
        "status": referral.status,
        "status_label": ReferralStatus(referral.status).label,
        "resident": {
            "first_name": resident.first_name,
            "last_name": resident.last_name,
            "contact_shared": bool(shared and detail),
            "contact_route": route if shared else "",
            "contact_detail": detail,
            "language": resident.language,
            "interpreter_needed": resident.interpreter_needed,
            "accessibility_needs": resident.accessibility_needs,
        },
        "needs": sorted(need.name for need in referral.needs.all()),
        "link_worker": _staff(worker),
        "connections": [connection_provider_view(connection) for connection in connections],
        "time_stamps": {field: getattr(referral, field) for field in ProviderTimeStampsOutput().fields},
    }
    return ProviderReferralOutput(data).data
