"""What a provider may see of a connection: enough to welcome the person to one activity, nothing more.

The provider's inbox, its page for one item and the emailed links all show a ``ProviderSummary``
of one connection (one item in their inbox, one email thread) and never the ``Referral`` itself,
so a template cannot reach the notes, what matters to the person, their NHS number, date of birth,
GP, address, who referred them, or the person's other connections (other activities, other
providers, signposts). The person's contact details are shared only while their consent to sharing
with the provider is in force, and only while the provider needs them: from the referral's arrival
until attendance at the first session is recorded (or the connection otherwise ends); otherwise the
provider goes through the link worker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from referrals.choices import ConnectionStatus, ConsentPurpose, ContactRoute, ProviderDeclineReason
from referrals.workflow import WITH_PROVIDER


@dataclass(frozen=True)
class ProviderSummary:
    connection_id: int
    # "SP-ABCD234, connection 2": how emails and the link worker name this item.
    reference: str
    number: int
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
    # The service closed the referral (discharged, or the person declined) while this was still open.
    referral_closed: bool = False

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def contact_tel(self) -> str:
        """The phone number for a ``tel:`` link (digits, and a leading +), or "" when the detail is not a phone."""
        if self.contact_route not in (ContactRoute.PHONE, ContactRoute.TEXT) or not self.contact_detail:
            return ""
        return tel_href(self.contact_detail)

    @property
    def first_session_has_passed(self) -> bool:
        return self.first_session_at is not None and self.first_session_at <= timezone.now()

    @property
    def is_withdrawn(self) -> bool:
        """Withdrawn by the link worker, or left open when the service closed the referral."""
        return self.status == ConnectionStatus.WITHDRAWN or (self.referral_closed and self.status in WITH_PROVIDER)


@dataclass(frozen=True)
class ProviderListing:
    """One line of the provider's inbox (one connection): who, for what, and where it has got to."""

    connection_id: int
    reference: str
    number: int
    name: str
    activity_title: str
    status: str
    status_label: str
    sent_at: datetime | None
    first_session_at: datetime | None
    updated_at: datetime | None
    withdrawn: bool = False

    @property
    def first_session_has_passed(self) -> bool:
        return self.first_session_at is not None and self.first_session_at <= timezone.now()


def _status_label(connection) -> str:
    if not connection.referral.is_open and connection.status in WITH_PROVIDER:
        # The service closed the referral while it was with the provider: to them, it is withdrawn.
        return ConnectionStatus.WITHDRAWN.label
    return ConnectionStatus(connection.status).label


def provider_listing(connection) -> ProviderListing:
    """The inbox line for ``connection`` (select its referral, the referral's resident and its activity with it)."""
    return ProviderListing(
        connection_id=connection.pk,
        reference=connection.referral.reference,
        number=connection.number,
        name=connection.referral.resident.full_name,
        activity_title=connection.activity.title if connection.activity_id else "",
        status=connection.status,
        status_label=_status_label(connection),
        sent_at=connection.sent_to_provider_at,
        first_session_at=connection.first_session_at,
        updated_at=connection.updated_at,
        withdrawn=connection.status == ConnectionStatus.WITHDRAWN or (
            not connection.referral.is_open and connection.status in WITH_PROVIDER),
    )


def tel_href(number: str) -> str:
    """``07700 900123`` as ``tel:07700900123``: what a phone dials when the number is tapped."""
    digits = re.sub(r"[^\d+]", "", number)
    return f"tel:{digits[0]}{digits[1:].replace('+', '')}" if digits else ""


def _contact_detail(resident, route: str) -> str:
    if route == ContactRoute.EMAIL:
        return resident.email
    if route in (ContactRoute.TEXT, ContactRoute.PHONE):
        return resident.phone
    # A letter would need the person's address, which a provider never sees: the link
    # worker passes anything on.
    return ""


def provider_summary(connection) -> ProviderSummary:
    """The provider's view of ``connection`` (its referral's resident, link worker, needs and consents are
    read here; nothing of the referral's other connections)."""
    referral = connection.referral
    resident = referral.resident
    worker = referral.link_worker
    # Until attendance is recorded (or the connection ends another way): the provider needs them to arrange
    # and remind the person of the first session, and no longer.
    needed = connection.status in WITH_PROVIDER and referral.is_open
    shared = needed and referral.consents.in_force().filter(purpose=ConsentPurpose.SHARE_WITH_PROVIDER).exists()
    route = resident.preferred_contact
    detail = _contact_detail(resident, route) if shared else ""
    return ProviderSummary(
        connection_id=connection.pk,
        reference=referral.reference,
        number=connection.number,
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
        activity_id=connection.activity_id,
        activity_title=connection.activity.title if connection.activity_id else "",
        first_session_at=connection.first_session_at,
        first_session_note=connection.first_session_note,
        status=connection.status,
        status_label=_status_label(connection),
        decline_reason_label=(
            ProviderDeclineReason(connection.provider_decline_reason).label
            if connection.provider_decline_reason else ""
        ),
        decline_note=connection.provider_decline_note,
        link_worker_name=(worker.get_full_name() or worker.get_username()) if worker else "",
        link_worker_email=worker.email if worker else "",
        sent_at=connection.sent_to_provider_at,
        referral_closed=not referral.is_open,
    )
