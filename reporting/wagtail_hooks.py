"""Reporting in the Wagtail admin: the areas the reports filter by, a snippet for administrators
(no group holds its permissions)."""

from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from reporting.models import ReportingArea


class ReportingAreaViewSet(SnippetViewSet):
    model = ReportingArea
    icon = "site"
    menu_label = "Reporting areas"
    list_display = ["name", "postcode_prefixes"]


register_snippet(ReportingAreaViewSet)
