"""Safeguarding concerns: raised on a referral by the person's link worker or triage, resolved with a note.

The service's safeguarding lead is told at once, through the outbox (``SAFEGUARDING_CONCERN``),
in the same transaction as the concern: by email to ``safeguarding_lead_email``, or, when the
service has none, to the team's shared inbox (``email``), or, with neither, as an item in the
service's Signpost inbox. The email carries the referral's reference and a link to its page,
never the concern or the person's name: email is not a safe place for either.

An open concern flags the referral on the caseload and the triage queue until it is resolved.
Concerns are the social prescribing team's: providers, their tokens and emailed links never see
them (``referrals.permissions.may_see_casework``), and no provider's page, email or API
representation mentions them. Who may raise and resolve is ``referrals.permissions``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from referrals.audit import audit
from referrals.choices import AuditAction, NotificationKind
from referrals.errors import InvalidTransition, ReferralError
from referrals.models import Referral, SafeguardingConcern
from referrals.notifications.outbox import queue_notifications
from referrals.permissions import check_may_handle_safeguarding
from referrals.roles import Actor

TEXT_MAX = 5000


@dataclass(frozen=True)
class Raised:
    concern: SafeguardingConcern
    # Where the lead was told: "the safeguarding lead (name)", "the team's inbox (address)"...
    told: str
    # True when the service has no safeguarding lead's email and the team was told instead.
    lead_missing: bool


def _text(value: str, *, field: str, required: str | None = None) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ReferralError(required, field=field)
    if len(value) > TEXT_MAX:
        raise ReferralError(f"Keep this to {TEXT_MAX:,} characters or fewer.", field=field)
    return value


def where_the_lead_is_told(service) -> tuple[str, bool]:
    """Who hears of a new concern, in words, and whether it is not the safeguarding lead themselves."""
    if service.safeguarding_lead_email:
        name = service.safeguarding_lead_name or "the safeguarding lead"
        return f"{name} ({service.safeguarding_lead_email})", False
    if service.email:
        return f"the team's shared inbox ({service.email})", True
    return "the service's inbox in Signpost", True


def concern_raise(*, referral: Referral, actor: Actor, concern: str, action_taken: str = "") -> Raised:
    """Record a safeguarding concern and tell the service's safeguarding lead at once."""
    concern = _text(concern, field="concern", required="Describe the concern.")
    action_taken = _text(action_taken, field="action_taken")
    with transaction.atomic():
        locked = (
            Referral.objects.select_for_update(of=("self",)).select_related("service", "resident")
            .get(pk=referral.pk)
        )
        check_may_handle_safeguarding(actor, locked)
        raised = SafeguardingConcern.objects.create(
            referral=locked, concern=concern, action_taken=action_taken, raised_by=actor.user,
            raised_by_label=actor.label,
        )
        audit(actor, action=AuditAction.CREATE, what="safeguarding concern raised", referral=locked)
        queue_notifications(locked, NotificationKind.SAFEGUARDING_CONCERN)
    told, lead_missing = where_the_lead_is_told(locked.service)
    return Raised(raised, told, lead_missing)


def concern_resolve(*, concern: SafeguardingConcern, actor: Actor, resolution: str) -> SafeguardingConcern:
    """Resolve an open concern, saying how (required)."""
    resolution = _text(resolution, field="resolution", required="Say how the concern was resolved.")
    with transaction.atomic():
        locked = (
            SafeguardingConcern.objects.select_for_update(of=("self",)).select_related("referral")
            .get(pk=concern.pk)
        )
        check_may_handle_safeguarding(actor, locked.referral)
        if locked.resolved_at is not None:
            raise InvalidTransition(
                f"This concern was already resolved by {locked.resolved_by_label} on "
                f"{timezone.localtime(locked.resolved_at):%d/%m/%Y}."
            )
        locked.resolved_at, locked.resolved_by, locked.resolved_by_label = timezone.now(), actor.user, actor.label
        locked.resolution = resolution
        locked.save(update_fields=["resolved_at", "resolved_by", "resolved_by_label", "resolution"])
        audit(actor, action=AuditAction.CHANGE, what="safeguarding concern resolved", referral=locked.referral)
    return locked
