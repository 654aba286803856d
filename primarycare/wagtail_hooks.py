"""Primary care in the Wagtail admin, for administrators: GP practices (their NHSmail addresses above
all), primary care networks, and loading both from the NHS's files.

Who may: ``primarycare.permissions`` (superusers, or those given the model permissions; no staff
group has them). Practices are never deleted.
"""

import django_filters
from django.db.models import Count, Q
from django.urls import path, reverse_lazy
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.admin.widgets import HeaderButton
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import (
    CreateView,
    EditView,
    IndexView,
    SnippetViewSet,
    SnippetViewSetGroup,
)

from directory.postcodes import PostcodeError, normalise_postcode
from primarycare import admin_views
from primarycare.models import GpPractice, PrimaryCareNetwork
from primarycare.permissions import NeverDeletedPolicy, may_load_practice_files

# Registered before anything asks the registry for GpPractice's policy.
register_permission_policy(GpPractice, NeverDeletedPolicy(GpPractice))

LOAD_FILES_URL = reverse_lazy("primarycare_load_files")


class _LoadFilesButton:
    """"Load from NHS files" above the lists, for those who may."""

    @property
    def header_buttons(self):
        buttons = list(super().header_buttons)
        if may_load_practice_files(self.request.user):
            buttons.append(HeaderButton("Load from NHS files", url=LOAD_FILES_URL, icon_name="upload"))
        return buttons


class GpPracticeIndexView(_LoadFilesButton, IndexView):
    def search_queryset(self, queryset):
        """Name, ODS code or postcode; a postcode typed without its space ("bh151ab") is found too."""
        if not self.is_searching:
            return queryset
        query = self.search_query.strip()
        matches = Q(name__icontains=query) | Q(ods_code__iexact=query.replace(" ", "")) | Q(postcode__icontains=query)
        try:
            matches |= Q(postcode=normalise_postcode(query))
        except PostcodeError:
            pass
        return queryset.filter(matches)


class GpPracticeCreateView(admin_views.NhsmailWarning, CreateView):
    pass


class GpPracticeEditView(admin_views.NhsmailWarning, EditView):
    pass


class GpPracticeFilterSet(WagtailFilterSet):
    has_nhsmail = django_filters.BooleanFilter(label="NHSmail address on record", method="filter_has_nhsmail")

    class Meta:
        model = GpPractice
        fields = ["is_open", "pcn"]

    def filter_has_nhsmail(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.exclude(nhsmail="") if value else queryset.filter(nhsmail="")


class GpPracticeViewSet(SnippetViewSet):
    model = GpPractice
    icon = "group"
    menu_label = "GP practices"
    list_display = [
        "name",
        "ods_code",
        "postcode",
        Column("pcn", label="Primary care network"),
        Column("nhsmail_status", label="NHSmail", accessor=lambda practice: (
            "On record" if practice.nhsmail else "None: letters to print")),
        Column("open_status", label="Open", accessor=lambda practice: (
            "Open" if practice.is_open else f"Closed{practice.closed_on and f' {practice.closed_on:%-d %b %Y}' or ''}")),
    ]
    list_per_page = 50
    search_fields = ["name", "ods_code", "postcode"]
    search_backend_name = None
    filterset_class = GpPracticeFilterSet
    ordering = ["name"]
    index_view_class = GpPracticeIndexView
    add_view_class = GpPracticeCreateView
    edit_view_class = GpPracticeEditView
    edit_handler = ObjectList(
        [
            FieldPanel(
                "nhsmail",
                help_text="Where Signpost emails the practice its patients' referral and discharge summaries: "
                "the practice's shared NHSmail address, ending in @nhs.net. Leave it empty and the summaries are "
                "letters to print and post.",
            ),
            MultiFieldPanel(
                [
                    FieldRowPanel([FieldPanel("name"), FieldPanel("ods_code")]),
                    FieldPanel("address"),
                    FieldRowPanel([FieldPanel("postcode"), FieldPanel("phone")]),
                    FieldPanel("pcn"),
                    FieldRowPanel([FieldPanel("is_open"), FieldPanel("closed_on")]),
                ],
                heading="From the NHS's files",
                help_text="Loading the NHS's files again replaces these (the network from the PCN file); "
                "the NHSmail address is kept.",
            ),
        ],
        base_form_class=admin_views.GpPracticeForm,
    )

    def get_queryset(self, request):
        return GpPractice.objects.select_related("pcn")


class PrimaryCareNetworkIndexView(_LoadFilesButton, IndexView):
    pass


class PrimaryCareNetworkViewSet(SnippetViewSet):
    model = PrimaryCareNetwork
    icon = "site"
    menu_label = "Primary care networks"
    list_display = [
        "name",
        "ods_code",
        "sub_icb_location",
        Column("practice_count", label="Practices", sort_key="practice_count"),
    ]
    list_per_page = 50
    search_fields = ["name", "ods_code"]
    search_backend_name = None
    ordering = ["name"]
    index_view_class = PrimaryCareNetworkIndexView
    panels = [FieldPanel("name"), FieldPanel("ods_code"), FieldPanel("sub_icb_location")]

    def get_queryset(self, request):
        return PrimaryCareNetwork.objects.annotate(practice_count=Count("practices"))


class LoadFilesMenuItem(MenuItem):
    def is_shown(self, request):
        return may_load_practice_files(request.user)


class PrimaryCareGroup(SnippetViewSetGroup):
    items = (GpPracticeViewSet, PrimaryCareNetworkViewSet)
    menu_label = "Primary care"
    menu_icon = "group"
    menu_order = 280

    def get_submenu_items(self):
        return [
            *super().get_submenu_items(),
            LoadFilesMenuItem("Load from NHS files", LOAD_FILES_URL, icon_name="upload", order=10),
        ]


register_snippet(PrimaryCareGroup)


@hooks.register("register_admin_urls")
def register_primarycare_admin_urls():
    return [
        path("primary-care/load/", admin_views.PracticeFilesUploadView.as_view(), name="primarycare_load_files"),
    ]
