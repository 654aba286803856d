from django.db import models
from django.utils import timezone


class ImportedRecord(models.Model):
    """The ORUK record an activity was last imported from (as a digest), and what that import left.

    An import of the same record again skips it before any checking (``directory.oruk.importer``)
    while the digest matches and the pages it wrote are as it left them: the activity's and its
    organisation's latest revisions are still the ones it made or found, and the venues and needs
    it describes are as it left them. A page edited here since (even as a draft) has a newer
    revision, and an edited venue another digest, so its record takes the full path again and
    the importer's rules for each field decide, as before. The warnings the record gave are kept,
    so a skipped record still reports them.
    """

    activity = models.OneToOneField(
        "directory.ActivityPage", on_delete=models.CASCADE, primary_key=True, related_name="imported_record"
    )
    digest = models.CharField(max_length=64)
    revision_id = models.BigIntegerField(null=True)
    organisation_revision_id = models.BigIntegerField(null=True)
    # A digest of the venues and needs the record describes, as that import left them.
    state = models.CharField(max_length=64, blank=True)
    # The record's warnings, without its label: {"record": [its own, …], "found": [[place, one
    # about its locations or terms], …]}; and the feed-wide deviations it showed
    # ({"naive_timestamps": [path, …], "no_limit_ages": […], "unknown_fields": […]}).
    warnings = models.JSONField(default=dict, blank=True)
    deviations = models.JSONField(default=dict, blank=True)
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "imported record"

    def __str__(self):
        return f"{self.activity_id}: {self.digest[:12]}"
