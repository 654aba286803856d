"""Referrals in the Wagtail admin: the audit trail report, for administrators only."""

from django.urls import path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from referrals import admin_views


class AdministratorMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.is_superuser


@hooks.register("register_reports_menu_item")
def register_audit_trail_menu_item():
    return AdministratorMenuItem("Audit trail", reverse("referrals_audit_trail"), icon_name="history", order=1200)


@hooks.register("register_admin_urls")
def register_referrals_admin_urls():
    return [
        path("reports/audit-trail/", admin_views.AuditTrailView.as_view(), name="referrals_audit_trail"),
        path(
            "reports/audit-trail/results/",
            admin_views.AuditTrailView.as_view(results_only=True),
            name="referrals_audit_trail_results",
        ),
    ]


# Setting up a deployment: its social prescribing services and who works for which. Snippets,
# editable by administrators (no group holds these permissions).
from wagtail.snippets.models import register_snippet  # noqa: E402
from wagtail.snippets.views.snippets import SnippetViewSet  # noqa: E402

from referrals.models import SocialPrescribingService, StaffMembership  # noqa: E402


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


register_snippet(SocialPrescribingServiceViewSet)
register_snippet(StaffMembershipViewSet)
