import uuid

from django.db import models
from django.utils.text import slugify
from wagtail.admin.panels import FieldPanel
from wagtail.search import index


class NeedTermQuerySet(models.QuerySet):
    def with_descendants(self):
        """These terms and every term below them (a need filter includes its children)."""
        ids = set(self.values_list("pk", flat=True))
        frontier = set(ids)
        while frontier:
            frontier = set(NeedTerm.objects.filter(parent__in=frontier).values_list("pk", flat=True)) - ids
            ids |= frontier
        return NeedTerm.objects.filter(pk__in=ids)


class NeedTerm(index.Indexed, models.Model):
    """A term in the managed, hierarchical needs vocabulary (an ORUK taxonomy_term)."""

    oruk_id = models.CharField(
        "ORUK id", max_length=64, unique=True, default=uuid.uuid4, help_text="Kept from Open Referral UK imports."
    )
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120, unique=True, blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    description = models.TextField(blank=True)
    synonyms = models.TextField(
        blank=True,
        help_text="Other words people use for this need, separated by commas (for example: lonely, isolated).",
    )
    vocabulary = models.CharField(max_length=120, default="Signpost needs", help_text="ORUK taxonomy (vocabulary) name.")

    objects = NeedTermQuerySet.as_manager()

    panels = [
        FieldPanel("name"),
        FieldPanel("slug"),
        FieldPanel("parent"),
        FieldPanel("description"),
        FieldPanel("synonyms"),
    ]
    search_fields = [index.SearchField("name"), index.SearchField("synonyms"), index.AutocompleteField("name")]

    class Meta:
        ordering = ["name"]
        verbose_name = "need"

    def __str__(self):
        return f"{self.parent.name} › {self.name}" if self.parent_id else self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.name)[:120]
        super().save(*args, **kwargs)

    @property
    def synonym_list(self) -> list[str]:
        return [word.strip() for word in self.synonyms.split(",") if word.strip()]
