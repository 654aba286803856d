from django import forms
from django.contrib import messages
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.db import models
from django.urls import path, reverse
from django.utils.http import urlencode
from wagtail import hooks
from wagtail.admin.action_menu import SubmitForModerationMenuItem
from wagtail.admin.compare import register_comparison_class
from wagtail.admin.forms.choosers import BaseFilterForm, SearchFilterMixin
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import ObjectList
from wagtail.admin.widgets import Button, ListingButton
from wagtail.fields import RichTextField
from wagtail.models import Page
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import policy_registry, register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.chooser import ChooseResultsView, ChooseView, SnippetChooserViewSet
from wagtail.snippets.views.snippets import (
    CopyView,
    InspectView,
    CreateView,
    DeleteView,
    EditView,
    HistoryView,
    SnippetViewSet,
    SnippetViewSetGroup,
    UsageView,
)

from directory import admin_views
from directory.editing import DateComparison, EditorRichTextComparison, TimeComparison
from directory.forms import VenueForm
from directory.freshness import CONFIRM_ACCURATE_LOG_ACTION
from directory.harvesting import CLAIM_LOG_ACTION, may_claim
from directory.models import ActivityPage, Feed, HarvestedListing, HarvestRun, NeedTerm, OrganisationPage, Venue
from directory.permissions import (
    VenuePermissionPolicy,
    is_directory_moderator,
    organisations_edited_by,
    venues_choosable_by,
)

# Registered before anything asks the registry for Venue's policy (Wagtail 8 otherwise creates
# a model-level fallback), and instead of the deprecated SnippetViewSet.permission_policy.
register_permission_policy(Venue, VenuePermissionPolicy(Venue))


class NeedTermViewSet(SnippetViewSet):
    model = NeedTerm
    icon = "tag"
    menu_label = "Needs"
    add_to_admin_menu = True
    list_display = ["name", "parent", "synonyms"]
    search_fields = ["name", "synonyms"]
    ordering = ["parent__name", "name"]


register_snippet(NeedTermViewSet)


# Venues: each organisation's editors see and change only their own --------------------------


def _venue_policy():
    return policy_registry.get_by_type(Venue)


class _OwnVenueOnly:
    """Answer 404 for a venue outside the user's organisations, rather than reveal it exists.

    Wagtail's generic object views check model permissions only; the policy's object-level
    check is applied here, to every view that loads one venue.
    """

    venue_actions = ("change",)

    def get_object(self, *args, **kwargs):
        venue = super().get_object(*args, **kwargs)
        if not _venue_policy().user_has_any_permission_for_instance(self.request.user, self.venue_actions, venue):
            raise Http404("No such venue.")
        return venue


class _CoordinateWarning:
    """After saving, tell the editor when the postcode's centre replaced the coordinates they gave
    (``VenueForm.coordinate_warning``), so a correction is never silent."""

    def form_valid(self, form):
        response = super().form_valid(form)
        if form.coordinate_warning and not getattr(self, "expects_json_response", False):
            messages.warning(self.request, f"{self.object}: {form.coordinate_warning}")
        return response


class VenueCreateView(_CoordinateWarning, CreateView):
    pass


class VenueEditView(_CoordinateWarning, _OwnVenueOnly, EditView):
    pass


class VenueCopyView(_CoordinateWarning, CopyView):
    def get_object(self, queryset=None):
        # CopyView checks the policy itself, but answers with "permission denied".
        try:
            return super().get_object(queryset)
        except PermissionDenied as denied:
            raise Http404("No such venue.") from denied


class VenueDeleteView(_OwnVenueOnly, DeleteView):
    venue_actions = ("delete",)


class VenueHistoryView(_OwnVenueOnly, HistoryView):
    venue_actions = ("add", "change", "delete")


class VenueUsageView(_OwnVenueOnly, UsageView):
    pass


class _VenueSearchForm(SearchFilterMixin, BaseFilterForm):
    """The chooser's search box, answered from the database: the choosable venues are filtered
    by organisation, which Venue's search index cannot filter on."""

    def filter(self, objects):
        objects = BaseFilterForm.filter(self, objects)
        query = self.cleaned_data.get("q")
        if query:
            objects = objects.filter(
                Q(name__icontains=query) | Q(postcode__icontains=query) | Q(town__icontains=query)
            )
            self.is_searching = True
            self.search_query = query
        return objects


class _ChoosableVenues:
    filter_form_class = _VenueSearchForm

    def get_object_list(self):
        return venues_choosable_by(self.request.user)


class VenueChooseView(_ChoosableVenues, ChooseView):
    pass


class VenueChooseResultsView(_ChoosableVenues, ChooseResultsView):
    pass


class VenueChooserViewSet(SnippetChooserViewSet):
    choose_view_class = VenueChooseView
    choose_results_view_class = VenueChooseResultsView


class _OrganisationScopedVenueForm:
    """Editors may only give a venue one of their own organisations, and must give one."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self, "for_user", None)
        field = self.fields.get("organisation")
        if field is None or user is None or is_directory_moderator(user):
            return
        own = organisations_edited_by(user).order_by("title")
        # A plain select of their own organisations, not a page chooser over the whole tree.
        field.widget = forms.Select()
        field.queryset = own
        field.required = True
        field.empty_label = None if own.count() == 1 else "Choose an organisation"
        field.help_text = "The organisation that looks after this venue's details."
        field.error_messages["invalid_choice"] = "Choose one of your organisations."


class VenueViewSet(SnippetViewSet):
    model = Venue
    icon = "site"
    menu_label = "Venues"
    add_to_admin_menu = True
    list_display = ["name", "postcode", "town", "organisation"]
    # Searched in the database rather than the search index: the listing is filtered by
    # organisation, which Venue's search_fields do not declare as a filter field.
    search_fields = ["name", "postcode", "town"]
    search_backend_name = None
    ordering = ["name"]
    add_view_class = VenueCreateView
    edit_view_class = VenueEditView
    copy_view_class = VenueCopyView
    delete_view_class = VenueDeleteView
    history_view_class = VenueHistoryView
    usage_view_class = VenueUsageView
    chooser_viewset_class = VenueChooserViewSet
    # The model's panels, on the form that places the venue on the map from its postcode.
    edit_handler = ObjectList(Venue.panels, base_form_class=VenueForm)

    def get_queryset(self, request):
        return (
            _venue_policy()
            .instances_user_has_any_permission_for(request.user, ["add", "change", "delete", "view"])
            .select_related("organisation")
        )

    def get_form_class(self, for_update=False):
        # Built on the edit handler's form (VenueForm with the model's panels).
        base = super().get_form_class(for_update=for_update)
        return type(f"Scoped{base.__name__}", (_OrganisationScopedVenueForm, base), {})


register_snippet(VenueViewSet)


# Pages: editors browse only their own organisations' drafts ---------------------------------


@hooks.register("construct_page_chooser_queryset")
def only_own_drafts_in_page_chooser(pages, request):
    # The explorer and admin search already keep to the pages a user may edit; the link
    # chooser lists every page, so hide other organisations' unpublished ones.
    user = request.user
    if is_directory_moderator(user):
        return pages
    own = policy_registry.get_by_type(Page).instances_user_has_any_permission_for(user, {"add", "change", "publish"})
    return pages.filter(Q(live=True) | Q(id__in=list(own.values_list("pk", flat=True))))


# "Still accurate" ----------------------------------------------------------------------------


def _confirm_accurate_url(page, next_url):
    url = reverse("directory_activity_confirm_accurate", args=[page.pk])
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def _confirm_accurate_attrs(url):
    # With JavaScript, one click posts (Wagtail's w-action controller adds the CSRF token);
    # without it, the link opens a page with the same button in a form.
    return {
        "data-controller": "w-action",
        "data-action": "w-action#post",
        "data-w-action-url-value": url,
    }


def _can_confirm(page, user) -> bool:
    return issubclass(page.specific_class or Page, ActivityPage) and page.permissions_for_user(user).can_edit()


@hooks.register("register_page_listing_buttons")
def confirm_accurate_listing_button(page, user, next_url=None):
    if _can_confirm(page, user):
        url = _confirm_accurate_url(page, next_url)
        yield ListingButton(
            "Still accurate",
            url=url,
            icon_name="tick",
            attrs={**_confirm_accurate_attrs(url), "aria-label": f"Confirm “{page.get_admin_display_title()}” is still accurate"},
            priority=5,
        )


@hooks.register("register_page_header_buttons")
def confirm_accurate_header_button(page, user, view_name, next_url=None):
    if _can_confirm(page, user):
        url = _confirm_accurate_url(page, next_url)
        yield Button("Still accurate", url=url, icon_name="tick", attrs=_confirm_accurate_attrs(url), priority=5)


@hooks.register("register_log_actions")
def register_directory_log_actions(actions):
    actions.register_action(CONFIRM_ACCURATE_LOG_ACTION, "Confirm still accurate", "Confirmed as still accurate")
    actions.register_action(CLAIM_LOG_ACTION, "Claim a harvested listing", "Claimed from its feed")


# Inviting editors ----------------------------------------------------------------------------


class ModeratorMenuItem(MenuItem):
    def is_shown(self, request):
        return is_directory_moderator(request.user)


@hooks.register("register_admin_menu_item")
def register_invite_editor_menu_item():
    return ModeratorMenuItem("Invite an editor", reverse("directory_invite_editor"), icon_name="user", order=300)


@hooks.register("register_page_header_buttons")
def invite_editor_header_button(page, user, view_name, next_url=None):
    if issubclass(page.specific_class or Page, OrganisationPage) and is_directory_moderator(user):
        url = reverse("directory_invite_editor") + "?" + urlencode({"organisation": page.pk})
        yield Button("Invite an editor", url=url, icon_name="user", priority=6)


# Reports -------------------------------------------------------------------------------------


@hooks.register("register_reports_menu_item")
def register_stale_listings_menu_item():
    return ModeratorMenuItem("Stale listings", reverse("directory_stale_listings"), icon_name="time", order=1100)


@hooks.register("register_admin_urls")
def register_directory_admin_urls():
    return [
        path(
            "directory/activities/<id:activity_id>/still-accurate/",
            admin_views.activity_confirm_accurate_view,
            name="directory_activity_confirm_accurate",
        ),
        path("directory/invite-editor/", admin_views.EditorInviteView.as_view(), name="directory_invite_editor"),
        path(
            "directory/activities/<id:activity_id>/claim/",
            admin_views.ClaimListingView.as_view(),
            name="directory_claim_listing",
        ),
        path(
            "reports/stale-listings/",
            admin_views.StaleListingsReportView.as_view(),
            name="directory_stale_listings",
        ),
        path(
            "reports/stale-listings/results/",
            admin_views.StaleListingsReportView.as_view(results_only=True),
            name="directory_stale_listings_results",
        ),
    ]


# Harvesting feeds ----------------------------------------------------------------------------


class _ReadOnlyPolicy(ModelPermissionPolicy):
    """Runs are written by harvesting alone: anyone with the view permission reads them, nobody
    (not even a superuser) adds, changes or deletes one in the admin."""

    def user_has_permission(self, user, action):
        return action == "view" and super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return "view" in actions and super().user_has_permission(user, "view")


register_permission_policy(HarvestRun, _ReadOnlyPolicy(HarvestRun))


class FeedViewSet(SnippetViewSet):
    model = Feed
    icon = "download"
    menu_label = "Feeds"
    list_display = ["name", "base_url", "active", "every_hours", "last_run_at", "last_success_at"]
    search_fields = ["name", "base_url"]
    search_backend_name = None
    inspect_view_enabled = True


class HarvestRunInspectView(InspectView):
    def get_field_label(self, field_name, field):
        return "Report" if field_name == "report" else super().get_field_label(field_name, field)

    def get_report_display_value(self):
        lines = self.object.report_lines()
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((line,) for line in lines)))


class HarvestRunViewSet(SnippetViewSet):
    model = HarvestRun
    icon = "list-ul"
    menu_label = "Harvest runs"
    list_display = ["feed", "started_at", "kind", "outcome"]
    list_filter = ["feed", "kind"]
    ordering = ["-started_at"]
    inspect_view_enabled = True
    inspect_view_class = HarvestRunInspectView
    inspect_view_fields = ["feed", "kind", "started_at", "finished_at", "report"]


class FeedsGroup(SnippetViewSetGroup):
    items = (FeedViewSet, HarvestRunViewSet)
    menu_label = "Feeds"
    menu_icon = "download"
    menu_order = 290


register_snippet(FeedsGroup)


def _harvest(page):
    if not issubclass(page.specific_class or Page, ActivityPage):
        return None
    return HarvestedListing.objects.filter(activity_id=page.pk).select_related("feed", "claimed_by").first()


@hooks.register("register_page_header_buttons")
def claim_listing_header_button(page, user, view_name, next_url=None):
    harvest = _harvest(page)
    if harvest is not None and not harvest.claimed and may_claim(user=user, activity=page.specific):
        yield Button(
            "Claim this listing", url=reverse("directory_claim_listing", args=[page.pk]), icon_name="lock", priority=7
        )


@hooks.register("before_edit_page")
def tell_editors_the_listing_is_harvested(request, page):
    harvest = _harvest(page)
    if harvest is None or request.method != "GET":
        return None
    when = f"{timezone.localtime(harvest.last_harvested_at):%-d %B %Y}"
    if harvest.claimed:
        by = harvest.claimed_by.title if harvest.claimed_by else "an organisation"
        messages.info(request, f"This listing came from {harvest.feed.name}. {by} has claimed it, so the feed no longer changes it.")
    else:
        messages.warning(
            request,
            f"This listing is harvested from {harvest.feed.name} (last on {when}). The feed keeps it up to date: "
            "changes made here are overwritten by the feed's next update unless the listing is claimed "
            "(“Claim this listing”).",
        )
    return None


# The listing editor and the moderator's comparison (directory.editing) -------------------------


class SubmitForReviewMenuItem(SubmitForModerationMenuItem):
    """Wagtail's "Submit to <workflow>", named for what happens to the listing."""

    def get_context_data(self, parent_context):
        context = super().get_context_data(parent_context)
        page = context.get("page")
        state = page.current_workflow_state if page else None
        needs_changes = state is not None and state.status == state.STATUS_NEEDS_CHANGES
        context["label"] = "Submit for review again" if needs_changes else "Submit for review"
        return context


def submit_for_review_first(menu_items, request, context) -> None:
    """For an editor who cannot publish, "Submit for review" is the main button (Wagtail
    otherwise shows "Save draft" there, with submitting under the arrow); "Save draft" follows."""
    if any(item.name == "action-publish" for item in menu_items):
        return
    for position, item in enumerate(menu_items):
        if isinstance(item, SubmitForModerationMenuItem):
            menu_items.pop(position)
            menu_items.insert(0, SubmitForReviewMenuItem(order=item.order))
            return


@hooks.register("construct_page_action_menu")
def submit_for_review_as_the_main_button(menu_items, request, context):
    submit_for_review_first(menu_items, request, context)


# What the moderator's comparison shows: values as the editor writes them, changed only when
# they differ as the editor would see them (not when stored in another, equivalent form).
register_comparison_class(RichTextField, comparison_class=EditorRichTextComparison)
register_comparison_class(models.TimeField, comparison_class=TimeComparison, exact_class=True)
register_comparison_class(models.DateField, comparison_class=DateComparison, exact_class=True)
