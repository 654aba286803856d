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
