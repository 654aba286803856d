"""The directory's own Wagtail admin views: "still accurate", inviting editors, the stale-listings report,
claiming a harvested listing."""

from datetime import timedelta

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.functional import cached_property
from django.views.decorators.http import require_http_methods
from django.views.generic import FormView
from wagtail.admin import messages
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.utils import get_valid_next_url_from_request
from wagtail.admin.views.generic import WagtailAdminTemplateMixin
from wagtail.admin.views.reports import ReportView
from wagtail.models import Page

from directory.freshness import activity_confirm_accurate
from directory.harvesting import ClaimError, claimable_organisations, listing_claim, may_claim
from directory.models import ActivityPage, OrganisationPage
from directory.permissions import editor_invite, editor_invite_check, is_directory_moderator
from directory.selectors import stale_activities

# "Still accurate" ----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def activity_confirm_accurate_view(request, activity_id: int):
    """POST confirms the listing. GET only shows the one-button form, for the links in reminder
    emails and for browsers without JavaScript (the admin button posts directly)."""
    activity = get_object_or_404(ActivityPage, pk=activity_id)
    if not activity.permissions_for_user(request.user).can_edit():
        # As for other organisations' venues: do not confirm that the listing exists.
        raise Http404
    next_url = get_valid_next_url_from_request(request)
    if request.method == "POST":
        activity_confirm_accurate(activity=activity, user=request.user)
        messages.success(
            request,
            f"Thank you. “{activity.title}” is confirmed as accurate on {format_date(activity.last_reviewed, 'j F Y')}.",
        )
        return redirect(next_url or reverse("wagtailadmin_explore", args=[activity.get_parent().pk]))
    return TemplateResponse(
        request,
        "directory/admin/confirm_accurate.html",
        {
            "activity": activity,
            "next": next_url,
            "stale": activity.is_stale(),
            "hidden": activity.is_hidden_as_stale(),
            "cancel_url": next_url or reverse("wagtailadmin_pages:edit", args=[activity.pk]),
        },
    )


# Inviting editors ----------------------------------------------------------------------------


class EditorInviteForm(forms.Form):
    email = forms.EmailField(label="Email address", help_text="We send the invitation here.")
    name = forms.CharField(label="Full name", max_length=300)
    organisation = forms.ModelChoiceField(
        queryset=OrganisationPage.objects.order_by("title"),
        empty_label="Choose an organisation",
        help_text="They will be able to edit this organisation's profile, activities and venues.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].error_messages.update(
            required="Enter the email address of the person to invite.",
            invalid="Enter an email address in the correct format, like name@example.org.",
        )
        self.fields["name"].error_messages.update(required="Enter the name of the person to invite.")
        self.fields["organisation"].error_messages.update(
            required="Choose the organisation they will edit.",
            invalid_choice="Choose an organisation from the list.",
        )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("email") and cleaned.get("organisation"):
            try:
                editor_invite_check(email=cleaned["email"], organisation=cleaned["organisation"])
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned


class EditorInviteView(WagtailAdminTemplateMixin, FormView):
    form_class = EditorInviteForm
    template_name = "directory/admin/invite_editor.html"
    page_title = "Invite an editor"
    header_icon = "user"

    def dispatch(self, request, *args, **kwargs):
        if not is_directory_moderator(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.page_title}]

    def get_initial(self):
        organisation = self.request.GET.get("organisation", "")
        return {"organisation": organisation} if organisation.isdigit() else {}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            action_url=reverse("directory_invite_editor"),
            submit_button_label="Send invitation",
            submit_button_active_label="Sending…",
        )
        return context

    def form_valid(self, form):
        invitation = editor_invite(
            email=form.cleaned_data["email"],
            name=form.cleaned_data["name"],
            organisation=form.cleaned_data["organisation"],
            invited_by=self.request.user,
        )
        what = "invited" if invitation.created or not invitation.user.has_usable_password() else "added"
        messages.success(
            self.request,
            f"{invitation.user.email} has been {what} as an editor of {invitation.organisation.title}. "
            "We have emailed them.",
        )
        return redirect("wagtailadmin_explore", invitation.organisation.pk)

    def form_invalid(self, form):
        messages.validation_error(self.request, "The invitation could not be sent. Check the errors below.", form)
        return super().form_invalid(form)


# Stale listings report -----------------------------------------------------------------------


def _date(value):
    return format_date(value, "j M Y") if value else ""


class StaleListingsReportView(ReportView):
    """Live activities overdue for review, oldest first: for moderators chasing organisations."""

    page_title = "Stale listings"
    header_icon = "time"
    index_url_name = "directory_stale_listings"
    index_results_url_name = "directory_stale_listings_results"
    model = ActivityPage
    paginate_by = 50
    list_export = ["title", "organisation_title", "last_reviewed", "stale_since", "hidden_status", "reminded"]
    export_headings = {
        "title": "Activity",
        "organisation_title": "Organisation",
        "last_reviewed": "Last reviewed",
        "stale_since": "Stale since",
        "hidden_status": "Hidden from the public",
        "reminded": "Last reminder",
    }
    no_results_message = "No listings are stale. Every live activity has been checked recently."

    def dispatch(self, request, *args, **kwargs):
        if not is_directory_moderator(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def permission_policy(self):
        # Moderators only, checked in dispatch(); not the page policy that model= would pick.
        return None

    def get_filename(self):
        return f"stale-listings-{timezone.localdate():%Y-%m-%d}"

    def get_queryset(self):
        # Oldest first is the point of the report, so the order is fixed.
        return stale_activities()

    @cached_property
    def columns(self):
        return [
            TitleColumn(
                "title",
                label="Activity",
                get_url=lambda activity: reverse("wagtailadmin_pages:edit", args=[activity.pk]),
            ),
            TitleColumn(
                "organisation_title",
                label="Organisation",
                get_url=lambda activity: reverse("wagtailadmin_explore", args=[activity.listing_organisation_id]),
            ),
            Column("last_reviewed_display", label="Last reviewed"),
            Column("hidden_status", label="Hidden from the public"),
            Column("reminded_display", label="Last reminder"),
        ]

    def decorate_paginated_queryset(self, object_list):
        activities = list(object_list)
        organisations = {
            organisation.path: organisation
            for organisation in OrganisationPage.objects.filter(
                path__in={activity.path[: -Page.steplen] for activity in activities}
            ).only("pk", "path", "title")
        }
        today = timezone.localdate()
        grace = timedelta(days=settings.SIGNPOST["STALE_GRACE_DAYS"])
        for activity in activities:
            organisation = organisations.get(activity.path[: -Page.steplen])
            activity.listing_organisation_id = organisation.pk if organisation else None
            activity.organisation_title = organisation.title if organisation else ""
            activity.last_reviewed_display = _date(activity.last_reviewed)
            hidden_from = activity.stale_since() + grace
            activity.hidden_status = (
                f"Yes, since {_date(hidden_from)}"
                if activity.is_hidden_as_stale(today)
                else f"No, hidden from {_date(hidden_from)}"
            )
            activity.reminded = activity.stale_reminder_sent_at
            activity.reminded_display = (
                _date(timezone.localdate(activity.stale_reminder_sent_at)) if activity.stale_reminder_sent_at else "Not yet"
            )
        return activities


# Claiming a harvested listing ----------------------------------------------------------------


class ClaimListingForm(forms.Form):
    organisation = forms.ModelChoiceField(
        queryset=OrganisationPage.objects.none(),
        empty_label=None,
        help_text="The organisation that keeps this listing up to date from now on. The listing moves under its page.",
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        self.fields["organisation"].error_messages["invalid_choice"] = "Choose an organisation from the list."


class ClaimListingView(WagtailAdminTemplateMixin, FormView):
    """Claim a harvested listing: an editor for their organisation, a moderator for any."""

    form_class = ClaimListingForm
    template_name = "directory/admin/claim_listing.html"
    page_title = "Claim this listing"
    header_icon = "lock"

    def dispatch(self, request, *args, activity_id, **kwargs):
        self.activity = get_object_or_404(ActivityPage, pk=activity_id)
        if not may_claim(user=request.user, activity=self.activity):
            # As for other organisations' pages: do not confirm that the listing exists.
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [{"url": "", "label": self.page_title}]

    def get_page_subtitle(self):
        return self.activity.title

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "organisations": claimable_organisations(user=self.request.user, activity=self.activity),
        }

    def get_initial(self):
        return {"organisation": self.activity.get_parent().pk}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            activity=self.activity,
            harvest=self.activity.harvest,
            action_url=reverse("directory_claim_listing", args=[self.activity.pk]),
            submit_button_label="Claim this listing",
            submit_button_active_label="Claiming…",
        )
        return context

    def form_valid(self, form):
        organisation = form.cleaned_data["organisation"]
        try:
            listing_claim(activity=self.activity, organisation=organisation, user=self.request.user)
        except ClaimError as error:
            messages.error(self.request, str(error))
            return redirect("wagtailadmin_pages:edit", self.activity.pk)
        messages.success(
            self.request,
            f"“{self.activity.title}” is now {organisation.title}’s listing: the feed will no longer change it.",
        )
        return redirect("wagtailadmin_pages:edit", self.activity.pk)
