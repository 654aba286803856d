"""Who may see which referral, and the audit trail of every look at a resident's record.

One place answers "may this actor see this referral?" for every page, the API and the
emailed links: a link worker their own caseload (and referrals they made), triage their
own service's referrals, a provider only what was sent to their organisation, an
administrator everything. Nothing crosses between services or organisations.
"""

from django.db.models import Q, QuerySet

from referrals.choices import AuditAction, StaffRole
from referrals.errors import NotPermitted
from referrals.models import AuditEntry, Referral
from referrals.roles import Actor
from referrals.workflow import PROVIDER_VISIBLE, SYSTEM, Transition


def referrals_visible_to(actor: Actor, queryset: QuerySet | None = None) -> QuerySet:
    referrals = Referral.objects.all() if queryset is None else queryset
    if actor.is_administrator or actor.has_role(SYSTEM):
        return referrals
    visible = Q(pk__in=[])
    if actor.has_role(StaffRole.TRIAGE) and actor.service_ids:
        visible |= Q(service_id__in=actor.service_ids)
    if actor.has_role(StaffRole.LINK_WORKER) and actor.user_id:
        visible |= Q(service_id__in=actor.service_ids) & (Q(link_worker_id=actor.user_id) | Q(referred_by_id=actor.user_id))
    if actor.has_role(StaffRole.PROVIDER) and actor.organisation_ids:
        visible |= Q(provider_id__in=actor.organisation_ids, status__in=PROVIDER_VISIBLE)
    referrals = referrals.filter(visible)
    if actor.only_referral_id is not None:
        referrals = referrals.filter(pk=actor.only_referral_id)
    return referrals


def sees_as_provider_only(actor: Actor, referral: Referral) -> bool:
    """True when the actor sees this referral only as its provider: the summary, never the notes."""
    if actor.is_administrator:
        return False
    if actor.has_role(StaffRole.TRIAGE) and referral.service_id in actor.service_ids:
        return False
    if actor.has_role(StaffRole.LINK_WORKER) and actor.user_id in (referral.link_worker_id, referral.referred_by_id):
        return False
    return True


def owns_step(actor: Actor, referral: Referral, transition: Transition) -> bool:
    """Whether ``actor`` owns ``transition`` for this referral (its role, and its own case)."""
    if actor.only_referral_id is not None and (
        actor.only_referral_id != referral.pk or transition.action not in actor.only_actions
    ):
        return False
    for owner in transition.owners:
        if owner == SYSTEM and actor.has_role(SYSTEM):
            return True
        if owner == StaffRole.TRIAGE and actor.has_role(owner) and referral.service_id in actor.service_ids:
            return True
        if (
            owner == StaffRole.LINK_WORKER
            and actor.has_role(owner)
            and referral.link_worker_id is not None
            and referral.link_worker_id == actor.user_id
        ):
            return True
        if owner == StaffRole.PROVIDER and actor.has_role(owner) and referral.provider_id in actor.organisation_ids:
            return True
    return False


def check_owns_step(actor: Actor, referral: Referral, transition: Transition) -> None:
    if not owns_step(actor, referral, transition):
        raise NotPermitted(f"You cannot do this step ({transition.label or transition.action}) for this referral.")


def audit(actor: Actor, *, action: str, what: str, referral=None, resident=None, path: str = "") -> AuditEntry:
    """Record that ``actor`` viewed or changed a resident's record."""
    resident_id = getattr(resident, "pk", resident)
    if resident_id is None and referral is not None:
        resident_id = referral.resident_id
    return AuditEntry.objects.create(
        actor=actor.user,
        actor_label=actor.label,
        action=action,
        resident_id=resident_id,
        referral_id=getattr(referral, "pk", referral),
        what=what[:255],
        path=path[:500],
    )


def audit_view(actor: Actor, *, what: str, referral=None, resident=None, request=None) -> AuditEntry:
    return audit(
        actor,
        action=AuditAction.VIEW,
        what=what,
        referral=referral,
        resident=resident,
        path=request.get_full_path() if request is not None else "",
    )


def audit_list_view(actor: Actor, *, what: str, referrals, request=None) -> int:
    """One view entry per referral a list page shows (the residents' names are on it), in one query.

    So "who has seen this resident's record?" finds the queues and caseloads as well as the
    referral pages.
    """
    path = request.get_full_path()[:500] if request is not None else ""
    seen, entries = set(), []
    for referral in referrals:
        if referral.pk in seen:
            continue
        seen.add(referral.pk)
        entries.append(
            AuditEntry(
                actor=actor.user,
                actor_label=actor.label,
                action=AuditAction.VIEW,
                resident_id=referral.resident_id,
                referral_id=referral.pk,
                what=what[:255],
                path=path,
            )
        )
    AuditEntry.objects.bulk_create(entries)
    return len(entries)
