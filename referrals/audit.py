"""The audit trail: every look at a resident's record (page, list, API read, emailed link) and every change.

Who may look at what is ``referrals.permissions``; this module records that they did.
"""

from referrals.choices import AuditAction
from referrals.models import AuditEntry
from referrals.roles import Actor


def audit(
    actor: Actor, *, action: str, what: str, referral=None, resident=None, path: str = "", reason: str = ""
) -> AuditEntry:
    """Record that ``actor`` viewed or changed a resident's record (``reason``: why, where the action needs one)."""
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
        reason=reason,
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
