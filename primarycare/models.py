"""GP practices and the primary care networks they belong to.

A PCN is its own record, not a kind of reporting area: reporting areas are drawn by postcode
district, while a PCN's population is the patients registered at its member practices, wherever
they live. Reports by PCN group residents by their practice's network.
"""

from django.db import models
from django.db.models import Q


class PrimaryCareNetwork(models.Model):
    # ODS codes of PCNs look like "U12345".
    ods_code = models.CharField("ODS code", max_length=10, unique=True)
    name = models.CharField(max_length=255)
    # The sub-ICB location (the old CCG) the network sits in, as the NHS file names it.
    sub_icb_location = models.CharField("sub-ICB location", max_length=255, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "primary care network"

    def __str__(self):
        return self.name


class GpPractice(models.Model):
    # ODS codes of GP practices look like "J81001".
    ods_code = models.CharField("ODS code", max_length=10, unique=True)
    name = models.CharField(max_length=255)
    address = models.TextField(blank=True)
    postcode = models.CharField(max_length=8, blank=True, db_index=True)
    phone = models.CharField(max_length=40, blank=True)
    # The ODS files do not carry it: administrators enter it. Without it the message back is a letter to print.
    nhsmail = models.EmailField(
        "NHSmail address", blank=True,
        help_text="Where Signpost sends the practice its patients' referral and discharge summaries (an nhs.net address).",
    )
    pcn = models.ForeignKey(
        PrimaryCareNetwork, null=True, blank=True, on_delete=models.SET_NULL, related_name="practices",
        verbose_name="primary care network",
    )
    # Closed practices stay (past residents were registered there) but are not offered for new choices.
    is_open = models.BooleanField("open", default=True)
    closed_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "GP practice"
        indexes = [models.Index(fields=["name"])]
        constraints = [
            models.CheckConstraint(condition=~Q(ods_code=""), name="gp_practice_has_ods_code"),
        ]

    def __str__(self):
        return f"{self.name} ({self.ods_code})"

    @property
    def label(self) -> str:
        """How staff and residents recognise it in a list: name, postcode and code."""
        parts = [self.name, self.postcode, self.ods_code]
        return ", ".join(part for part in parts if part)
