"""Which stored figures a change to a referral's record can move, and forgetting only those.

Every stored figure (``reporting.stored``) is about a cohort, the referrals received in its period
and those discharged in it, counted up to a day: ``counted_to`` for a month of a period to date, the
period's own end for a closed period. So a change to a referral, or to anything of it, can move only
the stored figures whose period holds the day it was received or discharged (before or after the
change), and of those:

- a change to a moment the figures count only when it is before the end (a step's date: triaged,
  contacted, sent, booked, attended, discharged...) moves only the figures counted up to the earlier
  of its old and new value, or later;
- a change to a field the figures read only together with such a moment (a connection's status with
  its end or the provider's answer, a discharge's reason with its date) moves what that moment moves;
- a change to a field no figure or reader's scope reads (notes, who recorded it) moves nothing;
- anything else (the needs, the service, the person, the link worker, a connection made or its
  provider, which a provider's report is scoped by, a goal's status) moves every figure of the cohort.

The figures counted up to a day before the change's moment are kept: they still hold for that day.
They are marked as holding only until that moment (``unchanged_until``), so a later day's figures
are computed again. Day-to-day work (a contact recorded today, a first session booked, an
attendance confirmed) therefore leaves every closed period stored, and of a period to date forgets
only the months of the referrals it touched. A correction dated back into a period forgets it.

The old values are read from the database before the save (one query by primary key), not from
the instance, which may have been loaded before another change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.apps import apps
from django.db.models import Q
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.utils import timezone

from referrals import selectors
from referrals.workflow import CONNECTION_TRANSITIONS, TRANSITIONS
from reporting.models import StoredReport

# Past this many days of a cohort, forget from the earliest (one range instead of one per day).
_DAYS_ONE_BY_ONE = 50
# A step writes an event beside saving the referral or connection it moved (which the receivers
# below judge by its fields), so its event moves nothing more. Any other event (a merge of people
# records, an anonymisation, an erasure) records a change made without saving the models.
_STEP_ACTIONS = frozenset(TRANSITIONS) | frozenset(CONNECTION_TRANSITIONS)


@dataclass(frozen=True)
class Reading:
    """How the figures read one kind of record (by its fields' attribute names)."""

    # Moments counted only when before the end of what a stored figure counts.
    moments: tuple[str, ...] = ()
    # Fields read only together with one of these moments (of the same record).
    companions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Fields no figure and no reader's scope reads.
    unread: frozenset[str] = frozenset()
    # What a new or deleted record moves: what these moments move, or (None) every figure of the cohort.
    as_a_row: tuple[str, ...] | None = None


_CONNECTION_MOMENTS = ("created_at", "sent_to_provider_at", "provider_responded_at", "first_session_booked_at",
                       "attended_at", "did_not_attend_at", "ended_at")
READINGS = {
    "Referral": Reading(
        moments=("triaged_at", "contacted_at", "redirected_at", "not_eligible_at", "discharged_at"),
        companions={"not_eligible_reason": ("not_eligible_at",), "discharge_reason": ("discharged_at",)},
        unread=frozenset({
            "id", "reference", "status", "snomed_code", "referred_by_id", "referrer_name", "referrer_role",
            "referrer_organisation", "referrer_email", "referrer_phone", "what_matters", "notes", "priority", "tier",
            "redirected_to_service_id", "redirected_to_name", "redirected_referral_id", "triage_note",
            "discharge_note", "declined_at", "updated_at", "anonymised_at",
        }),
    ),
    # A connection is counted by its own moments; made, or moved to another provider, it changes
    # which referrals a provider's report counts.
    "Connection": Reading(
        moments=_CONNECTION_MOMENTS,
        companions={"status": ("ended_at", "provider_responded_at"), "kind": ("created_at",),
                    "first_session_at": ("first_session_booked_at",)},
        unread=frozenset({
            "id", "number", "provider_decline_reason", "provider_decline_note", "first_session_id",
            "first_session_note", "service_name", "service_contact", "outcome_note", "resident_notified_at",
            "attendance_recorded_at", "updated_at",
        }),
    ),
    "Contact": Reading(
        moments=("at",),
        companions={"status": ("at",), "method": ("at",), "is_review": ("at",), "duration_minutes": ("at",)},
        unread=frozenset({"id", "note", "recorded_by_id", "recorded_by_label", "created_at", "updated_at",
                          "reminder_queued_at"}),
        as_a_row=("at",),
    ),
    "WellbeingScore": Reading(
        moments=("recorded_at",),
        companions={name: ("recorded_at",) for name in (
            "stage", "life_satisfaction", "worthwhile", "happiness", "anxiety", "by_the_person")},
        unread=frozenset({"id", "recorded_by_id"}),
        as_a_row=("recorded_at",),
    ),
    "CarePlan": Reading(
        moments=("created_at",),
        unread=frozenset({"id", "what_matters", "updated_at"}),
        as_a_row=("created_at",),
    ),
    # The goals of the people discharged in a period are counted by their status now.
    "Goal": Reading(unread=frozenset({"id", "description", "review_on", "created_at", "updated_at"})),
}
_BEFORE = "_reporting_before"


def earliest_moved(reading: Reading, before: dict | None, after: dict, changed: set[str] | None) -> datetime | None | bool:
    """The earliest moment a stored figure must count up to for this change to move it: a moment;
    None when it can move figures counted up to any day; False when it moves nothing.

    ``before`` is the record's stored values (None for a new or deleted record, ``after`` then being
    its values); ``changed`` the fields the save writes (None: all of them)."""
    if before is None:
        if reading.as_a_row is None:
            return None
        moments = [after.get(name) for name in reading.as_a_row]
        return min((m for m in moments if m is not None), default=False)
    moved: list[datetime] = []
    for name, old in before.items():
        if (changed is not None and name not in changed) or name not in after or after[name] == old:
            continue
        if name in reading.unread:
            continue
        if name in reading.moments:
            moved += [m for m in (old, after[name]) if m is not None]
        elif name in reading.companions:
            moved += [m for moment in reading.companions[name] for m in (before.get(moment), after.get(moment))
                      if m is not None]
        else:
            return None
    return min(moved, default=False)


def forget(days: set[date], moment: datetime | None) -> int:
    """Forget the stored figures of periods holding any of ``days`` that count up to ``moment``
    (None: whatever day they count up to); mark those counted up to an earlier day as unchanged
    only until ``moment``."""
    if not days:
        return 0
    if len(days) > _DAYS_ONE_BY_ONE:
        holds = Q(period_end__gte=min(days))
    else:
        holds = Q()
        for day in days:
            holds |= Q(period_start__lte=day, period_end__gte=day)
    rows = StoredReport.objects.filter(holds)
    if moment is None:
        return rows.delete()[0]
    day = timezone.localtime(moment).date()
    # A stored figure counts what happened before the end of the day it is counted up to.
    counts_it = Q(counted_to__gte=day) | Q(counted_to__isnull=True, period_end__gte=day)
    deleted = rows.filter(counts_it).delete()[0]
    rows.filter(counted_to__lt=day).filter(Q(unchanged_until__isnull=True) | Q(unchanged_until__gt=moment)).update(
        unchanged_until=moment)
    return deleted


def _days(*moments: datetime | None) -> set[date]:
    return {timezone.localtime(moment).date() for moment in moments if moment is not None}


def _cohort_days(referral_ids) -> set[date]:
    """The days each referral was received and discharged on."""
    days: set[date] = set()
    for received_at, discharged_at in selectors.referrals_by_id(referral_ids).values_list("received_at", "discharged_at"):
        days |= _days(received_at, discharged_at)
    return days


def forget_referrals(referral_ids) -> int:
    """Forget every stored figure a change to any of these referrals' fixed facts could move."""
    return forget(_cohort_days(referral_ids), None)


def _values(instance, reading: Reading) -> dict:
    return {f.attname: instance.__dict__[f.attname] for f in instance._meta.concrete_fields
            if f.attname in instance.__dict__ and f.attname not in reading.unread}


def _before_save(sender, instance, raw=False, update_fields=None, **kwargs):
    """Read the record's stored values, to compare with what the save writes."""
    if raw or instance._state.adding or instance.pk is None:
        instance.__dict__.pop(_BEFORE, None)
        return
    reading = READINGS[sender.__name__]
    names = [f.attname for f in sender._meta.concrete_fields if f.attname not in reading.unread]
    if update_fields is not None and not _attnames(sender, update_fields) & set(names):
        # Only fields no figure reads (a reminder's stamp): nothing to compare, no query.
        instance.__dict__[_BEFORE] = {}
        return
    instance.__dict__[_BEFORE] = sender._base_manager.filter(pk=instance.pk).values(*names).first()


def _attnames(sender, field_names) -> set[str]:
    return {sender._meta.get_field(name).attname for name in field_names}


def _after_save(sender, instance, created=False, raw=False, update_fields=None, **kwargs):
    reading = READINGS[sender.__name__]
    before = None if created else instance.__dict__.pop(_BEFORE, None)
    if raw:  # loaded from a fixture: its old values were not read
        moment = None
    else:  # (saved over a row that was not there, ``before`` is None: judged as a new row)
        written = None if update_fields is None else _attnames(sender, update_fields)
        moment = earliest_moved(reading, before, _values(instance, reading), written)
    if moment is not False:
        forget(_days_of(sender.__name__, instance, before), moment)


def _after_delete(sender, instance, **kwargs):
    reading = READINGS[sender.__name__]
    moment = earliest_moved(reading, None, _values(instance, reading), None)
    if moment is not False:
        forget(_days_of(sender.__name__, instance, None), moment)


def _days_of(name: str, instance, before: dict | None) -> set[date]:
    """The cohort days of the referral a record is part of, before and after the change."""
    before = before or {}
    if name == "Referral":
        return _days(instance.received_at, instance.discharged_at, before.get("received_at"), before.get("discharged_at"))
    if name == "Goal":
        plans = {instance.plan_id, before.get("plan_id", instance.plan_id)}
        return _cohort_days(selectors.referrals_of_care_plans(plans).values("pk"))
    return _cohort_days({instance.referral_id, before.get("referral_id", instance.referral_id)})


def _on_event(sender, instance, created: bool, **kwargs):
    if created and instance.action not in _STEP_ACTIONS:
        forget_referrals([instance.referral_id])


def _on_needs(sender, instance, action: str, reverse: bool, pk_set, **kwargs):
    if not action.startswith("post_"):
        return
    if reverse:  # a need term's referrals changed
        forget_referrals(pk_set or [])
    else:
        forget_referrals([instance.pk])


def _on_resident(sender, instance, created: bool, **kwargs):
    # The area filter reads the person's postcode: every referral of theirs may move.
    if not created:
        forget_referrals(selectors.referrals_of_resident(instance.pk).values("pk"))


def connect() -> None:
    """Listen for changes to what the figures count (``ReportingConfig.ready``). Reporting reads
    referrals through their selectors; the models are named here only to listen to them."""
    for name in READINGS:
        model = apps.get_model("referrals", name)
        pre_save.connect(_before_save, sender=model, dispatch_uid=f"reporting.corrections.{name}.before")
        post_save.connect(_after_save, sender=model, dispatch_uid=f"reporting.corrections.{name}.after")
        post_delete.connect(_after_delete, sender=model, dispatch_uid=f"reporting.corrections.{name}.delete")
    # Events are append-only (never deleted): each step, hand-over, merge and anonymisation writes one.
    post_save.connect(_on_event, sender=apps.get_model("referrals", "ReferralEvent"),
                      dispatch_uid="reporting.corrections.event")
    post_save.connect(_on_resident, sender=apps.get_model("referrals", "Resident"),
                      dispatch_uid="reporting.corrections.resident")
    m2m_changed.connect(_on_needs, sender=apps.get_model("referrals", "Referral").needs.through,
                        dispatch_uid="reporting.corrections.needs")
