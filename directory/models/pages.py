import uuid
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.http import Http404
from django.utils import timezone
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel, TitleFieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Orderable, Page, PageManager
from wagtail.query import PageQuerySet
from wagtail.search import index

from directory.choices import ActivityStatus, Frequency, HowToJoin, WeekOfMonth, Weekday
from directory.editing import GroupedNeedsWidget, SessionTimesPanel, UKDateInput
from directory.from_results import from_results
from directory.schedules import describe_session, next_occurrences

# The id other directories know the listing by: moderators' business, not the editors' (an
# organisation's editors never see it, and their saves leave it as it is).
_IDENTITY = MultiFieldPanel(
    [FieldPanel("oruk_id", permission="directory.moderate_directory")],
    heading="Open Referral UK",
    classname="collapsed",
)


def stale_cutoff(today: date | None = None) -> date:
    """Listings last reviewed before this date are stale."""
    today = today or timezone.localdate()
    return today - timedelta(days=settings.SIGNPOST["STALE_AFTER_DAYS"])


def hidden_cutoff(today: date | None = None) -> date:
    """Listings last reviewed before this date are hidden from the public directory."""
    return stale_cutoff(today) - timedelta(days=settings.SIGNPOST["STALE_GRACE_DAYS"])


class DirectoryIndexPage(Page):
    """The root of the directory: every organisation lives under it."""

    intro = models.TextField(blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["pages.HomePage"]
    subpage_types = ["directory.OrganisationPage"]
    max_count = 1

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["organisations"] = OrganisationPage.objects.child_of(self).live().public().order_by("title")
        return context


class OrganisationPage(Page):
    """A VCFSE organisation (an ORUK organization). Its activities are its child pages."""

    oruk_id = models.CharField("ORUK id", max_length=64, unique=True, default=uuid.uuid4)
    description = models.TextField(help_text="What the organisation does, in plain English.")
    charity_number = models.CharField(max_length=20, blank=True)
    company_number = models.CharField(max_length=20, blank=True)
    website = models.URLField(blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    safeguarding_contact_name = models.CharField(max_length=255, blank=True)
    safeguarding_contact_email = models.EmailField(blank=True)
    safeguarding_contact_phone = models.CharField(max_length=40, blank=True)
    logo = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    trusted = models.BooleanField(
        default=False,
        help_text="Trusted organisations publish their edits directly, without waiting for a moderator.",
    )
    editors = models.OneToOneField(
        "auth.Group",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="organisation",
        help_text="The group whose members edit this organisation's pages and venues.",
    )

    content_panels = Page.content_panels + [
        FieldPanel("description"),
        MultiFieldPanel(
            [FieldPanel("website"), FieldPanel("email"), FieldPanel("phone")], heading="Contact details"
        ),
        MultiFieldPanel(
            [FieldRowPanel([FieldPanel("charity_number"), FieldPanel("company_number")])],
            heading="Registration",
        ),
        MultiFieldPanel(
            [
                FieldPanel("safeguarding_contact_name"),
                FieldPanel("safeguarding_contact_email"),
                FieldPanel("safeguarding_contact_phone"),
            ],
            heading="Safeguarding contact",
        ),
        FieldPanel("logo"),
        _IDENTITY,
    ]
    settings_panels = Page.settings_panels + [
        FieldPanel("trusted", permission="directory.moderate_directory"),
    ]
    search_fields = Page.search_fields + [index.SearchField("description")]
    parent_page_types = ["directory.DirectoryIndexPage"]
    subpage_types = ["directory.ActivityPage"]
    # A copy is a new organisation: it gets its own ORUK id and its own editors group.
    exclude_fields_in_copy = ["oruk_id", "editors"]

    class Meta:
        verbose_name = "organisation"
        permissions = [("moderate_directory", "Can moderate the directory")]

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["activities"] = ActivityPage.objects.publicly_listed().child_of(self).order_by("title")
        return context


def price_text(*, is_free: bool, amount, description: str = "") -> str:
    """"Free", or the amount (whole pounds without pence) and the listing's own words: "£3 per session"."""
    if is_free:
        return "Free"
    if amount is None:
        return "There is a cost: ask the organisation"
    pounds = f"£{amount:,.0f}" if amount == amount.to_integral_value() else f"£{amount:,.2f}"
    return f"{pounds} {description.strip()}".strip()


class ActivityPageQuerySet(PageQuerySet):
    def publicly_listed(self, today: date | None = None) -> "ActivityPageQuerySet":
        """Activities the public may see: published, public, active and not hidden as stale
        (``directory.selectors.public_activities``)."""
        return self.live().public().filter(status=ActivityStatus.ACTIVE, last_reviewed__gt=hidden_cutoff(today))


class ActivityPage(Page):
    """Something a person can go to (an ORUK service), run by its parent organisation."""

    objects = PageManager.from_queryset(ActivityPageQuerySet)()

    oruk_id = models.CharField("ORUK id", max_length=64, unique=True, default=uuid.uuid4)
    summary = models.CharField(max_length=255, help_text="One sentence that says what happens.")
    description = RichTextField(features=["bold", "italic", "ol", "ul", "link"])
    needs = ParentalManyToManyField("directory.NeedTerm", blank=True, related_name="activities")

    min_age = models.PositiveSmallIntegerField("minimum age", null=True, blank=True)
    max_age = models.PositiveSmallIntegerField("maximum age", null=True, blank=True)
    carers_welcome = models.BooleanField(default=False)
    conditions = models.CharField(
        "conditions it supports", max_length=255, blank=True, help_text="For example: dementia, COPD, chronic pain."
    )
    eligibility_notes = models.TextField(blank=True)

    is_free = models.BooleanField("free", default=True)
    cost_amount = models.DecimalField("cost (£)", max_digits=7, decimal_places=2, null=True, blank=True)
    cost_description = models.CharField(
        max_length=255, blank=True, help_text="For example: per session, including tea and cake."
    )
    concessions = models.CharField(max_length=255, blank=True)

    how_to_join = models.CharField(max_length=20, choices=HowToJoin.choices, default=HowToJoin.SELF_REFERRAL)
    in_person = models.BooleanField(default=True)
    online = models.BooleanField(default=False)
    by_phone = models.BooleanField("by phone", default=False)
    languages = models.CharField(
        max_length=255, default="English", help_text="Languages the activity is run in, separated by commas."
    )
    capacity_per_session = models.PositiveSmallIntegerField(null=True, blank=True)
    service_areas = models.TextField(
        "areas it covers",
        blank=True,
        help_text="For an activity that comes to people rather than meeting at a venue: the towns, wards or "
        "districts it covers, one a line.",
    )

    contact_name = models.CharField(max_length=255, blank=True)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=40, blank=True)

    status = models.CharField(max_length=10, choices=ActivityStatus.choices, default=ActivityStatus.ACTIVE)
    last_reviewed = models.DateField(
        default=date.today, help_text="When someone last confirmed this listing is accurate."
    )
    stale_reminder_sent_at = models.DateTimeField(null=True, blank=True, editable=False)

    # Plain words for the people who keep listings up to date (volunteers, mostly): headings and
    # help texts are given here, on the panels, so the fields' names stay as they are.
    content_panels = [
        TitleFieldPanel("title", heading="Name of the activity", help_text="As people will see it, for example “Tuesday walking group”."),
        FieldPanel("summary"),
        FieldPanel(
            "description",
            help_text="What happens, who it suits and what to expect on the first visit. Short paragraphs and lists read best.",
        ),
        FieldPanel(
            "needs",
            heading="What it helps with",
            help_text="Tick everything the activity helps with. The needs are grouped by area: tick “…, in general” "
            "when it helps with the whole area.",
            widget=GroupedNeedsWidget,
        ),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("min_age"), FieldPanel("max_age")]),
                FieldPanel("carers_welcome"),
                FieldPanel("conditions"),
                FieldPanel("eligibility_notes"),
            ],
            heading="Who it is for",
        ),
        MultiFieldPanel(
            [FieldPanel("is_free"), FieldPanel("cost_amount"), FieldPanel("cost_description"), FieldPanel("concessions")],
            heading="Cost",
        ),
        MultiFieldPanel(
            [
                FieldPanel("how_to_join"),
                FieldRowPanel([FieldPanel("in_person"), FieldPanel("online"), FieldPanel("by_phone")]),
                FieldPanel("languages"),
                FieldPanel(
                    "capacity_per_session",
                    heading="Places per session",
                    help_text="How many people can come each time. Leave empty if there is no limit.",
                ),
                FieldPanel("service_areas"),
            ],
            heading="Taking part",
        ),
        InlinePanel(
            "sessions",
            heading="Sessions",
            label="Session",
            help_text="When and where it happens. Add one for each regular time, or for each one-off date.",
        ),
        MultiFieldPanel(
            [FieldPanel("contact_name"), FieldPanel("contact_email"), FieldPanel("contact_phone")],
            heading="Contact",
        ),
        MultiFieldPanel(
            [
                FieldPanel(
                    "status",
                    help_text="“Paused” or “Closed” takes the activity out of the directory until you make it active again.",
                ),
                FieldPanel(
                    "last_reviewed",
                    heading="Last checked",
                    help_text="The date someone last checked everything on this page is right, for example 11/08/2026.",
                    widget=UKDateInput,
                ),
            ],
            heading="Status",
        ),
        _IDENTITY,
    ]
    promote_panels = [
        MultiFieldPanel(
            [
                FieldPanel(
                    "slug",
                    heading="Web address",
                    help_text="The end of the activity's web address: small letters and hyphens, for example "
                    "tuesday-walking-group. Changing it breaks links people have saved.",
                ),
                FieldPanel(
                    "seo_title",
                    heading="Name in search engines",
                    help_text="Only if it should differ from the name of the activity.",
                ),
                FieldPanel(
                    "search_description",
                    heading="Description in search engines",
                    help_text="A sentence or two shown under the name in Google and other search engines.",
                ),
            ],
            heading="How it shows in search engines",
        ),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("summary"),
        index.SearchField("description"),
        index.SearchField("service_areas"),
        index.FilterField("status"),
    ]
    parent_page_types = ["directory.OrganisationPage"]
    subpage_types = []
    # A copy is a new activity: a shared ORUK id would merge the two on import and export.
    exclude_fields_in_copy = ["oruk_id", "stale_reminder_sent_at"]

    class Meta:
        verbose_name = "activity"
        verbose_name_plural = "activities"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ActivityStatus.values), name="activity_status_valid"
            ),
        ]
        indexes = [
            # The active activities' ids with their review date, in id order: counting and paging
            # through the publicly listed ones (the ORUK API's /services) reads this index alone,
            # merged with the live pages' ids (an index on Wagtail's page table, migration 0004;
            # 0006 adds one with their titles, for the search's tie-break). The columns the search's
            # own facets count ride along, so a search near a postcode reads them from the index too.
            models.Index(
                fields=["page_ptr"], include=["last_reviewed", "is_free", "in_person", "online", "by_phone", "how_to_join"],
                condition=models.Q(status=ActivityStatus.ACTIVE), name="activity_active_ids",
            ),
        ]

    def clean(self):
        super().clean()
        errors = {}
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            errors["max_age"] = "The maximum age must be the same as or more than the minimum age."
        if not self.is_free and self.cost_amount is None:
            errors["cost_amount"] = "Give the cost, or tick “free”."
        if not (self.in_person or self.online or self.by_phone):
            errors["in_person"] = "Choose at least one way the activity is delivered."
        if errors:
            raise ValidationError(errors)

    @property
    def organisation(self) -> "OrganisationPage":
        return self.get_parent().specific

    @property
    def language_list(self) -> list[str]:
        return [language.strip() for language in self.languages.split(",") if language.strip()]

    @property
    def service_area_list(self) -> list[str]:
        return [area.strip() for area in self.service_areas.splitlines() if area.strip()]

    @property
    def price(self) -> str:
        """What it costs, as the listing states it: "Free", or "£3 per session"."""
        return price_text(is_free=self.is_free, amount=self.cost_amount, description=self.cost_description)

    @property
    def delivery_modes(self) -> list[str]:
        modes = {"In person": self.in_person, "Online": self.online, "By phone": self.by_phone}
        return [label for label, offered in modes.items() if offered]

    def stale_since(self) -> date:
        return self.last_reviewed + timedelta(days=settings.SIGNPOST["STALE_AFTER_DAYS"])

    def is_stale(self, today: date | None = None) -> bool:
        return (today or timezone.localdate()) >= self.stale_since()

    def is_hidden_as_stale(self, today: date | None = None) -> bool:
        hidden_from = self.stale_since() + timedelta(days=settings.SIGNPOST["STALE_GRACE_DAYS"])
        return (today or timezone.localdate()) >= hidden_from

    def is_publicly_listed(self) -> bool:
        return self.live and self.status == ActivityStatus.ACTIVE and not self.is_hidden_as_stale()

    def serve(self, request, *args, **kwargs):
        # Closed and stale-hidden activities are not shown to the public; their editors and
        # moderators still preview them in the admin.
        if self.status == ActivityStatus.CLOSED or self.is_hidden_as_stale():
            raise Http404("This activity is no longer listed.")
        return super().serve(request, *args, **kwargs)

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        sessions = list(self.sessions.select_related("venue"))
        context["sessions"] = sessions
        context["next_sessions"] = next_occurrences(sessions, count=5)
        context["venues"] = list({s.venue_id: s.venue for s in sessions if s.venue_id}.values())
        # Opened from search results: how far away it is, and the way back to those results.
        context["from_results"] = from_results(request, self)
        return context


class ActivitySession(Orderable):
    """A recurring (or one-off) session of an activity at a venue (an ORUK schedule)."""

    activity = ParentalKey(ActivityPage, on_delete=models.CASCADE, related_name="sessions")
    oruk_id = models.CharField("ORUK id", max_length=64, default=uuid.uuid4, db_index=True)
    venue = models.ForeignKey(
        "directory.Venue",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sessions",
        help_text="Leave empty for sessions held online or by phone.",
    )
    frequency = models.CharField(max_length=12, choices=Frequency.choices, default=Frequency.WEEKLY)
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices, null=True, blank=True)
    week_of_month = models.SmallIntegerField(
        choices=WeekOfMonth.choices, null=True, blank=True, help_text="For monthly sessions."
    )
    start_time = models.TimeField()
    end_time = models.TimeField()
    valid_from = models.DateField(help_text="The first date of the session (for a one-off, its date).")
    valid_to = models.DateField(null=True, blank=True, help_text="Leave empty if it carries on.")
    notes = models.CharField(max_length=255, blank=True)

    panels = [
        FieldPanel("venue"),
        FieldRowPanel(
            [
                FieldPanel("frequency", heading="How often"),
                FieldPanel("weekday", heading="Day"),
                FieldPanel("week_of_month", heading="Which week", help_text="For monthly sessions, for example the first."),
            ]
        ),
        # Times in 5-minute steps; compared as one "10:30 – 11:00".
        SessionTimesPanel(),
        FieldRowPanel(
            [
                FieldPanel(
                    "valid_from",
                    heading="First date",
                    help_text="For example 11/08/2026. For a one-off session, its date.",
                    widget=UKDateInput,
                ),
                FieldPanel(
                    "valid_to", heading="Last date", help_text="Leave empty if it carries on.", widget=UKDateInput
                ),
            ]
        ),
        FieldPanel("notes", help_text="Anything else to know, for example “No session in August”."),
    ]

    class Meta(Orderable.Meta):
        verbose_name = "session"
        indexes = [
            # A search near a postcode goes from the venues in its box to their sessions, and the
            # facets from the matching activities to their sessions: on PostgreSQL each reads its
            # index alone (an index-only scan), not tens of thousands of table rows in a city.
            models.Index(fields=["venue"], include=["activity", "valid_to", "weekday", "start_time"],
                         name="session_by_venue"),
            models.Index(fields=["activity"], include=["weekday", "venue"], name="session_by_activity"),
        ]

    def __str__(self):
        return describe_session(self)

    def clean(self):
        super().clean()
        errors = {}
        if self.start_time and self.end_time and self.end_time <= self.start_time:
            errors["end_time"] = "The session must end after it starts."
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            errors["valid_to"] = "The end date must be on or after the start date."
        if self.frequency != Frequency.ONCE and self.weekday is None:
            errors["weekday"] = "Choose the day of the week the session happens on."
        if self.frequency == Frequency.MONTHLY and self.week_of_month is None:
            errors["week_of_month"] = "Choose which week of the month, for example the first."
        if errors:
            raise ValidationError(errors)
