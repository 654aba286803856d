"""The dashboard's filters: a GET form, so a report is a link that can be shared and bookmarked."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.db.models import Min, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from directory import selectors as directory
from referrals import permissions
from referrals.choices import Source
from referrals.roles import Actor
from reporting.models import ReportingArea
from reporting.scope import ReportFilter

PRESETS = [
    ("", _("Dates below")),
    ("this_quarter", _("This quarter")),
    ("last_quarter", _("Last quarter")),
    ("to_date", _("This month and the 11 before it")),
    ("last_12_months", _("Last 12 full months")),
]
# What the dashboard opens on: up to today, so this month's referrals show from the first day.
DEFAULT_PRESET = "to_date"


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def preset_period(preset: str, *, today: date) -> tuple[date, date]:
    """The period a preset names, as inclusive dates."""
    if preset == "this_quarter":
        return _quarter_start(today), today
    if preset == "last_quarter":
        end = _quarter_start(today) - timedelta(days=1)
        return _quarter_start(end), end
    if preset == "to_date":
        return _months_back(today), today
    # The last 12 full months: up to the end of last month.
    end = today.replace(day=1) - timedelta(days=1)
    return _months_back(end), end


def _months_back(end: date) -> date:
    """The first day of the month 11 months before ``end``'s month (so the period is 12 months)."""
    month = end.month - 11
    year = end.year
    if month < 1:
        month += 12
        year -= 1
    return date(year, month, 1)


def default_period(referrals: QuerySet, *, today: date) -> tuple[date, date]:
    """What the report opens on: up to today, from the month of the first referral the reader may
    report on, or the 12 months to date when the data goes back further (or there is none), so it
    never opens on months before the service had any referrals."""
    start, end = preset_period(DEFAULT_PRESET, today=today)
    first = referrals.order_by().aggregate(first=Min("received_at"))["first"]
    if first is not None:
        first_month = timezone.localtime(first).date().replace(day=1)
        if start < first_month <= end:
            start = first_month
    return start, end


class ProviderChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.title


class LinkWorkerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.get_username()


class ReportForm(forms.Form):
    preset = forms.ChoiceField(label=_("Period"), choices=PRESETS, required=False)
    start = forms.DateField(
        label=_("From"), required=False, help_text=_("For example, 2026-01-01"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        label=_("To"), required=False, help_text=_("For example, 2026-03-31"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    district = forms.CharField(
        label=_("Postcode district or area"), required=False, max_length=8,
        help_text=_("For example, BH15 (a district) or BH (an area)"),
    )
    reporting_area = forms.ModelChoiceField(
        label=_("Or a reporting area"), queryset=ReportingArea.objects.all(), required=False, empty_label=_("Any area"),
    )
    need = forms.ModelChoiceField(label=_("Need"), queryset=None, required=False, empty_label=_("Any need"))
    source = forms.ChoiceField(label=_("Source"), choices=[("", _("Any source")), *Source.choices], required=False)
    provider = ProviderChoiceField(label=_("Provider"), queryset=None, required=False, empty_label=_("Any provider"))
    link_worker = LinkWorkerChoiceField(
        label=_("Link worker"), queryset=None, required=False, empty_label=_("Any link worker"),
    )

    def __init__(self, data=None, *, actor: Actor, referrals: QuerySet, today: date | None = None):
        super().__init__(data)

        self.today = today or timezone.localdate()
        self.fields["need"].queryset = directory.top_level_need_terms()
        self.fields["provider"].queryset = permissions.report_providers_for(actor, referrals).order_by("title")
        workers = permissions.report_link_workers_for(actor)
        if workers is None:
            del self.fields["link_worker"]
        else:
            self.fields["link_worker"].queryset = workers.order_by("first_name", "last_name")
        self.default_period = default_period(referrals, today=self.today)
        self.fields["start"].initial, self.fields["end"].initial = self.default_period

    def clean_district(self):
        district = self.cleaned_data["district"].strip().upper()
        if district and not district.isalnum():
            raise forms.ValidationError(_("Enter a postcode district like BH15, or an area like BH"))
        return district

    def clean(self):
        data = super().clean()
        preset = data.get("preset")
        if preset:
            data["start"], data["end"] = preset_period(preset, today=self.today)
        else:
            default_start, default_end = self.default_period
            if "start" in data and data["start"] is None:
                data["start"] = default_start
            if "end" in data and data["end"] is None:
                data["end"] = default_end
            if data.get("start") and data.get("end") and data["start"] > data["end"]:
                self.add_error("end", _("The end date must be the same as or after the start date"))
        return data

    def report_filter(self) -> ReportFilter:
        data = self.cleaned_data
        area = f"area:{data['reporting_area'].pk}" if data.get("reporting_area") else data.get("district", "")
        return ReportFilter(
            start=data["start"], end=data["end"], area=area,
            need_id=data["need"].pk if data.get("need") else None,
            source=data.get("source", ""),
            provider_id=data["provider"].pk if data.get("provider") else None,
            link_worker_id=data["link_worker"].pk if data.get("link_worker") else None,
        )

    def describe(self) -> str:
        """The period and filters in words, for the page and the top of every export."""
        data = self.cleaned_data
        parts = [f"{data['start']:%-d %B %Y} to {data['end']:%-d %B %Y}"]
        for name in ("reporting_area", "district", "need", "source", "provider", "link_worker"):
            value = data.get(name)
            if value:
                field = self.fields[name]
                if name == "source":
                    value = dict(Source.choices)[value]
                elif hasattr(field, "label_from_instance"):
                    value = field.label_from_instance(value)
                parts.append(f"{field.label}: {value}")
        return "; ".join(str(part) for part in parts)

