from django.db import models


class PendingIndexUpdate(models.Model):
    """An activity whose index update failed because the search engine was down.

    Kept until a later update or rebuild succeeds, so no edit is lost to an outage; the
    page meanwhile shows database answers (see ``search.selectors``).
    """

    activity_id = models.BigIntegerField(unique=True)
    first_failed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["first_failed_at", "activity_id"]

    def __str__(self):
        return f"activity {self.activity_id} (since {self.first_failed_at:%Y-%m-%d %H:%M})"
