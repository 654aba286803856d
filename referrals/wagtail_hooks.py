"""Referrals in the Wagtail admin: each member of staff's work (its menu and its dashboard), and the audit trail,
the changes of access and second factor resets, for administrators only."""

from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.components import Component
from wagtail.admin.widgets import Button

from referrals import admin_views
from referrals.roles import actor_for_user
from referrals.staff_work import menu_for, work_for

# Before Wagtail's own menu items (Pages is 100): a member of staff's work comes first.
STAFF_WORK_MENU_ORDER = 10


@hooks.register("construct_main_menu")
def staff_work_menu_items(request, menu_items):
    """The staff menu of Signpost's pages, at the top of the admin's. Links into the admin itself (the
    listings, the dashboard) are already in its own menu (Pages, Reports, the logo)."""
    for position, link in enumerate(menu_for(actor_for_user(request.user))):
        if not link.in_admin:
            menu_items.append(
                MenuItem(link.label, link.url, name=f"signpost-work-{position}", icon_name=link.icon,
                         order=STAFF_WORK_MENU_ORDER + position)
            )


class StaffWorkPanel(Component):
    """The role home's cards, with their counts, first on the admin's dashboard."""

    name = "signpost_work"
    template_name = "referrals/admin/staff_work_panel.html"
    order = 50

    def __init__(self, areas):
        self.areas = areas

    def get_context_data(self, parent_context):
        return {"areas": self.areas}


@hooks.register("construct_homepage_panels")
def staff_work_panel(request, panels):
    areas = work_for(actor_for_user(request.user), counted=True)
    if areas:
        panels.append(StaffWorkPanel(areas))


class AdministratorMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.is_superuser


@hooks.register("register_reports_menu_item")
def register_audit_trail_menu_item():
    return AdministratorMenuItem("Audit trail", reverse("referrals_audit_trail"), icon_name="history", order=1200)


@hooks.register("register_reports_menu_item")
def register_access_changes_menu_item():
    return AdministratorMenuItem("Changes of access", reverse("referrals_access_changes"), icon_name="key", order=1210)


@hooks.register("register_user_listing_buttons")
def reset_second_factor_button(user, request_user):
    if request_user.is_superuser:
        yield Button(
            "Reset two-factor sign-in",
            url=reverse("referrals_reset_second_factor", args=[user.pk]),
            icon_name="key",
            priority=60,
        )


@hooks.register("register_admin_urls")
def register_referrals_admin_urls():
    return [
        path("reports/access-changes/", admin_views.AccessChangesView.as_view(), name="referrals_access_changes"),
        path(
            "reports/access-changes/results/",
            admin_views.AccessChangesView.as_view(results_only=True),
            name="referrals_access_changes_results",
        ),
        path(
            "users/<id:pk>/reset-two-factor/",
            admin_views.ResetSecondFactorView.as_view(),
            name="referrals_reset_second_factor",
        ),
        path("reports/audit-trail/", admin_views.AuditTrailView.as_view(), name="referrals_audit_trail"),
        path(
            "reports/audit-trail/results/",
            admin_views.AuditTrailView.as_view(results_only=True),
            name="referrals_audit_trail_results",
        ),
    ]


# Setting up a deployment: its social prescribing services and who works for which. Snippets,
# editable by administrators (no group holds these permissions).
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from referrals.models import (
    ContactExpectation,
    SocialPrescribingService,
    StaffMembership,
)


class SocialPrescribingServiceViewSet(SnippetViewSet):
    model = SocialPrescribingService
    icon = "group"
    menu_label = "Social prescribing services"
    list_display = ["name", "postcode_prefixes", "email", "phone"]
    search_fields = ["name"]


class StaffMembershipViewSet(SnippetViewSet):
    model = StaffMembership
    icon = "user"
    menu_label = "Staff memberships"
    list_display = ["user", "service", "languages"]
    list_filter = ["service"]


class ContactExpectationViewSet(SnippetViewSet):
    """How many contacts each service expects per tier, and over how many weeks (the caseload's "3 of 6-12")."""

    model = ContactExpectation
    icon = "date"
    menu_label = "Contact expectations"
    list_display = ["service", "tier", "min_contacts", "max_contacts", "within_weeks"]
    list_filter = ["service", "tier"]


register_snippet(SocialPrescribingServiceViewSet)
register_snippet(StaffMembershipViewSet)
register_snippet(ContactExpectationViewSet)
