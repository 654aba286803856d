import uuid

from django.core.exceptions import ValidationError
from django.db import models
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.search import index

from directory.postcodes import PostcodeError, normalise_postcode


class Venue(index.Indexed, models.Model):
    """Where sessions happen, shared by activities (an ORUK location with its address)."""

    oruk_id = models.CharField("ORUK id", max_length=64, unique=True, default=uuid.uuid4)
    organisation = models.ForeignKey(
        "directory.OrganisationPage",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="venues",
        help_text="The organisation that looks after this venue's details. Leave empty for a shared venue "
        "that only moderators edit.",
    )
    name = models.CharField(max_length=255)
    address_1 = models.CharField("address line 1", max_length=255)
    address_2 = models.CharField("address line 2", max_length=255, blank=True)
    town = models.CharField("town or city", max_length=120)
    postcode = models.CharField(max_length=8, help_text="For example BH15 1AB. We use it to find the venue on a map.")
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True, db_index=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True, db_index=True)
    step_free = models.BooleanField("step-free access", default=False)
    accessible_toilet = models.BooleanField(default=False)
    hearing_loop = models.BooleanField(default=False)
    parking = models.BooleanField(default=False)
    accessibility_notes = models.TextField(blank=True)
    bus_stops = models.TextField("nearest bus stops", blank=True)
    bus_routes = models.CharField("bus routes", max_length=255, blank=True, help_text="For example: 1, 1a, 33.")
    directions = models.TextField(blank=True)

    # The admin edits these panels with directory.forms.VenueForm, which fills latitude and
    # longitude from the postcode; the venue snippet's viewset (directory.wagtail_hooks) names
    # that form, so the model does not import the layer above it.
    panels = [
        FieldPanel("name"),
        FieldPanel("organisation"),
        MultiFieldPanel(
            [FieldPanel("address_1"), FieldPanel("address_2"), FieldPanel("town"), FieldPanel("postcode")],
            heading="Address",
        ),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("latitude"), FieldPanel("longitude")]),
            ],
            heading="Location",
            help_text="Filled in from the postcode when left empty.",
        ),
        MultiFieldPanel(
            [
                FieldPanel("step_free"),
                FieldPanel("accessible_toilet"),
                FieldPanel("hearing_loop"),
                FieldPanel("parking"),
                FieldPanel("accessibility_notes"),
            ],
            heading="Accessibility",
        ),
        MultiFieldPanel(
            [FieldPanel("bus_stops"), FieldPanel("bus_routes"), FieldPanel("directions")],
            heading="Getting there",
        ),
    ]
    search_fields = [index.SearchField("name"), index.SearchField("postcode"), index.AutocompleteField("name")]

    class Meta:
        ordering = ["name"]
        # A search's bounding box, with what its sessions join on and the accessibility it filters on.
        indexes = [models.Index(fields=["latitude", "longitude"], name="venue_lat_lng",
                                include=["id", "step_free", "accessible_toilet", "hearing_loop", "parking"])]

    def __str__(self):
        return f"{self.name}, {self.postcode}"

    def clean(self):
        super().clean()
        try:
            self.postcode = normalise_postcode(self.postcode)
        except PostcodeError as error:
            raise ValidationError({"postcode": str(error)}) from error
        if (self.latitude is None) != (self.longitude is None):
            raise ValidationError("Give both latitude and longitude, or neither to use the postcode.")

    @property
    def address_lines(self) -> list[str]:
        return [line for line in (self.address_1, self.address_2, self.town, self.postcode) if line]

    @property
    def accessibility_features(self) -> list[str]:
        features = {
            "Step-free access": self.step_free,
            "Accessible toilet": self.accessible_toilet,
            "Hearing loop": self.hearing_loop,
            "Parking": self.parking,
        }
        return [label for label, present in features.items() if present]
