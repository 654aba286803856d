"""The personalised care and support plan: what matters to the person, their goals, who does what
by when, and the activities and services they are connected to; every change kept.

Each change is a function here taking an ``Actor``. In one transaction it locks the plan's row,
checks who may (``referrals.permissions``: only the person's link worker changes the plan; their
service's triage team reads it; providers never see it), applies the change, writes a
``CarePlanVersion`` (the next number, the change in words, and the whole plan as it now stands),
clears a plan-review alert the change resolves, and writes an audit entry (which names the kind of
change, never the person's words: the audit trail holds no personal data).

The person can be given a plain-English copy (``plain_copy``: one renderer, shown as a letter to
print, sent as an email, or reached through a text's link that needs no account and expires after
``CARE_PLAN_LINK_DAYS``), by the route they prefer (``care_plan_copy_send``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from referrals.audit import audit
from referrals.choices import (
    AlertKind,
    AuditAction,
    Channel,
    ConnectionStatus,
    GoalStatus,
    NotificationKind,
)
from referrals.errors import InvalidTransition, ReferralError
from referrals.models import (
    Alert,
    CarePlan,
    CarePlanVersion,
    Goal,
    PlanAction,
    Referral,
)
from referrals.notifications.messages import clock_time
from referrals.notifications.outbox import queue_notifications
from referrals.outcomes import LinkExpired
from referrals.permissions import check_may_change_care_plan, check_may_see_care_plan
from referrals.roles import RESIDENT_LINK, Actor
from referrals.workflow import OPEN

# Longest texts kept: enough for a paragraph, short enough to read aloud.
WHAT_MATTERS_MAX_LENGTH = 5000
DESCRIPTION_MAX_LENGTH = 1000
WHO_MAX_LENGTH = 255
# Review and due dates are for the coming months: no later than this ahead of today.
FURTHEST_AHEAD_DAYS = 2 * 365
# A goal with one of these statuses is finished: it needs no review.
ENDED = frozenset({GoalStatus.ACHIEVED, GoalStatus.NOT_ACHIEVED, GoalStatus.NO_LONGER_WANTED})
CLEARED_BY_CHANGE = "care_plan_change"

_SALT = "referrals.care-plan-copy-link"
PERSON_LINK_LABEL = "The person (link)"


def link_days() -> int:
    """How long a link to the person's copy works: ``SIGNPOST_REFERRALS["CARE_PLAN_LINK_DAYS"]`` (14)."""
    return int(getattr(settings, "SIGNPOST_REFERRALS", {}).get("CARE_PLAN_LINK_DAYS", 14))


# The activities and services the person is connected to ----------------------------------


def plan_connections(referral: Referral) -> list[dict]:
    """What the person is connected to, as the plan shows it: each activity (with its provider once sent)
    and each service they were signposted to, in the order they were made; withdrawn ones are left out."""
    return [
        {
            "kind": connection.kind,
            "title": connection.name,
            "provider": connection.provider.title if connection.provider_id else "",
            "status": connection.get_status_display(),
            "first_session_at": connection.first_session_at.isoformat() if connection.first_session_at else None,
        }
        for connection in referral.connections.select_related("activity", "provider").order_by("number")
        if connection.status != ConnectionStatus.WITHDRAWN
    ]


# The plan as data: the versions' content, the API's, the pages' ---------------------------


def plan_content(plan: CarePlan) -> dict:
    """The whole plan as plain data (what each version keeps)."""
    return {
        "what_matters": plan.what_matters,
        "goals": [
            {
                "id": goal.pk,
                "description": goal.description,
                "status": goal.status,
                "status_label": goal.get_status_display(),
                "review_on": goal.review_on.isoformat() if goal.review_on else None,
            }
            for goal in plan.goals.order_by("created_at", "pk")
        ],
        "actions": [
            {
                "id": action.pk,
                "description": action.description,
                "who": action.who,
                "due_on": action.due_on.isoformat() if action.due_on else None,
                "done_at": action.done_at.isoformat() if action.done_at else None,
                "goal_id": action.goal_id,
            }
            for action in plan.actions.order_by("created_at", "pk")
        ],
        "connections": plan_connections(plan.referral),
    }


def plan_for(referral: Referral) -> CarePlan | None:
    return CarePlan.objects.filter(referral=referral).select_related("referral").first()


def care_plan_read(*, referral: Referral, actor: Actor) -> CarePlan | None:
    """The referral's plan (None before it is started), for someone who may see it."""
    check_may_see_care_plan(actor, referral)
    return plan_for(referral)


def goals_due_for_review(plan: CarePlan, *, today: date | None = None):
    today = today or timezone.localdate()
    return plan.goals.filter(review_on__lt=today).exclude(status__in=ENDED)


# Changes ------------------------------------------------------------------------------------


def _short(text: str, length: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def _day(value: date | None) -> str:
    return date_format(value, "j F Y") if value else "none"


def _text(value, *, what: str, field: str, max_length: int, required: bool = True) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ReferralError(f"Enter {what} as text.", field=field)
    value = value.strip()
    if "\x00" in value:
        raise ReferralError(f"Enter {what} without control characters.", field=field)
    if required and not value:
        raise ReferralError(f"Enter {what}.", field=field)
    if len(value) > max_length:
        raise ReferralError(f"Keep {what} to {max_length:,} characters or fewer.", field=field)
    return value


def _date(value, *, what: str, field: str, unchanged: date | None = None) -> date | None:
    """A review or due date: from today to two years ahead (an earlier date already kept may stay)."""
    if value is None or value == unchanged:
        return value
    if not isinstance(value, date):
        raise ReferralError(f"Enter {what} as a date.", field=field)
    today = timezone.localdate()
    if value < today:
        raise ReferralError(f"{what.capitalize()} must be today or later.", field=field)
    if value > today + timedelta(days=FURTHEST_AHEAD_DAYS):
        raise ReferralError(f"{what.capitalize()} must be within 2 years.", field=field)
    return value


def _status(value) -> str:
    if value not in GoalStatus.values:
        raise ReferralError("Choose the goal's status.", field="status")
    return value


def _locked_plan(referral: Referral, actor: Actor) -> CarePlan:
    """The plan, its row locked, once the actor may change it and the referral is still open."""
    check_may_change_care_plan(actor, referral)
    plan = CarePlan.objects.select_for_update().filter(referral=referral).select_related("referral").first()
    if plan is None:
        raise InvalidTransition("Start the plan first.")
    _check_open(plan.referral)
    return plan


def _check_open(referral: Referral) -> None:
    referral.refresh_from_db(fields=["status", "anonymised_at"])
    if referral.status not in OPEN or referral.anonymised_at is not None:
        raise InvalidTransition("This referral is finished: its plan can no longer be changed.")


def _record(plan: CarePlan, *, actor: Actor, change: str, what: str) -> CarePlanVersion:
    """Keep the plan as it now stands as its next version; audit the change (in kind, not in words)."""
    number = (plan.versions.aggregate(last=Max("number"))["last"] or 0) + 1
    CarePlan.objects.filter(pk=plan.pk).update(updated_at=timezone.now())
    version = CarePlanVersion.objects.create(
        plan=plan, number=number, actor=actor.user, actor_label=actor.label[:255], change=change[:255],
        content=plan_content(plan),
    )
    if not goals_due_for_review(plan).exists():
        Alert.objects.open().filter(referral_id=plan.referral_id, kind=AlertKind.PLAN_REVIEW_DUE).update(
            cleared_at=timezone.now(), cleared_by=actor.user, cleared_by_action=CLEARED_BY_CHANGE
        )
    audit(actor, action=AuditAction.CHANGE, what=f"care and support plan: {what}", referral=plan.referral_id,
          resident=plan.referral.resident_id)
    return version


@transaction.atomic
def care_plan_start(*, referral: Referral, actor: Actor) -> CarePlan:
    """Start the person's plan, with what matters to them as the referral recorded it. Starting a
    plan that exists already returns it unchanged."""
    check_may_change_care_plan(actor, referral)
    locked = Referral.objects.select_for_update().get(pk=referral.pk)
    existing = plan_for(locked)
    if existing is not None:
        return existing
    _check_open(locked)
    plan = CarePlan.objects.create(referral=locked, what_matters=locked.what_matters.strip())
    _record(plan, actor=actor, change="Plan started", what="started")
    return plan


@transaction.atomic
def care_plan_change_what_matters(*, referral: Referral, actor: Actor, what_matters: str) -> CarePlan:
    plan = _locked_plan(referral, actor)
    text = _text(what_matters, what="what matters to the person", field="what_matters",
                 max_length=WHAT_MATTERS_MAX_LENGTH, required=False)
    if text == plan.what_matters:
        return plan
    plan.what_matters = text
    plan.save(update_fields=["what_matters", "updated_at"])
    _record(plan, actor=actor, change="What matters changed", what="what matters changed")
    return plan


@transaction.atomic
def goal_add(*, referral: Referral, actor: Actor, description: str, status: str = GoalStatus.NOT_STARTED,
             review_on: date | None = None) -> Goal:
    plan = _locked_plan(referral, actor)
    goal = Goal.objects.create(
        plan=plan,
        description=_text(description, what="the goal", field="description", max_length=DESCRIPTION_MAX_LENGTH),
        status=_status(status),
        review_on=_date(review_on, what="the review date", field="review_on"),
    )
    _record(plan, actor=actor, change=f"Goal added: {_short(goal.description, 200)}", what="goal added")
    return goal


_UNSET = object()


@transaction.atomic
def goal_edit(*, referral: Referral, actor: Actor, goal_id: int, description=_UNSET, status=_UNSET,
              review_on=_UNSET) -> Goal:
    """Change a goal: any of its description, status and review date (those not given stay)."""
    plan = _locked_plan(referral, actor)
    goal = plan.goals.filter(pk=goal_id).first()
    if goal is None:
        raise ReferralError("This plan has no such goal.", field="goal")
    name = _short(goal.description)
    changes = []
    if description is not _UNSET:
        text = _text(description, what="the goal", field="description", max_length=DESCRIPTION_MAX_LENGTH)
        if text != goal.description:
            goal.description = text
            changes.append(f"reworded as '{_short(text)}'")
    if status is not _UNSET and _status(status) != goal.status:
        changes.append(f"{goal.get_status_display()} → {GoalStatus(status).label}")
        goal.status = status
    if review_on is not _UNSET:
        review_on = _date(review_on, what="the review date", field="review_on", unchanged=goal.review_on)
        if review_on != goal.review_on:
            changes.append(f"review date {_day(goal.review_on)} → {_day(review_on)}")
            goal.review_on = review_on
    if not changes:
        return goal
    goal.save()
    _record(plan, actor=actor, change=f"Goal '{name}': " + "; ".join(changes), what="goal changed")
    return goal


def _goal_of(plan: CarePlan, goal_id) -> Goal | None:
    if goal_id in (None, ""):
        return None
    goal = plan.goals.filter(pk=goal_id).first()
    if goal is None:
        raise ReferralError("Choose one of this plan's goals, or none.", field="goal")
    return goal


@transaction.atomic
def action_add(*, referral: Referral, actor: Actor, description: str, who: str, due_on: date | None = None,
               goal_id: int | None = None) -> PlanAction:
    plan = _locked_plan(referral, actor)
    action = PlanAction.objects.create(
        plan=plan,
        description=_text(description, what="what will be done", field="description",
                          max_length=DESCRIPTION_MAX_LENGTH),
        who=_text(who, what="who will do it", field="who", max_length=WHO_MAX_LENGTH),
        due_on=_date(due_on, what="the date it is due by", field="due_on"),
        goal=_goal_of(plan, goal_id),
    )
    _record(plan, actor=actor, change=f"Action added: {_short(action.description, 200)} ({_short(action.who)})",
            what="action added")
    return action


@transaction.atomic
def action_edit(*, referral: Referral, actor: Actor, action_id: int, description=_UNSET, who=_UNSET, due_on=_UNSET,
                goal_id=_UNSET, done=_UNSET) -> PlanAction:
    """Change an action: what, who, by when, towards which goal, and whether it is done."""
    plan = _locked_plan(referral, actor)
    action = plan.actions.filter(pk=action_id).first()
    if action is None:
        raise ReferralError("This plan has no such action.", field="action")
    name = _short(action.description)
    changes = []
    if description is not _UNSET:
        text = _text(description, what="what will be done", field="description", max_length=DESCRIPTION_MAX_LENGTH)
        if text != action.description:
            action.description = text
            changes.append(f"reworded as '{_short(text)}'")
    if who is not _UNSET:
        text = _text(who, what="who will do it", field="who", max_length=WHO_MAX_LENGTH)
        if text != action.who:
            changes.append(f"who {_short(action.who)} → {_short(text)}")
            action.who = text
    if due_on is not _UNSET:
        due_on = _date(due_on, what="the date it is due by", field="due_on", unchanged=action.due_on)
        if due_on != action.due_on:
            changes.append(f"by {_day(action.due_on)} → {_day(due_on)}")
            action.due_on = due_on
    if goal_id is not _UNSET:
        goal = _goal_of(plan, goal_id)
        if (goal.pk if goal else None) != action.goal_id:
            changes.append(f"towards '{_short(goal.description)}'" if goal else "towards no goal in particular")
            action.goal = goal
    if done is not _UNSET:
        if not isinstance(done, bool):
            raise ReferralError("Say whether the action is done (true or false).", field="done")
        if done and action.done_at is None:
            action.done_at = timezone.now()
            changes.append("done")
        elif not done and action.done_at is not None:
            action.done_at = None
            changes.append("not done after all")
    if not changes:
        return action
    action.save()
    _record(plan, actor=actor, change=f"Action '{name}': " + "; ".join(changes), what="action changed")
    return action


def action_mark_done(*, referral: Referral, actor: Actor, action_id: int) -> PlanAction:
    """Mark an action done (marking it again changes nothing)."""
    return action_edit(referral=referral, actor=actor, action_id=action_id, done=True)


def versions_of(plan: CarePlan):
    return plan.versions.order_by("-number")


# The plain-English copy for the person ------------------------------------------------------

# A goal's status, as it reads to the person.
_STATUS_WORDS = {
    GoalStatus.NOT_STARTED: "Not started yet.",
    GoalStatus.IN_PROGRESS: "You are working on this.",
    GoalStatus.ACHIEVED: "Done. Well done!",
    GoalStatus.PARTLY_ACHIEVED: "Part done.",
    GoalStatus.NOT_ACHIEVED: "This did not happen, and that is OK.",
    GoalStatus.NO_LONGER_WANTED: "You do not want this any more.",
}


@dataclass(frozen=True)
class CopySection:
    heading: str
    items: list[str] = field(default_factory=list)
    # Said when there is nothing to list.
    empty: str = ""


@dataclass(frozen=True)
class PlainCopy:
    """The plan in plain English, for the person: a greeting, four sections, and who to ask."""

    first_name: str
    service: str
    link_worker: str
    sections: list[CopySection]
    prepared_on: str

    def as_text(self) -> str:
        """The copy as plain text (for an email)."""
        lines = []
        for section in self.sections:
            lines += [section.heading, "-" * len(section.heading)]
            lines += [f"* {item}" for item in section.items] if section.items else [section.empty]
            lines.append("")
        return "\n".join(lines).strip()


def _long_day(value: str | date | None) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return date_format(value, "l j F Y")


def plain_copy(plan: CarePlan) -> PlainCopy:
    """The one renderer of the person's copy: the letter, the email and the page behind the text's link."""
    referral = plan.referral
    worker = referral.link_worker
    worker_name = (worker.get_full_name() or worker.get_username()) if worker is not None else ""
    content = plan_content(plan)
    goals = []
    for goal in content["goals"]:
        words = f"{goal['description']} {_STATUS_WORDS.get(goal['status'], '')}"
        if goal["review_on"] and goal["status"] not in ENDED:
            words += f" We will look at this again on {_long_day(goal['review_on'])}."
        goals.append(words)
    actions = []
    for action in content["actions"]:
        words = f"{action['description']} Who: {action['who']}."
        if action["done_at"]:
            words += " Done."
        elif action["due_on"]:
            words += f" By {_long_day(action['due_on'])}."
        actions.append(words)
    connections = []
    for connection in content["connections"]:
        words = connection["title"] + (f", run by {connection['provider']}." if connection["provider"] else ".")
        if connection["first_session_at"]:
            starts = timezone.localtime(datetime.fromisoformat(connection["first_session_at"]))
            words += f" Your first time: {date_format(starts, 'l j F Y')} at {clock_time(starts)}."
        connections.append(words)
    return PlainCopy(
        first_name=referral.resident.first_name,
        service=referral.service.name,
        link_worker=worker_name,
        prepared_on=date_format(timezone.localdate(), "j F Y"),
        sections=[
            CopySection("What matters to you", [content["what_matters"]] if content["what_matters"] else [],
                        "We have not written this down yet."),
            CopySection("Your goals", goals, "You have not set any goals yet."),
            CopySection("Who will do what", actions, "Nothing yet."),
            CopySection("Activities and services", connections,
                        "None yet. Your link worker will talk with you about what might help."),
        ],
    )


# Sending the copy ---------------------------------------------------------------------------


def copy_link(referral: Referral) -> str:
    """A link to the person's copy that needs no account, and expires after ``link_days()``."""
    token = signing.dumps({"r": referral.pk, "p": "plan"}, salt=_SALT, compress=True)
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse("referrals:care_plan_public", args=[token])


def copy_link_actor(token: str) -> tuple[CarePlan, Actor]:
    """The plan a person's link opens and who it acts as; ``LinkExpired`` for a genuine link past its
    date, ``ReferralError`` for anything else (altered, made up, or the plan is gone)."""
    try:
        payload = signing.loads(token, salt=_SALT, max_age=timedelta(days=link_days()))
    except signing.SignatureExpired:
        raise LinkExpired("This link has expired. Your link worker can send you a new one.") from None
    except signing.BadSignature:
        raise ReferralError("This link is not valid.") from None
    plan = (
        CarePlan.objects.filter(referral_id=payload.get("r"), referral__anonymised_at__isnull=True)
        .select_related("referral", "referral__resident", "referral__service", "referral__link_worker")
        .first()
    )
    if plan is None or payload.get("p") != "plan":
        raise ReferralError("This link is not valid.")
    actor = Actor(label=PERSON_LINK_LABEL, roles=frozenset({RESIDENT_LINK}), only_referral_id=plan.referral_id)
    return plan, actor


@dataclass(frozen=True)
class CopySent:
    channel: str  # how it went: email, text, or a letter or phone task for the link worker
    link: str  # the text's link ("" for an email or a task)


@transaction.atomic
def care_plan_copy_send(*, referral: Referral, actor: Actor) -> CopySent:
    """Send the person their copy by their preferred route: an email with the plan in it, a text with
    a link, or (phone or letter) a task for the link worker to post the printed letter."""
    plan = _locked_plan(referral, actor)
    link = copy_link(referral)
    letter_url = settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse("referrals:care_plan_letter",
                                                                      kwargs={"pk": referral.pk})
    created = queue_notifications(
        plan.referral, NotificationKind.CARE_PLAN_COPY,
        context={"copy": plain_copy(plan), "plan_link": link, "link_days": link_days(), "letter_url": letter_url},
    )
    channel = created[0].channel if created else ""
    audit(actor, action=AuditAction.CHANGE, what="care and support plan: copy sent to the person",
          referral=plan.referral)
    return CopySent(channel=channel, link=link if channel == Channel.TEXT else "")
