"""Administrators' admin pages: the audit trail, the changes of access, and resetting a second factor.

``AuditTrailView``: every view and change of a resident's record, newest first, with filters
(who, resident, referral, action, dates), pages of 50 and a CSV download of whatever the
filters select; downloading it is itself audit-logged. ``AccessChangesView``: every change
of who may do what (``referrals.accounts``). ``ResetSecondFactorView``: an administrator's
reset for someone who lost their phone and their recovery codes. Only superusers (Signpost's
administrators) reach them, after their second factor; anyone else gets a 403.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import OuterRef, Q, Subquery
from django.http import HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django.views.generic import TemplateView
from django_otp import user_has_device
from wagtail.admin import messages
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import BooleanColumn, Column, TitleColumn
from wagtail.admin.views.generic import WagtailAdminTemplateMixin
from wagtail.admin.views.reports import ReportView
from wagtail.admin.widgets import Button

from common.bounds import parse_id
from referrals import accounts
from referrals.audit import audit
from referrals.choices import AuditAction
from referrals.models import AuditEntry, Referral, RoleChange
from referrals.roles import actor_for_user
from referrals.views.common import two_factor_url

# A spreadsheet treats a cell starting with one of these as a formula: a member of staff named
# "=HYPERLINK(...)" must not run anything on an administrator's computer.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_safe(value):
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _when(entry) -> str:
    return format_date(timezone.localtime(entry.at), "j M Y, H:i:s")


class _FilterLinkColumn(TitleColumn):
    """An id that links to the trail filtered by it."""

    empty_value_display = "—"


class AuditTrailFilterSet(WagtailFilterSet):
    actor = django_filters.CharFilter(
        label="Who",
        method="filter_actor",
        help_text="Part of a name, a username, or “Signpost” for its own jobs.",
    )
    resident_id = django_filters.NumberFilter(label="Resident id", min_value=1)
    referral = django_filters.CharFilter(
        label="Referral", method="filter_referral", help_text="Its id, or its reference (like SP-ABC2345)."
    )
    action = django_filters.ChoiceFilter(
        label="Action", choices=AuditAction.choices, empty_label="All", widget=forms.RadioSelect
    )
    at = django_filters.DateFromToRangeFilter(label="Date", widget=DateRangePickerWidget)

    class Meta:
        model = AuditEntry
        fields = []

    def filter_actor(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(actor_label__icontains=value) | Q(actor__username__iexact=value))

    def filter_referral(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        if value.isdigit():
            return queryset.filter(referral_id=parse_id(value))
        return queryset.filter(referral_id__in=Referral.objects.filter(reference=value.upper()).values("pk"))


class AdministratorsOnly:
    """Superusers only, after their second factor; anyone else a plain 403 (raising
    PermissionDenied would become Wagtail's redirect to the dashboard)."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_superuser:
            return HttpResponseForbidden(render_to_string("referrals/admin/forbidden.html", request=request))
        if not request.user.is_verified():
            return redirect(f"{two_factor_url(request.user)}?{urlencode({'next': request.get_full_path()})}")
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def permission_policy(self):
        # Superusers only, checked in dispatch(); there is no model permission for these pages.
        return None


class AuditTrailView(AdministratorsOnly, ReportView):
    page_title = "Audit trail"
    header_icon = "history"
    template_name = "referrals/admin/audit_trail.html"
    index_url_name = "referrals_audit_trail"
    index_results_url_name = "referrals_audit_trail_results"
    model = AuditEntry
    filterset_class = AuditTrailFilterSet
    paginate_by = 50
    verbose_name_plural = "audit entries"
    # CSV only: one plain format that every tool reads, with formulas defused (see _csv_safe).
    FORMATS = (ReportView.FORMAT_CSV,)
    list_export = [
        "at", "actor_label", "actor_username", "action", "what", "resident_id", "referral_id", "referral_reference",
        "path",
    ]
    export_headings = {
        "at": "When",
        "actor_label": "Who",
        "actor_username": "Username",
        "action": "Action",
        "what": "What",
        "resident_id": "Resident id",
        "referral_id": "Referral id",
        "referral_reference": "Referral reference",
        "path": "Page",
    }

    def get_filename(self):
        return f"audit-trail-{timezone.localdate():%Y-%m-%d}"

    def get_queryset(self):
        reference = Referral.objects.filter(pk=OuterRef("referral_id")).values("reference")[:1]
        # Newest first, always: the order of a trail is part of what it says.
        return (
            AuditEntry.objects.select_related("actor")
            .annotate(referral_reference=Subquery(reference))
            .order_by("-at", "-pk")
        )

    def filter_queryset(self, queryset):
        if self.filters and not self.filters.is_valid():
            # Showing everything for a filter that makes no sense would look like an answer.
            return queryset.none()
        return super().filter_queryset(queryset)

    @cached_property
    def header_more_buttons(self):
        return [Button("Download CSV", url=self.csv_export_url, icon_name="download", priority=90)]

    def get(self, request, *args, **kwargs):
        if self.is_export:
            audit(
                actor_for_user(request.user),
                action=AuditAction.EXPORT,
                what="audit trail (CSV)",
                path=request.get_full_path(),
            )
            # Streamed row by row: the whole trail may be large.
            return self.write_csv_response(self.get_filtered_queryset().iterator(chunk_size=2000))
        return super().get(request, *args, **kwargs)

    def to_row_dict(self, item):
        row = {
            "at": timezone.localtime(item.at).isoformat(timespec="seconds"),
            "actor_label": item.actor_label,
            "actor_username": item.actor.get_username() if item.actor is not None else "",
            "action": item.get_action_display(),
            "what": item.what,
            "resident_id": item.resident_id or "",
            "referral_id": item.referral_id or "",
            "referral_reference": item.referral_reference or "",
            "path": item.path,
        }
        return {field: _csv_safe(row[field]) for field in self.list_export}

    def get_heading(self, queryset, field):
        return self.export_headings[field]

    def _filtered_url(self, **params) -> str:
        return f"{reverse(self.index_url_name)}?{urlencode(params)}"

    @cached_property
    def columns(self):
        return [
            Column("at", label="When", accessor=_when),
            Column("actor_label", label="Who"),
            Column("action", label="Action", accessor=lambda entry: entry.get_action_display()),
            Column("what", label="What"),
            _FilterLinkColumn(
                "resident_id",
                label="Resident",
                accessor=lambda entry: entry.resident_id or "",
                get_url=lambda entry: self._filtered_url(resident_id=entry.resident_id) if entry.resident_id else None,
            ),
            _FilterLinkColumn(
                "referral",
                label="Referral",
                accessor=lambda entry: entry.referral_reference or entry.referral_id or "",
                get_url=lambda entry: self._filtered_url(referral=entry.referral_id) if entry.referral_id else None,
            ),
            Column("path", label="Page"),
        ]


# Changes of access --------------------------------------------------------------------------


class AccessChangesFilterSet(WagtailFilterSet):
    person = django_filters.CharFilter(
        label="Who", method="filter_person", help_text="Part of the name or username of who made or got the change."
    )
    at = django_filters.DateFromToRangeFilter(label="Date", widget=DateRangePickerWidget)

    class Meta:
        model = RoleChange
        fields = []

    def filter_person(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(changed_by_label__icontains=value) | Q(subject_label__icontains=value))


class AccessChangesView(AdministratorsOnly, ReportView):
    page_title = "Changes of access"
    header_icon = "key"
    template_name = "referrals/admin/access_changes.html"
    index_url_name = "referrals_access_changes"
    index_results_url_name = "referrals_access_changes_results"
    model = RoleChange
    filterset_class = AccessChangesFilterSet
    paginate_by = 50
    verbose_name_plural = "changes of access"
    FORMATS = ()

    def get_queryset(self):
        return RoleChange.objects.order_by("-at", "-pk")

    @cached_property
    def columns(self):
        return [
            Column("at", label="When", accessor=_when),
            Column("changed_by_label", label="Made by"),
            BooleanColumn("verified", label="With security code"),
            Column("subject_label", label="Account"),
            Column("what", label="Change"),
        ]


# Resetting a second factor ----------------------------------------------------------------------


class ResetSecondFactorView(AdministratorsOnly, WagtailAdminTemplateMixin, TemplateView):
    template_name = "referrals/admin/reset_second_factor.html"
    page_title = "Reset two-factor sign-in"
    header_icon = "key"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.account = get_object_or_404(get_user_model(), pk=kwargs["pk"])

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            account=self.account, has_device=user_has_device(self.account, confirmed=None), **kwargs
        )

    def post(self, request, *args, **kwargs):
        accounts.reset_second_factor(self.account)
        messages.success(
            request,
            f"Two-factor sign-in is reset for {self.account.get_username()}. They set up an authenticator app "
            "at their next sign-in. We have emailed the administrators.",
        )
        return redirect("wagtailusers_users:index")
