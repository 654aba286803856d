"""Demo casework: the contacts, care and support plans and a safeguarding concern on the demo referrals.

Built after the demo referrals have been moved into the past, through the same service
functions link workers use (``referrals.contacts``, ``referrals.care_plans``,
``referrals.safeguarding``), so every audit entry and message is as in life:

- contact expectations as the specifications set them: Dorset and Poole, 6-12 contacts within
  12 weeks for one-to-one support; Halton, a guided conversation then up to two more one-to-ones
  (1-3 within 8 weeks); signposting, one contact within 2 weeks. Leeds sets none, so its
  caseload says so;
- each open referral past first contact: the held first contact, a follow-up a week later where
  a week has passed, and the next contact booked;
- a care and support plan on the longest-running cases, one with a goal past its review date;
- a safeguarding concern, open, on the demo link worker's newest Dorset case (so the caseload
  shows the flag).

The longest Dorset case (received about 14 weeks ago, attended, no review yet) is past its
expected length; the tracking job run at the end of the demo raises its alert.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db.models import F
from django.utils import timezone

from referrals import care_plans, contacts, safeguarding
from referrals.choices import (
    ContactMethod,
    ContactRoute,
    ContactStatus,
    GoalStatus,
    Tier,
)
from referrals.choices import ReferralStatus as S
from referrals.models import (
    CarePlan,
    CarePlanVersion,
    ContactExpectation,
    Goal,
    PlanAction,
    Referral,
    SocialPrescribingService,
)
from referrals.roles import actor_for_user

# (fewest, most, within weeks) per tier, by the demo service's area.
EXPECTATIONS = {
    "dorset": {Tier.ONE_TO_ONE: (6, 12, 12), Tier.SIGNPOSTING: (1, 1, 2), Tier.FOLLOW_UP: (1, 2, 6)},
    "halton": {Tier.ONE_TO_ONE: (1, 3, 8), Tier.SIGNPOSTING: (1, 1, 2)},
}
# Open referrals past first contact (in support) take contacts; discharged ones had theirs
# (``demo.referrals._discharge``).
IN_CASEWORK = {S.CONTACTED}
PLANS = 4


def build_demo_casework(
    services_by_area: dict[str, SocialPrescribingService], *, now: datetime, concern_for: str
) -> None:
    """``concern_for``: the username of the link worker whose newest Dorset case has the concern."""
    for area, tiers in EXPECTATIONS.items():
        for tier, (fewest, most, weeks) in tiers.items():
            ContactExpectation.objects.get_or_create(
                service=services_by_area[area], tier=tier,
                defaults={"min_contacts": fewest, "max_contacts": most, "within_weeks": weeks},
            )
    cases = list(
        Referral.objects.filter(service__in=services_by_area.values(), status__in=IN_CASEWORK,
                                link_worker__isnull=False, contacted_at__isnull=False)
        .select_related("resident", "link_worker", "service").order_by("contacted_at", "pk")
    )
    for referral in cases:
        _contacts(referral, now=now)
    for number, referral in enumerate(cases[:PLANS]):
        _plan(referral, now=now, review_passed=number == 0)
    dorset = [case for case in cases
              if case.service == services_by_area["dorset"] and case.link_worker.get_username() == concern_for]
    if dorset:
        referral = dorset[-1]
        safeguarding.concern_raise(
            referral=referral, actor=actor_for_user(referral.link_worker),
            concern="Said at the last call that a neighbour has been taking money for shopping and not bringing it.",
            action_taken="Talked it through with the person; agreed to speak to the safeguarding lead today.",
        )


def _method(referral: Referral) -> str:
    return ContactMethod.PHONE if referral.resident.preferred_contact == ContactRoute.PHONE else ContactMethod.FACE_TO_FACE


def _contacts(referral: Referral, *, now: datetime) -> None:
    worker = actor_for_user(referral.link_worker)
    first = referral.contacted_at
    contacts.contact_record(
        referral=referral, actor=worker, at=first, method=_method(referral), status=ContactStatus.HELD,
        duration_minutes=50, note="Guided conversation: what matters, and what they would like to try.", now=now,
    )
    follow_up = first + timedelta(days=7)
    if follow_up < now - timedelta(hours=1):
        contacts.contact_record(
            referral=referral, actor=worker, at=follow_up, method=ContactMethod.PHONE, status=ContactStatus.HELD,
            duration_minutes=20, note="Checked how the first steps went.", now=now,
        )
    next_contact = timezone.localtime(now + timedelta(days=3)).replace(hour=10, minute=30, second=0, microsecond=0)
    contacts.contact_book(referral=referral, actor=worker, at=next_contact, method=_method(referral), now=now)


def _plan(referral: Referral, *, now: datetime, review_passed: bool) -> None:
    worker = actor_for_user(referral.link_worker)
    plan = care_plans.care_plan_start(referral=referral, actor=worker)
    today = timezone.localdate(now)
    goal = care_plans.goal_add(
        referral=referral, actor=worker, description="Get out of the house and meet people twice a week.",
        status=GoalStatus.IN_PROGRESS, review_on=today + timedelta(days=18),
    )
    care_plans.action_add(
        referral=referral, actor=worker, description="Try the group's first session with a friend.",
        who="The person", due_on=today + timedelta(days=7), goal_id=goal.pk,
    )
    if review_passed:
        # This plan was made three weeks ago, so its goal's review date has just passed (a date in
        # the past cannot be entered, so the plan's whole story is moved back, history included).
        _move_plan_into_the_past(plan, days=21)


def _move_plan_into_the_past(plan: CarePlan, *, days: int) -> None:
    shift = timedelta(days=days)
    CarePlan.objects.filter(pk=plan.pk).update(created_at=F("created_at") - shift)
    Goal.objects.filter(plan=plan).update(created_at=F("created_at") - shift, review_on=F("review_on") - shift)
    PlanAction.objects.filter(plan=plan).update(created_at=F("created_at") - shift, due_on=F("due_on") - shift)
    for version in CarePlanVersion.objects.filter(plan=plan):
        content = version.content
        for goal in content.get("goals", []):
            if goal.get("review_on"):
                goal["review_on"] = (date.fromisoformat(goal["review_on"]) - shift).isoformat()
        for action in content.get("actions", []):
            if action.get("due_on"):
                action["due_on"] = (date.fromisoformat(action["due_on"]) - shift).isoformat()
        # A queryset update: versions are append-only to everything but the demo's move into the past.
        CarePlanVersion.objects.filter(pk=version.pk).update(at=version.at - shift, content=content)
