from django.db import models
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField
from wagtail.models import Page

from directory.models import NeedTerm


class HomePage(Page):
    """The front door: find an activity by postcode and need."""

    heading = models.CharField(max_length=255, default="Find activities and support near you")
    intro = models.TextField(
        blank=True,
        default="Groups, clubs and advice run by local charities and community organisations.",
    )

    content_panels = Page.content_panels + [FieldPanel("heading"), FieldPanel("intro")]
    parent_page_types = ["wagtailcore.Page"]
    max_count = 1

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["top_needs"] = NeedTerm.objects.filter(parent__isnull=True)
        return context


class StandardPage(Page):
    """A plain page of text, such as the accessibility statement."""

    body = RichTextField()

    content_panels = Page.content_panels + [FieldPanel("body")]
    parent_page_types = ["pages.HomePage", "pages.StandardPage"]


@register_setting(icon="site")
class SiteSettings(BaseSiteSetting):
    contact_email = models.EmailField(blank=True, help_text="Where people write with questions about the site.")
    phone = models.CharField(max_length=40, blank=True)
