"""What happened for the person: ONS4 wellbeing before and after, and their feedback on the first session."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from referrals.choices import WellbeingStage

_SCORE = [MinValueValidator(0), MaxValueValidator(10)]


class WellbeingScore(models.Model):
    """The ONS4 personal wellbeing questions, each 0-10, at the first conversation or at review."""

    referral = models.ForeignKey("referrals.Referral", on_delete=models.CASCADE, related_name="wellbeing_scores")
    stage = models.CharField(max_length=20, choices=WellbeingStage.choices)
    life_satisfaction = models.PositiveSmallIntegerField(validators=_SCORE)
    worthwhile = models.PositiveSmallIntegerField(validators=_SCORE)
    happiness = models.PositiveSmallIntegerField(validators=_SCORE)
    # Higher anxiety is worse: an improvement is a fall in this score.
    anxiety = models.PositiveSmallIntegerField(validators=_SCORE)
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    # True when the person answered through the link sent to them.
    by_the_person = models.BooleanField(default=False)

    class Meta:
        ordering = ["recorded_at"]
        constraints = [
            # The latest answers at each stage count; one row per stage keeps the figures simple.
            models.UniqueConstraint(fields=["referral", "stage"], name="one_wellbeing_score_per_stage"),
            *[
                models.CheckConstraint(condition=Q(**{f"{name}__lte": 10}), name=f"wellbeing_{name}_0_10")
                for name in ("life_satisfaction", "worthwhile", "happiness", "anxiety")
            ],
        ]

    def __str__(self):
        return f"ONS4 at {self.get_stage_display().lower()} ({self.referral})"


class ResidentFeedback(models.Model):
    """The person's view of their first session, given after it."""

    referral = models.OneToOneField("referrals.Referral", on_delete=models.CASCADE, related_name="feedback")
    satisfaction = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)], help_text="1 (very unhappy) to 5 (very happy)."
    )
    comments = models.TextField(blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"Feedback on {self.referral}"

