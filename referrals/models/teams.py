"""Who works on referrals: social prescribing services, their staff, and API tokens.

A social prescribing service (the single point of access for an area, with its triage
team and link workers) owns the referrals made to it; nothing crosses between services.
Providers are the directory's organisations: their editors act on referrals sent to them.
"""

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class SocialPrescribingService(models.Model):
    name = models.CharField(max_length=255, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    # Postcode areas or districts ("BH", "DT1", "WA7") whose residents' self-referrals land here.
    postcode_prefixes = models.CharField(
        max_length=500,
        blank=True,
        help_text="Comma-separated postcode areas or districts this service covers, e.g. 'BH, DT, WA7'.",
    )
    email = models.EmailField(blank=True, help_text="The team's shared inbox, for copies of alerts.")
    phone = models.CharField(max_length=40, blank=True)
    # Casework: after this many failed attempts at first contact, a referral can be closed as
    # "could not be contacted" (and the referrer is told).
    attempts_before_not_contactable = models.PositiveSmallIntegerField(
        default=3, help_text="Failed attempts at first contact before the referral can be closed as not contactable."
    )
    # The primary care networks whose practices' patients the service is for (eligibility, reports).
    pcns = models.ManyToManyField(
        "primarycare.PrimaryCareNetwork", blank=True, related_name="services", verbose_name="primary care networks"
    )
    # Eligibility: in plain words for everyone, and as rules where Signpost can check them
    # (``referrals.eligibility``); triage sees the check and decides.
    eligibility_text = models.TextField(
        "who the service is for", blank=True,
        help_text="In plain words, as referrers and residents will read it.",
    )
    minimum_age = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Leave blank for no lower limit.")
    maximum_age = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Leave blank for no upper limit.")
    requires_practice_in_area = models.BooleanField(
        "only for patients of the service's practices", default=False,
        help_text="The person must be registered with a practice in one of the service's primary care networks.",
    )
    exclusions = models.TextField(
        blank=True,
        help_text="One per line: situations the service cannot take on, for triage to rule out "
        "(for example: in crisis and needing urgent mental health care).",
    )
    # A new referral for someone whose support ended within this many days is flagged at triage.
    rereferral_days = models.PositiveSmallIntegerField(
        "re-referral period (days)", default=90,
        help_text="A referral for someone discharged within this many days is flagged as a re-referral at triage.",
    )
    acknowledge_to_gp = models.BooleanField(
        "tell the GP practice when a referral is accepted", default=False,
        help_text="Besides the summary at discharge, which practices always receive.",
    )
    safeguarding_lead_name = models.CharField(max_length=255, blank=True)
    safeguarding_lead_email = models.EmailField(
        blank=True, help_text="Told at once of every safeguarding concern a link worker records."
    )

    class Meta:
        ordering = ["name"]
        verbose_name = "social prescribing service"

    def __str__(self):
        return self.name

    @property
    def prefixes(self) -> list[str]:
        return [p.strip().upper() for p in self.postcode_prefixes.split(",") if p.strip()]

    @property
    def exclusion_list(self) -> list[str]:
        return [line.strip() for line in self.exclusions.splitlines() if line.strip()]


class StaffMembership(models.Model):
    """The service a member of staff (link worker, triage, commissioner) works for."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_membership")
    service = models.ForeignKey(SocialPrescribingService, on_delete=models.CASCADE, related_name="staff")
    languages = models.CharField(
        max_length=255, blank=True, help_text="Languages this person speaks besides English, comma-separated."
    )
    # Caseload per full-time link worker (the guide: 200-250 people a year) reads this.
    hours_per_week = models.DecimalField(
        max_digits=5, decimal_places=2, default=37.5, help_text="Contracted working hours a week (full time: 37.5)."
    )
    # Link workers are aligned to primary care networks (the DES): triage offers them first for those practices.
    pcns = models.ManyToManyField(
        "primarycare.PrimaryCareNetwork", blank=True, related_name="staff", verbose_name="primary care networks"
    )

    def __str__(self):
        return f"{self.user} at {self.service}"

    @property
    def language_list(self) -> list[str]:
        return [item.strip() for item in self.languages.split(",") if item.strip()]


class ApiToken(models.Model):
    """A token for a clinical system, scoped to one service (referrers) or one provider organisation.

    Only a hash of the key is kept: the key is shown once, when it is created.
    """

    name = models.CharField(max_length=255)
    prefix = models.CharField(max_length=12, unique=True)
    key_hash = models.CharField(max_length=64, unique=True)
    service = models.ForeignKey(
        SocialPrescribingService, null=True, blank=True, on_delete=models.CASCADE, related_name="api_tokens"
    )
    organisation = models.ForeignKey(
        "directory.OrganisationPage", null=True, blank=True, on_delete=models.CASCADE, related_name="api_tokens"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # After this moment the token is refused, as if revoked; none means it does not expire.
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API token"
        constraints = [
            models.CheckConstraint(
                condition=(Q(service__isnull=False) & Q(organisation__isnull=True))
                | (Q(service__isnull=True) & Q(organisation__isnull=False)),
                name="api_token_one_scope",
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def issue(
        cls, *, name: str, service=None, organisation=None, created_by=None, expires_at=None
    ) -> tuple["ApiToken", str]:
        """Create a token (refused after ``expires_at``, if given); returns it with the key, which is
        not stored and cannot be shown again."""
        key = "sp_" + secrets.token_urlsafe(32)
        token = cls.objects.create(
            name=name,
            prefix=key[:12],
            key_hash=cls.hash_key(key),
            service=service,
            organisation=organisation,
            created_by=created_by,
            expires_at=expires_at,
        )
        return token, key

    def has_expired(self, *, now=None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())


class IdempotentRequest(models.Model):
    """A change made through the API under the caller's ``Idempotency-Key`` (a referral made, a step,
    a connection made, a discharge): a retried request (a timeout, an answer lost on the way back)
    is answered with the referral (or connection) as it is, not done a second time.

    Holds no personal data: who called, their key, a hash of the request body, and the referral.
    """

    # "token:<id>" or "user:<id>": one caller's keys never meet another's.
    caller = models.CharField(max_length=40)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    referral = models.ForeignKey("referrals.Referral", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["caller", "key"], name="one_referral_per_idempotency_key")]

    def __str__(self):
        return f"{self.caller} {self.key}"
