from django.db import models


class Postcode(models.Model):
    """A postcode centroid from Ordnance Survey Code-Point Open, for offline geocoding."""

    postcode = models.CharField(max_length=8, primary_key=True, help_text="Normalised, for example BH15 1AB.")
    latitude = models.DecimalField(max_digits=9, decimal_places=6)
    longitude = models.DecimalField(max_digits=9, decimal_places=6)

    class Meta:
        ordering = ["postcode"]

    def __str__(self):
        return self.postcode
