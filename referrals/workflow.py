"""The referral state machine, in one table: which step moves a referral from where to where, and who owns it.

received → triaged → contacted → activity chosen → sent to provider → accepted or declined
→ first session booked → resident notified → attended / did not attend / cancelled → closed.
The person may decline at any open point; a provider's decline, a did-not-attend or a
cancelled first session can go back to "activity chosen" for another activity.
"""

from dataclasses import dataclass
from datetime import datetime

from referrals.choices import ReferralStatus as S
from referrals.choices import StaffRole

# Who may own a step. "link_worker" means the referral's allocated link worker only;
# "triage" the triage team of the referral's service; "provider" the editors of the
# organisation the referral was sent to; "system" Signpost's own jobs.
LINK_WORKER, TRIAGE, PROVIDER, SYSTEM = StaffRole.LINK_WORKER, StaffRole.TRIAGE, StaffRole.PROVIDER, "system"

OPEN = frozenset(S) - {S.CLOSED, S.DECLINED_BY_PERSON}
FIRST_SESSION_PENDING = frozenset({S.FIRST_SESSION_BOOKED, S.RESIDENT_NOTIFIED})


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset
    target: str
    owners: frozenset
    # Repeating an idempotent step (confirming attendance twice) records it once and succeeds.
    idempotent: bool = False
    # The time stamp field on Referral this step sets: the first time it happens, or, for
    # steps that alerts time from (sending to a provider, its response), the latest.
    stamp: str | None = None
    label: str = ""
    stamp_latest: bool = False


def _t(action, sources, target, owners, *, idempotent=False, stamp=None, label="", stamp_latest=False):
    return Transition(action, frozenset(sources), target, frozenset(owners), idempotent, stamp, label, stamp_latest)


TRANSITIONS = {
    t.action: t
    for t in [
        _t("triage", {S.RECEIVED}, S.TRIAGED, {TRIAGE}, stamp="triaged_at", label="Triaged"),
        _t("record_contact", {S.TRIAGED}, S.CONTACTED, {LINK_WORKER}, idempotent=True, stamp="contacted_at",
           label="First contact made"),
        _t("choose_activity", {S.CONTACTED, S.ACTIVITY_CHOSEN, S.DECLINED_BY_PROVIDER, S.DID_NOT_ATTEND, S.CANCELLED},
           S.ACTIVITY_CHOSEN, {LINK_WORKER}, stamp="activity_chosen_at", label="Activity chosen"),
        _t("send_to_provider", {S.ACTIVITY_CHOSEN}, S.SENT_TO_PROVIDER, {LINK_WORKER}, idempotent=True,
           stamp="sent_to_provider_at", label="Sent to provider", stamp_latest=True),
        _t("provider_accept", {S.SENT_TO_PROVIDER}, S.ACCEPTED, {PROVIDER}, idempotent=True,
           stamp="provider_responded_at", label="Accepted by provider", stamp_latest=True),
        _t("provider_decline", {S.SENT_TO_PROVIDER, S.ACCEPTED}, S.DECLINED_BY_PROVIDER, {PROVIDER}, idempotent=True,
           stamp="provider_responded_at", label="Declined by provider", stamp_latest=True),
        _t("book_first_session", {S.ACCEPTED, *FIRST_SESSION_PENDING}, S.FIRST_SESSION_BOOKED, {PROVIDER},
           stamp="first_session_booked_at", label="First session booked"),
        _t("mark_resident_notified", {S.FIRST_SESSION_BOOKED}, S.RESIDENT_NOTIFIED, {SYSTEM, LINK_WORKER},
           idempotent=True, stamp="resident_notified_at", label="Resident told of the first session", stamp_latest=True),
        _t("record_attendance", FIRST_SESSION_PENDING, S.ATTENDED, {PROVIDER, LINK_WORKER}, idempotent=True,
           stamp="attendance_recorded_at", label="Attended the first session", stamp_latest=True),
        _t("record_did_not_attend", FIRST_SESSION_PENDING, S.DID_NOT_ATTEND, {PROVIDER, LINK_WORKER},
           idempotent=True, stamp="attendance_recorded_at", label="Did not attend the first session", stamp_latest=True),
        _t("cancel_first_session", FIRST_SESSION_PENDING, S.CANCELLED, {PROVIDER, LINK_WORKER}, idempotent=True,
           label="First session cancelled"),
        _t("person_declines", OPEN, S.DECLINED_BY_PERSON, {LINK_WORKER, TRIAGE}, idempotent=True,
           stamp="declined_at", label="Person declined social prescribing"),
        _t("close", OPEN - {S.RECEIVED, *FIRST_SESSION_PENDING, S.SENT_TO_PROVIDER, S.ACCEPTED} | {S.DECLINED_BY_PERSON},
           S.CLOSED, {LINK_WORKER, TRIAGE}, idempotent=True, stamp="closed_at", label="Closed"),
    ]
}

# Steps that do not move the referral: they still need an owner and leave an event.
REALLOCATE = _t("reallocate", OPEN - {S.RECEIVED}, "", {TRIAGE}, label="Link worker changed")

# What a provider may see, and when: from the moment it is sent to them. A referral that
# has gone back to "activity chosen" for another activity is no longer theirs to see.
PROVIDER_VISIBLE = frozenset(
    {S.SENT_TO_PROVIDER, S.ACCEPTED, S.DECLINED_BY_PROVIDER, *FIRST_SESSION_PENDING, S.ATTENDED,
     S.DID_NOT_ATTEND, S.CANCELLED}
)


# Whether the person attended can be recorded only once the first session has started.
ATTENDANCE_STEPS = frozenset({"record_attendance", "record_did_not_attend"})


def first_session_started(referral, *, now: datetime) -> bool:
    """Whether ``referral``'s first session has started by ``now`` (so attendance can be recorded)."""
    return referral.first_session_at is not None and referral.first_session_at <= now


def available_actions(status: str) -> list[Transition]:
    """The steps that can happen next from ``status`` (before checking who is asking)."""
    return [t for t in TRANSITIONS.values() if status in t.sources]
