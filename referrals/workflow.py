"""The state machine, in two tables: the referral's own steps, and each connection's.

The referral (``TRANSITIONS``)::

    received → triaged → in support (contacted) → discharged
    the person may decline at any open point (declined → discharged)
    triage may instead redirect it to another service, or decline it as not eligible (both final)

While the person is in support, the link worker connects them to activities and services,
several at once. Each connection (``CONNECTION_TRANSITIONS``)::

    activity: activity chosen → sent to provider → accepted or declined → first session booked
              → resident notified → attended / did not attend / cancelled
    signpost: signposted → took up / did not take up
    either may be withdrawn while it is still open.

A declined, missed or cancelled connection stays as it ended: another activity is a new
connection. Discharge ends every connection still open (withdrawn).
"""

from dataclasses import dataclass
from datetime import datetime

from referrals.choices import ConnectionStatus as C
from referrals.choices import ReferralStatus as S
from referrals.choices import StaffRole

# Who may own a step. "link_worker" means the referral's allocated link worker only;
# "triage" the triage team of the referral's service; "provider" the editors of the
# organisation the connection was sent to; "system" Signpost's own jobs.
LINK_WORKER, TRIAGE, PROVIDER, SYSTEM = StaffRole.LINK_WORKER, StaffRole.TRIAGE, StaffRole.PROVIDER, "system"

OPEN = frozenset({S.RECEIVED, S.TRIAGED, S.CONTACTED})
FIRST_SESSION_PENDING = frozenset({C.FIRST_SESSION_BOOKED, C.RESIDENT_NOTIFIED})
# A connection that is still going somewhere (an open hand-over, or a signpost with no outcome yet).
CONNECTION_OPEN = frozenset({C.ACTIVITY_CHOSEN, C.SENT_TO_PROVIDER, C.ACCEPTED, *FIRST_SESSION_PENDING, C.SIGNPOSTED})
CONNECTION_ENDED = frozenset(C) - CONNECTION_OPEN
# With the provider: the person cannot be discharged until the provider's part is answered or withdrawn.
WITH_PROVIDER = frozenset({C.SENT_TO_PROVIDER, C.ACCEPTED, *FIRST_SESSION_PENDING})


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset
    target: str
    owners: frozenset
    # Repeating an idempotent step (confirming attendance twice) records it once and succeeds.
    idempotent: bool = False
    # The time stamp field (on the referral, or on the connection for its steps) this step sets:
    # the first time it happens, or, for steps that alerts time from, the latest.
    stamp: str | None = None
    label: str = ""
    stamp_latest: bool = False
    # A step of a connection (``CONNECTION_TRANSITIONS``), not of the referral.
    on_connection: bool = False


def _t(action, sources, target, owners, *, idempotent=False, stamp=None, label="", stamp_latest=False,
       on_connection=False):
    return Transition(action, frozenset(sources), target, frozenset(owners), idempotent, stamp, label, stamp_latest,
                      on_connection)


def _c(action, sources, target, owners, **kwargs):
    return _t(action, sources, target, owners, on_connection=True, **kwargs)


TRANSITIONS = {
    t.action: t
    for t in [
        _t("triage", {S.RECEIVED}, S.TRIAGED, {TRIAGE}, stamp="triaged_at", label="Triaged"),
        # Triage's other answers, before anyone works with the person.
        _t("redirect", {S.RECEIVED}, S.REDIRECTED, {TRIAGE}, stamp="redirected_at",
           label="Redirected to another service"),
        _t("decline_not_eligible", {S.RECEIVED}, S.NOT_ELIGIBLE, {TRIAGE}, stamp="not_eligible_at",
           label="Declined as not eligible"),
        _t("record_contact", {S.TRIAGED}, S.CONTACTED, {LINK_WORKER}, idempotent=True, stamp="contacted_at",
           label="First contact made"),
        _t("person_declines", OPEN, S.DECLINED_BY_PERSON, {LINK_WORKER, TRIAGE}, idempotent=True,
           stamp="declined_at", label="Person declined social prescribing"),
        _t("discharge", (OPEN - {S.RECEIVED}) | {S.DECLINED_BY_PERSON}, S.DISCHARGED, {LINK_WORKER, TRIAGE},
           idempotent=True, stamp="discharged_at", label="Discharged"),
    ]
}

# The link worker connects the person once they are in support (after the first contact).
CONNECTING = frozenset({S.CONTACTED})

CONNECTION_TRANSITIONS = {
    t.action: t
    for t in [
        # Creating a connection: from no status ("") to its first.
        _c("choose_activity", {""}, C.ACTIVITY_CHOSEN, {LINK_WORKER}, label="Activity chosen"),
        _c("signpost", {""}, C.SIGNPOSTED, {LINK_WORKER}, label="Signposted to a service"),
        _c("change_activity", {C.ACTIVITY_CHOSEN}, C.ACTIVITY_CHOSEN, {LINK_WORKER}, label="Activity changed"),
        _c("send_to_provider", {C.ACTIVITY_CHOSEN}, C.SENT_TO_PROVIDER, {LINK_WORKER}, idempotent=True,
           stamp="sent_to_provider_at", label="Sent to provider", stamp_latest=True),
        _c("provider_accept", {C.SENT_TO_PROVIDER}, C.ACCEPTED, {PROVIDER}, idempotent=True,
           stamp="provider_responded_at", label="Accepted by provider", stamp_latest=True),
        _c("provider_decline", {C.SENT_TO_PROVIDER, C.ACCEPTED}, C.DECLINED_BY_PROVIDER, {PROVIDER}, idempotent=True,
           stamp="provider_responded_at", label="Declined by provider", stamp_latest=True),
        _c("book_first_session", {C.ACCEPTED, *FIRST_SESSION_PENDING}, C.FIRST_SESSION_BOOKED, {PROVIDER},
           stamp="first_session_booked_at", label="First session booked"),
        _c("mark_resident_notified", {C.FIRST_SESSION_BOOKED}, C.RESIDENT_NOTIFIED, {SYSTEM, LINK_WORKER},
           idempotent=True, stamp="resident_notified_at", label="Resident told of the first session",
           stamp_latest=True),
        _c("record_attendance", FIRST_SESSION_PENDING, C.ATTENDED, {PROVIDER, LINK_WORKER}, idempotent=True,
           stamp="attendance_recorded_at", label="Attended the first session", stamp_latest=True),
        _c("record_did_not_attend", FIRST_SESSION_PENDING, C.DID_NOT_ATTEND, {PROVIDER, LINK_WORKER},
           idempotent=True, stamp="attendance_recorded_at", label="Did not attend the first session",
           stamp_latest=True),
        _c("cancel_first_session", FIRST_SESSION_PENDING, C.CANCELLED, {PROVIDER, LINK_WORKER}, idempotent=True,
           label="First session cancelled"),
        _c("record_signpost_outcome", {C.SIGNPOSTED}, "", {LINK_WORKER}, label="Outcome of the signpost recorded"),
        _c("withdraw", CONNECTION_OPEN, C.WITHDRAWN, {LINK_WORKER, TRIAGE}, idempotent=True,
           label="Connection withdrawn"),
    ]
}
# A signpost's outcome step ends in whichever outcome was recorded.
SIGNPOST_OUTCOMES = frozenset({C.TOOK_UP, C.DID_NOT_TAKE_UP})

# Steps that do not move the referral: they still need an owner and leave an event.
REALLOCATE = _t("reallocate", OPEN - {S.RECEIVED}, "", {TRIAGE}, label="Link worker changed")

# Every step, by its action (the two tables have no action in common).
ALL_STEPS = {**TRANSITIONS, **CONNECTION_TRANSITIONS, REALLOCATE.action: REALLOCATE}

# What a provider may see, and when: a connection from the moment it is sent to them.
# A withdrawn connection stays in their inbox (as withdrawn) if it had been sent to them.
PROVIDER_VISIBLE = frozenset(
    {C.SENT_TO_PROVIDER, C.ACCEPTED, C.DECLINED_BY_PROVIDER, *FIRST_SESSION_PENDING, C.ATTENDED,
     C.DID_NOT_ATTEND, C.CANCELLED, C.WITHDRAWN}
)

# Whether the person attended can be recorded only once the first session has started.
ATTENDANCE_STEPS = frozenset({"record_attendance", "record_did_not_attend"})


def first_session_started(connection, *, now: datetime) -> bool:
    """Whether ``connection``'s first session has started by ``now`` (so attendance can be recorded)."""
    return connection.first_session_at is not None and connection.first_session_at <= now


def available_actions(status: str) -> list[Transition]:
    """The referral's steps that can happen next from ``status`` (before checking who is asking)."""
    return [t for t in TRANSITIONS.values() if status in t.sources]


def available_connection_actions(status: str) -> list[Transition]:
    """A connection's steps that can happen next from ``status`` (before checking who is asking)."""
    return [t for t in CONNECTION_TRANSITIONS.values() if status in t.sources and "" not in t.sources]
