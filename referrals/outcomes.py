"""Outcomes along the pathway: ONS4 wellbeing at the first conversation and at review, and the
person's feedback on their first session — recorded by the link worker, or by the person
through a link sent to them (signed, expiring, one answer per stage).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from referrals.audit import audit
from referrals.choices import AuditAction, NotificationKind
from referrals.errors import NotPermitted, ReferralError
from referrals.models import Referral, ResidentFeedback, WellbeingScore, WellbeingStage
from referrals.notifications.outbox import queue_notifications
from referrals.permissions import may_record_outcomes, may_send_outcome_questions
from referrals.roles import RESIDENT_LINK, Actor

ONS4_FIELDS = ("life_satisfaction", "worthwhile", "happiness", "anxiety")
_SALT = "referrals.resident-outcome-link"
RESIDENT_LINK_DAYS = 28


def wellbeing_record(*, referral: Referral, actor: Actor, stage: str, scores: dict[str, int]) -> WellbeingScore:
    """Record (or correct) the ONS4 answers at ``stage``; each score 0-10."""
    if stage not in WellbeingStage.values:
        raise ReferralError("Choose when these answers were given.", field="stage")
    if not may_record_outcomes(actor, referral):
        raise NotPermitted("Only the person's link worker records their wellbeing.")
    values = {}
    for name in ONS4_FIELDS:
        value = scores.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 10:
            raise ReferralError("Give a whole number from 0 to 10.", field=name)
        values[name] = value
    by_the_person = actor.has_role(RESIDENT_LINK)
    with transaction.atomic():
        score, _ = WellbeingScore.objects.update_or_create(
            referral=referral,
            stage=stage,
            defaults={**values, "recorded_at": timezone.now(), "recorded_by": actor.user, "by_the_person": by_the_person},
        )
        audit(actor, action=AuditAction.CHANGE, what=f"wellbeing answers: {score.get_stage_display()}", referral=referral)
    return score


def feedback_record(*, referral: Referral, actor: Actor, satisfaction: int, comments: str = "") -> ResidentFeedback:
    if not may_record_outcomes(actor, referral):
        raise NotPermitted("Feedback comes from the person, or their link worker on their behalf.")
    if not isinstance(satisfaction, int) or not 1 <= satisfaction <= 5:
        raise ReferralError("Choose how happy you were, from 1 to 5.", field="satisfaction")
    feedback = ResidentFeedback(referral=referral, satisfaction=satisfaction, comments=comments.strip())
    try:
        feedback.full_clean(exclude=["referral"])
        with transaction.atomic():
            feedback.save()
            audit(actor, action=AuditAction.CHANGE, what="feedback on the first session", referral=referral)
    except ValidationError as error:
        raise ReferralError(error.messages[0]) from None
    except IntegrityError:
        raise ReferralError("Feedback for this referral has already been given. Thank you.") from None
    return feedback


# Links for the person ---------------------------------------------------------------------


def resident_link(referral: Referral, purpose: str) -> str:
    """A link the person can use to answer (``purpose`` is a wellbeing stage, or "feedback")."""
    token = signing.dumps({"r": referral.pk, "p": purpose}, salt=_SALT, compress=True)
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse("referrals:resident_answers", args=[token])


class LinkExpired(ReferralError):
    """A genuine link, past its date."""


@transaction.atomic
def outcome_link_send(*, referral: Referral, actor: Actor, purpose: str) -> str:
    """Send the person a link to answer (by their preferred route; a phone call or letter is a task); returns it."""
    if purpose not in (*WellbeingStage.values, "feedback"):
        raise ReferralError("Choose which questions to send.", field="purpose")
    if not may_send_outcome_questions(actor, referral):
        raise NotPermitted("Only the person's link worker sends them questions.")
    link = resident_link(referral, purpose)
    queue_notifications(
        referral, NotificationKind.OUTCOME_QUESTIONS,
        context={"answers_link": link, "purpose": purpose, "link_days": RESIDENT_LINK_DAYS},
    )
    audit(actor, action=AuditAction.CHANGE, what=f"questions sent to the person: {purpose}", referral=referral)
    return link


def resident_link_actor(token: str) -> tuple[Referral, str, Actor]:
    """The referral and purpose a person's link is for, and the actor it acts as; or a clear error."""
    try:
        payload = signing.loads(token, salt=_SALT, max_age=timedelta(days=RESIDENT_LINK_DAYS))
    except signing.SignatureExpired:
        raise LinkExpired("This link has expired. Your link worker can send you a new one.") from None
    except signing.BadSignature:
        raise ReferralError("This link is not valid. It may have been copied wrongly.") from None
    referral = Referral.objects.filter(pk=payload.get("r"), anonymised_at__isnull=True).first()
    purpose = payload.get("p")
    if referral is None or purpose not in (*WellbeingStage.values, "feedback"):
        raise ReferralError("This link is not valid. It may have been copied wrongly.")
    actor = Actor(label="The person (answers link)", roles=frozenset({RESIDENT_LINK}), only_referral_id=referral.pk)
    return referral, purpose, actor


def already_answered(referral: Referral, purpose: str) -> bool:
    if purpose == "feedback":
        return ResidentFeedback.objects.filter(referral=referral).exists()
    return WellbeingScore.objects.filter(referral=referral, stage=purpose, by_the_person=True).exists()
