"""Feeds harvested on a schedule, the report each run leaves, and where a listing came from.

The rules (what a feed may change, claiming, leaving a feed) are in ``directory.harvesting``.
"""

import re
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, URLValidator
from django.db import models
from django.utils import timezone
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel


class HarvestKind(models.TextChoices):
    INCREMENTAL = "incremental", "Incremental (what changed since the last run)"
    FULL = "full", "Full pass (also finds listings that left the feed)"


class Feed(models.Model):
    """Another directory's Open Referral UK 3.0 API, harvested on a schedule."""

    name = models.CharField(max_length=120, unique=True, help_text="Shown on each listing it brings in.")
    base_url = models.URLField(
        "base URL",
        max_length=500,
        unique=True,
        validators=[URLValidator(schemes=["http", "https"])],
        help_text="The ORUK 3.0 API's base URL, the one that /services follows (https://…).",
    )
    every_hours = models.PositiveSmallIntegerField(
        "harvest every (hours)", default=24, validators=[MinValueValidator(1)]
    )
    full_pass_every_days = models.PositiveSmallIntegerField(
        "full pass every (days)",
        default=7,
        validators=[MinValueValidator(1)],
        help_text="A full pass reads every id the feed lists, to unpublish listings that left it.",
    )
    active = models.BooleanField(default=True, help_text="Harvested on its schedule only while active.")
    needs = models.ManyToManyField(
        "directory.NeedTerm",
        blank=True,
        related_name="+",
        help_text="Take only services with one of these needs (or a need below one). None: every need.",
    )
    areas = models.TextField(
        blank=True,
        help_text="Take only services in these areas: postcode areas or districts (BH, BH15) or the names of the "
        "areas a service covers (Poole), separated by commas or one a line. Empty: everywhere.",
    )

    last_run_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_success_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When the last run that succeeded started."
    )
    last_full_pass_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Set while a run holds the feed, so two workers never harvest one feed at once.
    running_since = models.DateTimeField(null=True, blank=True, editable=False)

    panels = [
        FieldPanel("name"),
        FieldPanel("base_url"),
        FieldPanel("active"),
        FieldRowPanel([FieldPanel("every_hours"), FieldPanel("full_pass_every_days")]),
        MultiFieldPanel([FieldPanel("needs"), FieldPanel("areas")], heading="What to take"),
    ]

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        wrong = [entry for entry in self.area_list if not _is_area(entry)]
        if wrong:
            raise ValidationError({"areas": f"Not a postcode area, district or place name: {', '.join(wrong)}."})

    @property
    def area_list(self) -> list[str]:
        return [part.strip() for line in self.areas.splitlines() for part in line.split(",") if part.strip()]

    def is_due(self, now=None) -> bool:
        now = now or timezone.now()
        return self.active and (self.last_run_at is None or now - self.last_run_at >= timedelta(hours=self.every_hours))

    def full_pass_due(self, now=None) -> bool:
        now = now or timezone.now()
        return self.last_full_pass_at is None or now - self.last_full_pass_at >= timedelta(
            days=self.full_pass_every_days
        )


# A postcode district (BH15), sector (BH15 1) or whole postcode (BH15 1AB).
_POSTCODE_PART = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?(\s*[0-9]([A-Z]{2})?)?$")


def _is_area(entry: str) -> bool:
    """A postcode part, or a name (an area such as BH, or a place such as Poole): no digits."""
    if any(character.isdigit() for character in entry):
        return bool(_POSTCODE_PART.match(entry.strip().upper()))
    return True


class HarvestRun(models.Model):
    """What one harvest of a feed did: the report moderators read."""

    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="runs")
    kind = models.CharField(max_length=12, choices=HarvestKind.choices)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    modified_after = models.DateTimeField(
        null=True, blank=True, help_text="Only services modified after this were asked for (empty: every service)."
    )
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    unpublished = models.PositiveIntegerField(default=0)
    republished = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    left_out = models.PositiveIntegerField(
        default=0, help_text="Services outside the feed's needs or areas, not taken."
    )
    # [{"id": ..., "label": ..., "reasons": [...]}] for skipped services; ORUK ids for the others.
    skipped_items = models.JSONField(default=list, blank=True)
    unpublished_ids = models.JSONField(default=list, blank=True)
    republished_ids = models.JSONField(default=list, blank=True)
    warnings = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True, help_text="Why the run failed; a failed run changes nothing.")

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = "harvest run"
        constraints = [
            models.CheckConstraint(condition=models.Q(kind__in=HarvestKind.values), name="harvest_run_kind_valid"),
        ]

    def __str__(self):
        return f"{self.feed.name}, {timezone.localtime(self.started_at):%d %b %Y %H:%M} ({self.get_kind_display().split(' (')[0].lower()})"

    @property
    def succeeded(self) -> bool:
        return self.finished_at is not None and not self.error

    @property
    def outcome(self) -> str:
        if self.finished_at is None:
            return "Running"
        if self.error:
            return f"Failed: {self.error}"
        return (
            f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.unpublished} unpublished, {self.republished} republished, {self.skipped} skipped"
            + (f", {self.left_out} outside the feed's needs or areas" if self.left_out else "")
        )

    def report_lines(self) -> list[str]:
        """The whole report in words, one line each (the admin's inspect view and the command)."""
        lines = [self.outcome]
        if self.modified_after:
            lines.append(f"Asked for services modified after {timezone.localtime(self.modified_after):%d %b %Y %H:%M}.")
        lines += [f"Skipped {item['label']}: {'; '.join(item['reasons'])}" for item in self.skipped_items]
        lines += [f"Unpublished (left the feed): service {oruk_id}" for oruk_id in self.unpublished_ids]
        lines += [f"Republished (back in the feed): service {oruk_id}" for oruk_id in self.republished_ids]
        lines += [f"Warning: {warning}" for warning in self.warnings]
        return lines


class HarvestedListing(models.Model):
    """Where a harvested activity came from and when; whether an organisation has claimed it.

    Kept beside the page rather than on it, so that publishing an older revision of the page
    can never bring back older provenance.
    """

    activity = models.OneToOneField("directory.ActivityPage", on_delete=models.CASCADE, related_name="harvest")
    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="listings")
    first_harvested_at = models.DateTimeField(default=timezone.now)
    last_harvested_at = models.DateTimeField(default=timezone.now)
    # Set when harvesting unpublished it because it left the feed (so only those come back).
    left_feed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.ForeignKey(
        "directory.OrganisationPage", null=True, blank=True, on_delete=models.SET_NULL, related_name="claimed_listings"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = "harvested listing"

    def __str__(self):
        return f"{self.activity} (from {self.feed})"

    @property
    def claimed(self) -> bool:
        return self.claimed_at is not None
