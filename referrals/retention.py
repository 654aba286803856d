"""Retention: personal data leaves Signpost when a finished referral passes the retention period.

A referral is finished when the person is discharged, or when they declined social prescribing;
``RETENTION_DAYS`` (``SIGNPOST_REFERRALS``) after that it is anonymised:

- the referral keeps what reporting needs (statuses, every time stamp, needs, source,
  priority, tier, its connections' activities, providers and statuses, the discharge reason
  and decline codes, the SNOMED CT code, the referrer's organisation and role) and loses its
  free text (notes, what matters, the discharge note, the connections' decline, first-session
  and outcome notes) and the referrer's name, email and phone; its discharge summary keeps
  only its reason;
- its notifications lose their recipients and bodies, and their subjects become the kind of
  message (task subjects carry the resident's name); one still waiting to be sent is not sent;
- the person's feedback on their first session loses its comments (the score stays);
- contacts lose their notes (when, how, how long and what happened stay); safeguarding concerns
  lose what the concern was, what was done and how it was resolved (when stays);
- the care and support plan loses what matters, its goals' and actions' words and who does
  them (statuses and dates stay); each kept version's words and snapshot become a marker;
- the notes in its event log are blanked with a queryset ``update()``: the log is append-only
  to everything else, and removing personal data is the one change it allows;
- the resident, once none of their referrals is still in use (open, or finished within the
  retention period), loses name, date of birth, NHS number, address, phone, email,
  accessibility needs and GP practice; the postcode is cut to its district, which reporting
  on gaps in provision uses; consents lose who gave them and withdrawal notes. A resident
  with a referral still in use keeps their details until that one is finished and old too.

The date of birth goes entirely rather than keeping the year: a stored 1 January would read
as a real date, and age is not reported on records this old.

Each resident is done in one transaction, with their referrals locked and checked again, so
a run can stop part way, be run again, or run beside the pathway, and does each thing once.
Every anonymisation is audit-logged (action "anonymise", by "Signpost"); the audit trail
itself holds ids, not personal data, and is kept.

Erasure on request (``referrals.subject_access``) removes the same data through the same two
routines (``anonymise_referrals``, ``anonymise_resident``), at once rather than after the
period, recorded as an erasure by the member of staff with their grounds (a ``Removal``).
The policy, in words: ``docs/retention.md``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Q, QuerySet, Value, When
from django.utils import timezone
from django_tasks import task

from referrals.audit import audit
from referrals.choices import AuditAction, DeliveryStatus, NotificationKind
from referrals.choices import ReferralStatus as S
from referrals.models import (
    CarePlan,
    CarePlanVersion,
    Consent,
    Contact,
    Connection,
    DischargeSummary,
    GpMessage,
    Goal,
    Notification,
    PlanAction,
    Referral,
    ReferralEvent,
    Resident,
    ResidentFeedback,
    SafeguardingConcern,
)
from referrals.roles import SYSTEM, Actor

logger = logging.getLogger(__name__)

ANONYMISED = "Anonymised"
# A referral in one of these is finished: nothing more will happen on it. Each with the time stamp the
# retention period runs from (triage's other answers, redirected and not eligible, end a referral as
# discharge does).
FINISHED_AT = {
    S.DISCHARGED: "discharged_at",
    S.DECLINED_BY_PERSON: "declined_at",
    S.REDIRECTED: "redirected_at",
    S.NOT_ELIGIBLE: "not_eligible_at",
}
FINISHED = tuple(FINISHED_AT)


@dataclass
class RetentionRun:
    cutoff: datetime
    dry_run: bool = False
    referrals_anonymised: int = 0
    residents_anonymised: int = 0
    # Residents whose old referrals were anonymised, but who have another referral still in use.
    residents_kept: int = 0
    referral_ids: list[int] = field(default_factory=list)
    resident_ids: list[int] = field(default_factory=list)


def retention_days() -> int:
    return int(settings.SIGNPOST_REFERRALS["RETENTION_DAYS"])


def _finished_before(cutoff: datetime) -> Q:
    finished = Q(pk__in=[])
    for status, stamp in FINISHED_AT.items():
        finished |= Q(status=status, **{f"{stamp}__lt": cutoff})
    return finished


def referrals_due(cutoff: datetime, queryset: QuerySet | None = None) -> QuerySet:
    """Finished referrals older than ``cutoff`` that still hold personal data."""
    referrals = Referral.objects.all() if queryset is None else queryset
    return referrals.filter(_finished_before(cutoff), anonymised_at__isnull=True)


def residents_due(cutoff: datetime) -> QuerySet:
    """Residents with something to anonymise: a referral due, or (after an earlier run that was held
    back by a referral since anonymised) nothing left in use."""
    with_due = Referral.objects.filter(_finished_before(cutoff), anonymised_at__isnull=True).values("resident_id")
    all_done = (
        Resident.objects.filter(anonymised_at__isnull=True, referrals__isnull=False)
        .exclude(referrals__anonymised_at__isnull=True)
        .values("pk")
    )
    return Resident.objects.filter(Q(pk__in=with_due) | Q(pk__in=all_done)).order_by("pk")


def postcode_district(postcode: str) -> str:
    """The outward code ("BH15" of "BH15 1AB"), however the postcode was typed."""
    compact = "".join(postcode.split()).upper()
    if len(compact) >= 5:
        return compact[:-3]  # every inward code is three characters
    return compact


def _subject_by_kind() -> Case:
    return Case(
        *[When(kind=kind, then=Value(f"{label} ({ANONYMISED.lower()})")) for kind, label in NotificationKind.choices],
        default=Value(ANONYMISED),
    )


@dataclass(frozen=True)
class Removal:
    """Why personal data is being removed, and so how the removal is recorded: at the end of the
    retention period (by Signpost), or erased on request (by a member of staff, with their grounds)."""

    actor: Actor
    audit_action: str
    event_action: str
    event_note: str
    # Said after "personal data removed" in the audit trail: "(retention)", "(erasure on request)".
    cause: str
    reason: str = ""


RETENTION = Removal(
    actor=SYSTEM, audit_action=AuditAction.ANONYMISE, event_action="anonymise",
    event_note="Personal data removed at the end of the retention period.", cause="retention",
)


def anonymise_referrals(referral_ids: list[int], *, now: datetime, removal: Removal = RETENTION) -> None:
    """Remove the personal data from these referrals, keeping what reporting needs; the caller holds
    their locks (one transaction) and has decided they may go."""
    Referral.objects.filter(pk__in=referral_ids).update(
        notes="",
        what_matters="",
        referrer_name="",
        referrer_email="",
        referrer_phone="",
        discharge_note="",
        triage_note="",
        anonymised_at=now,
        updated_at=now,
    )
    # Connections keep what happened and when (reporting counts them), not the notes about the person.
    Connection.objects.filter(referral_id__in=referral_ids).update(
        provider_decline_note="", first_session_note="", outcome_note="", updated_at=now
    )
    # The discharge summary as sent names the person and quotes the plan: only the reason stays.
    DischargeSummary.objects.filter(referral_id__in=referral_ids).update(
        note="", content={"anonymised": True}, prepared_by_label=ANONYMISED
    )
    # The messages to the GP practice as sent name the person like the summary: only what, when and where stay.
    GpMessage.objects.filter(referral_id__in=referral_ids).update(content={"anonymised": True},
                                                                  prepared_by_label=ANONYMISED)
    # A message not yet sent (or a call not yet made) is to no one now: it is not sent.
    Notification.objects.filter(referral_id__in=referral_ids, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.FAILED, last_error="Not sent: the person's details were removed."
    )
    Notification.objects.filter(referral_id__in=referral_ids).update(
        recipient="", body="", subject=_subject_by_kind()
    )
    # The care and support plan: its words go (what matters, goals, actions and who does them); the
    # goals' statuses and dates stay for reporting. Each kept version's words and snapshot are replaced
    # by a marker: like the event log, the one change the append-only history allows.
    CarePlan.objects.filter(referral_id__in=referral_ids).update(what_matters="")
    Goal.objects.filter(plan__referral_id__in=referral_ids).update(description="")
    PlanAction.objects.filter(plan__referral_id__in=referral_ids).update(description="", who="")
    CarePlanVersion.objects.filter(plan__referral_id__in=referral_ids).update(
        change=ANONYMISED, content={"anonymised": True}
    )
    # The person's own words about their first session; the score stays for reporting.
    ResidentFeedback.objects.filter(referral_id__in=referral_ids).exclude(comments="").update(comments="")
    # The one change the append-only log allows: removing personal data from its notes.
    ReferralEvent.objects.filter(referral_id__in=referral_ids).exclude(note="").update(note="")
    # Casework: contacts keep when, how, how long and what happened (reporting counts them), not their notes;
    # safeguarding concerns keep when they were raised and resolved, not what they were.
    Contact.objects.filter(referral_id__in=referral_ids).exclude(note="").update(note="")
    SafeguardingConcern.objects.filter(referral_id__in=referral_ids).update(
        concern=ANONYMISED, action_taken="", resolution=""
    )
    for referral in Referral.objects.filter(pk__in=referral_ids).only("pk", "status", "resident_id"):
        ReferralEvent.objects.create(
            referral=referral, at=now, actor=removal.actor.user, actor_label=removal.actor.label,
            action=removal.event_action, from_status=referral.status, to_status=referral.status,
            note=removal.event_note,
        )
        audit(removal.actor, action=removal.audit_action, referral=referral, reason=removal.reason,
              what=f"referral: personal data removed ({removal.cause})")


def anonymise_resident(resident: Resident, *, now: datetime, removal: Removal = RETENTION) -> None:
    """Remove the resident's personal data and their consents' (the postcode is cut to its district)."""
    Resident.objects.filter(pk=resident.pk).update(
        first_name=ANONYMISED,
        last_name=ANONYMISED,
        date_of_birth=None,
        nhs_number="",
        address="",
        postcode=postcode_district(resident.postcode),
        phone="",
        email="",
        accessibility_needs="",
        # The practice as written goes; the listed practice stays, like the postcode district, for the
        # reports by practice and PCN (thousands of patients each: it names no one).
        gp_practice="",
        anonymised_at=now,
    )
    Consent.objects.filter(resident=resident).update(given_by=ANONYMISED, withdrawal_note="")
    audit(removal.actor, action=removal.audit_action, resident=resident.pk, reason=removal.reason,
          what=f"resident record: personal data removed ({removal.cause})")


def _process_resident(resident_id: int, *, cutoff: datetime, now: datetime, run: RetentionRun) -> None:
    with transaction.atomic():
        # Lock the resident's referrals, then decide: a step on one of them waits for us, or we for it.
        referrals = list(
            Referral.objects.select_for_update()
            .filter(resident_id=resident_id)
            .order_by("pk")
            .values_list("pk", "status", "anonymised_at", *FINISHED_AT.values())
        )
        resident = Resident.objects.select_for_update().filter(pk=resident_id, anonymised_at__isnull=True).first()
        due, in_use = [], False
        for pk, status, anonymised_at, *stamps in referrals:
            if anonymised_at is not None:
                continue
            ended = dict(zip(FINISHED_AT.values(), stamps, strict=True)).get(FINISHED_AT.get(status))
            finished = ended is not None and ended < cutoff
            if finished:
                due.append(pk)
            else:
                in_use = True
        resident_goes = resident is not None and not in_use and bool(referrals)
        run.referrals_anonymised += len(due)
        run.referral_ids.extend(due)
        if resident_goes:
            run.residents_anonymised += 1
            run.resident_ids.append(resident_id)
        elif resident is not None and due:
            run.residents_kept += 1
        if run.dry_run:
            return
        if due:
            anonymise_referrals(due, now=now)
        if resident_goes:
            anonymise_resident(resident, now=now)
    logger.info("Retention: resident %s, referrals %s anonymised%s", resident_id, due,
                "" if resident_goes else " (resident kept: a referral is still in use)")


def anonymise_closed_referrals(
    *,
    older_than_days: int | None = None,
    dry_run: bool = False,
    now: datetime | None = None,
    progress: Callable[[Iterable[int]], Iterable[int]] | None = None,
) -> RetentionRun:
    """Anonymise every finished referral older than the retention period, and residents with nothing left in use.

    ``progress`` wraps the list of resident ids being worked through (the command passes tqdm).
    With ``dry_run`` nothing is changed: the run says what would be.
    """
    now = now or timezone.now()
    days = retention_days() if older_than_days is None else older_than_days
    run = RetentionRun(cutoff=now - timedelta(days=days), dry_run=dry_run)
    resident_ids = list(residents_due(run.cutoff).values_list("pk", flat=True))
    for resident_id in progress(resident_ids) if progress else resident_ids:
        _process_resident(resident_id, cutoff=run.cutoff, now=now, run=run)
    return run


@task()
def anonymise_closed_referrals_task() -> dict[str, int]:
    """The daily job for the worker (enqueued by ``pages.scheduler``): the counts are the task's result."""
    run = anonymise_closed_referrals()
    return {
        "referrals_anonymised": run.referrals_anonymised,
        "residents_anonymised": run.residents_anonymised,
        "residents_kept": run.residents_kept,
    }
