"""What a provider may see of a referral: enough to welcome the person, nothing more.

The provider's inbox, its referral page and the emailed links all show a
``ProviderSummary`` and never the ``Referral`` itself, so a template cannot reach the
notes, what matters to the person, their NHS number, date of birth, GP, address or who
referred them. The person's contact details are shared only while their consent to
sharing with the provider is in force; otherwise the provider goes through the link worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from referrals.choices import ConsentPurpose, ContactRoute, ProviderDeclineReason, ReferralStatus


@dataclass(frozen=True)
class ProviderSummary:
    referral_id: int
    reference: str
    first_name: str
    last_name: str
    # The person's preferred way to be contacted, and the detail to use for it: both empty
    # unless they agreed to their details being shared with the provider.
    contact_shared: bool
    contact_route: str
    contact_route_label: str
    contact_detail: str
    needs: tuple[str, ...]
    accessibility_needs: str
    language: str
    interpreter_needed: bool
    activity_id: int | None
    activity_title: str
    first_session_at: datetime | None
    first_session_note: str
    status: str
    status_label: str
    decline_reason_label: str
    decline_note: str
    link_worker_name: str
    link_worker_email: str
    sent_at: datetime | None

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def first_session_has_passed(self) -> bool:
        return self.first_session_at is not None and self.first_session_at <= timezone.now()


@dataclass(frozen=True)
class ProviderListing:
    """One line of the provider's inbox: who, for what, and where it has got to."""

    referral_id: int
    reference: str
    name: str
    activity_title: str
    status: str
    status_label: str
    sent_at: datetime | None
    first_session_at: datetime | None
    updated_at: datetime | None

    @property
    def first_session_has_passed(self) -> bool:
        return self.first_session_at is not None and self.first_session_at <= timezone.now()


def provider_listing(referral) -> ProviderListing:
    """The inbox line for ``referral`` (select its resident and activity with it)."""
    return ProviderListing(
        referral_id=referral.pk,
        reference=referral.reference,
        name=referral.resident.full_name,
        activity_title=referral.activity.title if referral.activity_id else "",
        status=referral.status,
        status_label=ReferralStatus(referral.status).label,
        sent_at=referral.sent_to_provider_at,
        first_session_at=referral.first_session_at,
        updated_at=referral.updated_at,
    )


def _contact_detail(resident, route: str) -> str:
    if route == ContactRoute.EMAIL:
        return resident.email
    if route in (ContactRoute.TEXT, ContactRoute.PHONE):
        return resident.phone
    # A letter would need the person's address, which a provider never sees: the link
    # worker passes anything on.
    return ""


def provider_summary(referral) -> ProviderSummary:
    """The provider's view of ``referral`` (its resident, activity, link worker and consents are read here)."""
    resident = referral.resident
    worker = referral.link_worker
    shared = referral.consents.in_force().filter(purpose=ConsentPurpose.SHARE_WITH_PROVIDER).exists()
    route = resident.preferred_contact
    detail = _contact_detail(resident, route) if shared else ""
    return ProviderSummary(
        referral_id=referral.pk,
        reference=referral.reference,
        first_name=resident.first_name,
        last_name=resident.last_name,
        contact_shared=bool(shared and detail),
        contact_route=route if shared else "",
        contact_route_label=ContactRoute(route).label if shared else "",
        contact_detail=detail,
        needs=tuple(referral.needs.order_by("name").values_list("name", flat=True)),
        accessibility_needs=resident.accessibility_needs,
        language=resident.language,
        interpreter_needed=resident.interpreter_needed,
        activity_id=referral.activity_id,
        activity_title=referral.activity.title if referral.activity_id else "",
        first_session_at=referral.first_session_at,
        first_session_note=referral.first_session_note,
        status=referral.status,
        status_label=ReferralStatus(referral.status).label,
        decline_reason_label=(
            ProviderDeclineReason(referral.provider_decline_reason).label if referral.provider_decline_reason else ""
        ),
        decline_note=referral.provider_decline_note,
        link_worker_name=(worker.get_full_name() or worker.get_username()) if worker else "",
        link_worker_email=worker.email if worker else "",
        sent_at=referral.sent_to_provider_at,
    )
