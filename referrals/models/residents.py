"""Residents (the people referred) and what they have consented to.

Special-category personal data: read it only as ``referrals.permissions`` allows, and audit
every view (``referrals.audit``), never straight from a view or template.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from referrals.choices import ConsentMethod, ConsentPurpose, ContactRoute
from referrals.validators import NHSNumberField


class Resident(models.Model):
    service = models.ForeignKey(
        "referrals.SocialPrescribingService", on_delete=models.PROTECT, related_name="residents"
    )
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField(null=True, blank=True)
    # One person, one record within a service: a new referral with the same NHS number joins it
    # (``referrals.people``); the constraint below holds that.
    nhs_number = NHSNumberField("NHS number", help_text="10 digits, optional.")
    address = models.TextField(blank=True)
    postcode = models.CharField(max_length=8, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    preferred_contact = models.CharField(
        "preferred way to be contacted", max_length=10, choices=ContactRoute.choices, default=ContactRoute.PHONE
    )
    language = models.CharField("preferred language", max_length=100, default="English")
    interpreter_needed = models.BooleanField(default=False)
    accessibility_needs = models.TextField(
        blank=True, help_text="Anything that would help them take part: mobility, hearing, sight, reading."
    )
    # The practice they are registered with, from the list; ``gp_practice`` keeps what was written when no
    # listed practice matched (and what older records had).
    practice = models.ForeignKey(
        "primarycare.GpPractice", null=True, blank=True, on_delete=models.PROTECT, related_name="residents",
        verbose_name="GP practice",
    )
    has_no_gp = models.BooleanField("not registered with a GP", default=False)
    gp_practice = models.CharField("GP practice (as written)", max_length=255, blank=True)
    # A record made in error for someone the service already knew, joined to theirs by triage staff:
    # it keeps no personal data and points at the record that holds it all.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_records"
    )
    merged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    anonymised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["service", "last_name"]),
            models.Index(fields=["service", "date_of_birth"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "nhs_number"],
                condition=~Q(nhs_number="") & Q(merged_into__isnull=True),
                name="one_record_per_nhs_number_in_a_service",
                violation_error_message="The service already has a record with this NHS number.",
            )
        ]

    def __str__(self):
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def practice_name(self) -> str:
        if self.practice_id:
            return self.practice.name
        return "Not registered with a GP" if self.has_no_gp else self.gp_practice

    @property
    def postcode_district(self) -> str:
        return self.postcode.split(" ")[0] if self.postcode else ""

    def clean(self):
        route = self.preferred_contact
        if route == ContactRoute.EMAIL and not self.email:
            raise ValidationError({"email": "Enter an email address, or choose another way to be contacted."})
        if route in (ContactRoute.TEXT, ContactRoute.PHONE) and not self.phone:
            raise ValidationError({"phone": "Enter a phone number, or choose another way to be contacted."})
        if route == ContactRoute.LETTER and not (self.address and self.postcode):
            raise ValidationError({"address": "Enter an address and postcode, or choose another way to be contacted."})


class ConsentQuerySet(models.QuerySet):
    def in_force(self):
        return self.filter(given=True, withdrawn_at__isnull=True)


class Consent(models.Model):
    """One thing the resident agreed to (or refused): by whom, when and how, and its withdrawal."""

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="consents")
    referral = models.ForeignKey(
        "referrals.Referral", null=True, blank=True, on_delete=models.CASCADE, related_name="consents"
    )
    purpose = models.CharField(max_length=30, choices=ConsentPurpose.choices)
    given = models.BooleanField(default=True)
    given_by = models.CharField(
        max_length=255, default="The person themselves", help_text="Who agreed: the person, or who for them."
    )
    method = models.CharField(max_length=20, choices=ConsentMethod.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    withdrawal_note = models.TextField(blank=True)

    objects = ConsentQuerySet.as_manager()

    class Meta:
        ordering = ["recorded_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(purpose__in=ConsentPurpose.values), name="consent_purpose_valid"
            )
        ]

    def __str__(self):
        state = "withdrawn" if self.withdrawn_at else ("given" if self.given else "refused")
        return f"{self.get_purpose_display()}: {state}"
