"""The areas a deployment reports on."""

from django.db import models


class ReportingArea(models.Model):
    """An area a deployment reports on (a primary care network, a ward cluster), by postcode districts."""

    name = models.CharField(max_length=255, unique=True)
    postcode_prefixes = models.CharField(
        max_length=1000, help_text="Comma-separated postcode districts or areas, e.g. 'BH12, BH13, BH14'."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    @property
    def prefixes(self) -> list[str]:
        return [p.strip().upper() for p in self.postcode_prefixes.split(",") if p.strip()]


class StoredReport(models.Model):
    """A closed period's figures, or a month of a period to date, computed once and read again (``reporting.stored``).

    A period is closed once its last day is over: every figure counts what had happened by the end
    of the period, so it no longer moves as time passes. ``key`` names exactly what was computed (the
    reader's scope, the period, the filters, the settings and need taxonomy the figures depend on);
    the figures are the unsuppressed counts (suppression is applied when they are shown). A change to
    a referral received on or before a stored period's last day forgets that period.
    """

    key = models.CharField(max_length=64, unique=True)
    period_start = models.DateField()
    period_end = models.DateField(db_index=True)
    figures = models.JSONField()
    # A month of a period that is not over (``reporting.stored``): what its medians are taken from,
    # the day up to which it counted, and the first moment after that of anything it counts (none:
    # null): it holds for a period counted up to any later day that ends by then.
    values = models.BinaryField(null=True, blank=True)
    counted_to = models.DateField(null=True, blank=True)
    unchanged_until = models.DateTimeField(null=True, blank=True)
    computed_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.period_start} to {self.period_end}"


class ReportSnapshot(models.Model):
    """The figures last shown for a period to date, as at a moment (``reporting.stored``).

    When a reader opens a period to date whose months were forgotten by the day's work, the page
    shows these (saying as at when) while the months are computed again away from the reader,
    instead of making them wait for the whole period. Corrections do not forget a snapshot: it
    is never shown as anything but the figures as at ``as_at``, and only while it is recent.
    ``key`` names what was computed, as for ``StoredReport`` (the period's last day included, so
    a snapshot is only ever of the same day's period).
    """

    key = models.CharField(max_length=64, unique=True)
    figures = models.JSONField()
    as_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"as at {self.as_at:%Y-%m-%d %H:%M}"
