"""Casework: the link worker's contacts with the person, the care and support plan, and safeguarding concerns.

A referral is a relationship of several contacts (Dorset: 6-12 over 12 weeks; Halton: a
guided conversation, then up to two more one-to-ones), built around a personalised care and
support plan. What is expected per service and tier is a ``ContactExpectation``. Every change
to a plan is kept as a ``CarePlanVersion`` (a snapshot, append-only). Safeguarding concerns are
for the social prescribing team and the service's safeguarding lead, never for providers.

Changes go through the services in ``referrals.casework``; nothing here sends or decides.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from referrals.choices import ContactMethod, ContactStatus, GoalStatus, Tier


class ContactExpectation(models.Model):
    """How many contacts a service expects for a tier, and over how long."""

    service = models.ForeignKey(
        "referrals.SocialPrescribingService", on_delete=models.CASCADE, related_name="contact_expectations"
    )
    tier = models.CharField(max_length=20, choices=Tier.choices)
    min_contacts = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(100)])
    max_contacts = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(100)])
    within_weeks = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(104)])

    class Meta:
        ordering = ["service", "tier"]
        constraints = [
            models.UniqueConstraint(fields=["service", "tier"], name="one_contact_expectation_per_tier"),
            models.CheckConstraint(condition=Q(min_contacts__lte=models.F("max_contacts")), name="contacts_min_le_max"),
        ]

    def __str__(self):
        return f"{self.service}: {self.get_tier_display()}, {self.min_contacts}-{self.max_contacts} in {self.within_weeks} weeks"

    def clean(self):
        # Said in words here: the check constraint's own message names only the constraint.
        if self.min_contacts and self.max_contacts and self.min_contacts > self.max_contacts:
            raise ValidationError({"max_contacts": "The most contacts cannot be fewer than the fewest."})


class Contact(models.Model):
    """One contact with the person (or an attempt to reach them), booked or recorded."""

    referral = models.ForeignKey("referrals.Referral", on_delete=models.CASCADE, related_name="contacts")
    at = models.DateTimeField("when")
    method = models.CharField(max_length=20, choices=ContactMethod.choices)
    duration_minutes = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(600)]
    )
    status = models.CharField(max_length=20, choices=ContactStatus.choices, default=ContactStatus.BOOKED)
    # The review before discharge, where the "after" wellbeing scores are collected.
    is_review = models.BooleanField(default=False)
    note = models.TextField(blank=True, help_text="Never shown to providers.")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_by_label = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # The day-before reminder of a booked contact, once sent (so it is sent once).
    reminder_queued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["status", "at"])]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ContactStatus.values), name="contact_status_valid"),
            models.CheckConstraint(condition=Q(method__in=ContactMethod.values), name="contact_method_valid"),
        ]

    def __str__(self):
        return f"{self.get_method_display()} {self.get_status_display().lower()} at {self.at:%Y-%m-%d %H:%M}"


class CarePlan(models.Model):
    """The personalised care and support plan, built with the person: one per referral."""

    referral = models.OneToOneField("referrals.Referral", on_delete=models.CASCADE, related_name="care_plan")
    what_matters = models.TextField("what matters to the person", blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"Care and support plan for {self.referral}"


class Goal(models.Model):
    plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="goals")
    description = models.TextField()
    status = models.CharField(max_length=20, choices=GoalStatus.choices, default=GoalStatus.NOT_STARTED)
    review_on = models.DateField("review date", null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return self.description[:80]


class PlanAction(models.Model):
    """Who does what by when, towards a goal (or the plan as a whole)."""

    plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="actions")
    goal = models.ForeignKey(Goal, null=True, blank=True, on_delete=models.SET_NULL, related_name="actions")
    description = models.TextField()
    who = models.CharField(max_length=255, help_text="For example: the person, their daughter, the link worker.")
    due_on = models.DateField("by when", null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return self.description[:80]


class CarePlanVersion(models.Model):
    """The whole plan as it stood after one change: the history. Append-only."""

    plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    actor_label = models.CharField(max_length=255)
    change = models.CharField(max_length=255, help_text="What changed, in words.")
    content = models.JSONField()

    class Meta:
        ordering = ["plan", "number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="one_plan_version_number")]

    def __str__(self):
        return f"{self.plan} version {self.number}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("Care plan versions are a history; they are never changed.")
        super().save(*args, **kwargs)


class SafeguardingConcern(models.Model):
    """A concern a link worker recorded; the safeguarding lead is told at once. Never shown to providers."""

    referral = models.ForeignKey("referrals.Referral", on_delete=models.CASCADE, related_name="safeguarding_concerns")
    raised_at = models.DateTimeField(default=timezone.now)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    raised_by_label = models.CharField(max_length=255)
    concern = models.TextField()
    action_taken = models.TextField(blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_by_label = models.CharField(max_length=255, blank=True)
    resolution = models.TextField(blank=True)

    class Meta:
        ordering = ["raised_at", "pk"]
        indexes = [models.Index(fields=["referral", "resolved_at"])]

    def __str__(self):
        return f"Safeguarding concern on {self.referral} raised {self.raised_at:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None
