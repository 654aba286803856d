"""Referrals and their append-only event log.

The status only ever changes through ``referrals.services``, which locks the row, checks
``referrals.workflow.TRANSITIONS``, writes a ``ReferralEvent`` and queues notifications in
one transaction. Nothing here (no ``save()`` override, no signal) moves a referral along.
"""

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from referrals.choices import (
    SNOMED_REFERRED,
    DischargeReason,
    NotEligibleReason,
    Priority,
    ReferralStatus,
    Source,
    Tier,
)

# No 0/O or 1/I: references are read out over the phone.
_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_reference() -> str:
    return "SP-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(7))


class Referral(models.Model):
    # The only identifier that leaves Signpost (emails, texts, gateways): nothing personal in it.
    reference = models.CharField(max_length=12, unique=True, default=new_reference, editable=False)
    service = models.ForeignKey(
        "referrals.SocialPrescribingService", on_delete=models.PROTECT, related_name="referrals"
    )
    resident = models.ForeignKey("referrals.Resident", on_delete=models.PROTECT, related_name="referrals")
    status = models.CharField(max_length=24, choices=ReferralStatus.choices, default=ReferralStatus.RECEIVED)
    snomed_code = models.CharField("SNOMED CT code", max_length=18, default=SNOMED_REFERRED)

    # Who referred.
    source = models.CharField(max_length=20, choices=Source.choices)
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="referrals_made"
    )
    referrer_name = models.CharField(max_length=255, blank=True)
    referrer_role = models.CharField(max_length=255, blank=True)
    referrer_organisation = models.CharField(max_length=255, blank=True, help_text="For example, the GP practice.")
    referrer_email = models.EmailField(blank=True)
    referrer_phone = models.CharField(max_length=40, blank=True)

    # What the person needs.
    needs = models.ManyToManyField("directory.NeedTerm", blank=True, related_name="referrals")
    what_matters = models.TextField("what matters to the person", blank=True)
    notes = models.TextField(blank=True, help_text="Notes for the social prescribing team. Never shown to providers.")
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.ROUTINE)

    # Triage.
    tier = models.CharField(max_length=20, choices=Tier.choices, blank=True)
    link_worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="caseload"
    )

    # Triage's other answers: declined as not eligible (with a reason code), or redirected to another
    # service (one that uses Signpost gets the referral handed over: ``redirected_referral``).
    not_eligible_reason = models.CharField(max_length=20, choices=NotEligibleReason.choices, blank=True)
    redirected_to_service = models.ForeignKey(
        "referrals.SocialPrescribingService", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    redirected_to_name = models.CharField("redirected to", max_length=255, blank=True)
    redirected_referral = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="redirected_from"
    )
    triage_note = models.TextField("reason given at triage", blank=True)

    # Discharge: why the person's support ended, and the link worker's summary note.
    discharge_reason = models.CharField(max_length=20, choices=DischargeReason.choices, blank=True)
    discharge_note = models.TextField(blank=True)

    # When each of the referral's own steps first happened (reporting reads these; the event
    # log has the full story). Each connection keeps its own.
    received_at = models.DateTimeField(default=timezone.now)
    triaged_at = models.DateTimeField(null=True, blank=True)
    contacted_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    discharged_at = models.DateTimeField(null=True, blank=True)
    redirected_at = models.DateTimeField(null=True, blank=True)
    not_eligible_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    anonymised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        indexes = [
            models.Index(fields=["service", "status"]),
            models.Index(fields=["link_worker", "status"]),
            models.Index(fields=["received_at"]),
            # The reports' cohorts (received or discharged in a period, in the reader's services)
            # and their scope, read from the index alone: every report query starts from one of
            # them, and a scan of the whole table took a quarter of the dashboard's time.
            # PostgreSQL only (INCLUDE); SQLite builds them on the key columns (W040 is silenced).
            models.Index(fields=["service", "received_at"], include=["id"], name="referral_received_cohort"),
            models.Index(fields=["service", "discharged_at"], include=["id"], name="referral_discharged_cohort"),
            models.Index(fields=["service", "id"], name="referral_service_ids"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ReferralStatus.values), name="referral_status_valid"),
            models.CheckConstraint(condition=Q(source__in=Source.values), name="referral_source_valid"),
        ]

    def __str__(self):
        return self.reference

    def clean(self):
        if self.source != "self" and not (self.referrer_name or self.referred_by_id):
            raise ValidationError({"referrer_name": "Enter the name of the person making the referral."})

    @property
    def is_self_referral(self) -> bool:
        return self.source == Source.SELF

    @property
    def is_open(self) -> bool:
        return self.status in (ReferralStatus.RECEIVED, ReferralStatus.TRIAGED, ReferralStatus.CONTACTED)


class DischargeSummary(models.Model):
    """What the person's support came to, built from the record and checked by the link worker before the
    discharge is final. Once final it is what was sent (to the referrer; the GP in primary care's work) and never changes."""

    referral = models.OneToOneField(Referral, on_delete=models.CASCADE, related_name="discharge_summary")
    reason = models.CharField(max_length=20, choices=DischargeReason.choices)
    note = models.TextField(blank=True)
    content = models.JSONField()
    prepared_at = models.DateTimeField(default=timezone.now)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    prepared_by_label = models.CharField(max_length=255)
    final_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Discharge summary for {self.referral}"

    @property
    def is_final(self) -> bool:
        return self.final_at is not None


class ReferralEventQuerySet(models.QuerySet):
    def delete(self):
        raise TypeError("Referral events are an append-only log; they are never deleted.")


class ReferralEvent(models.Model):
    """One step in a referral's life: who, when, from, to, and a note. Append-only."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    # Who acted when there is no user: "Provider link", "API: <token name>", "Signpost".
    actor_label = models.CharField(max_length=255)
    action = models.CharField(max_length=40)
    # The connection a connection's step moved (its statuses are then ``ConnectionStatus``).
    connection = models.ForeignKey(
        "referrals.Connection", null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    from_status = models.CharField(max_length=24, blank=True)
    to_status = models.CharField(max_length=24)
    activity = models.ForeignKey(
        "directory.ActivityPage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(blank=True)

    objects = ReferralEventQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.referral} {self.action} at {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("Referral events are an append-only log; they are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Referral events are an append-only log; they are never deleted.")
