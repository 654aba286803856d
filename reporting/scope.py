"""Which referrals a person's reports count, and what they may see of them.

Commissioners and triage (acting as service managers) report on their own service;
providers on the referrals sent to their organisations; administrators on everything.
Commissioners see small counts suppressed and never a person's details.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from referrals.choices import StaffRole
from referrals.models import Referral
from reporting.models import ReportingArea
from referrals.roles import Actor

REPORT_ROLES = (StaffRole.COMMISSIONER, StaffRole.TRIAGE, StaffRole.PROVIDER, StaffRole.ADMINISTRATOR)


def may_see_reports(actor: Actor) -> bool:
    return any(actor.has_role(role) for role in REPORT_ROLES)


def reportable_referrals(actor: Actor) -> QuerySet:
    referrals = Referral.objects.all()
    if actor.is_administrator:
        return referrals
    visible = Q(pk__in=[])
    if (actor.has_role(StaffRole.COMMISSIONER) or actor.has_role(StaffRole.TRIAGE)) and actor.service_ids:
        visible |= Q(service_id__in=actor.service_ids)
    if actor.has_role(StaffRole.PROVIDER) and actor.organisation_ids:
        visible |= Q(provider_id__in=actor.organisation_ids)
    return referrals.filter(visible)


def suppresses_small_counts(actor: Actor) -> bool:
    """Commissioners get counts below the threshold suppressed (re-identification risk); staff who run the service do not."""
    return not actor.is_administrator and not actor.has_role(StaffRole.TRIAGE) and not actor.has_role(StaffRole.PROVIDER)


def suppression_threshold() -> int:
    return settings.SIGNPOST_REPORTING["SUPPRESS_BELOW"]


def local_midnight(day: date) -> datetime:
    """The moment ``day`` begins in the site's time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


@dataclass(frozen=True)
class ReportFilter:
    """A period (inclusive local dates) and the optional filters of the dashboard."""

    start: date
    end: date
    # A postcode district ("BH15") or area ("BH"), or a ReportingArea's id as "area:<id>".
    area: str = ""
    need_id: int | None = None
    source: str = ""
    provider_id: int | None = None
    link_worker_id: int | None = None
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def starts_at(self) -> datetime:
        return local_midnight(self.start)

    @property
    def ends_before(self) -> datetime:
        """The first moment after the period: figures are as they stood at the end of the period."""
        return local_midnight(self.end + timedelta(days=1))

    def area_prefixes(self) -> list[str]:
        if not self.area:
            return []
        if self.area.startswith("area:"):
            area = ReportingArea.objects.filter(pk=self.area.removeprefix("area:")).first()
            return area.prefixes if area else ["\0no such area"]
        return [self.area.strip().upper()]

    def apply(self, referrals: QuerySet) -> QuerySet:
        """The cohort: referrals received in the period that match the filters."""
        referrals = referrals.filter(received_at__gte=self.starts_at, received_at__lt=self.ends_before)
        prefixes = self.area_prefixes()
        if prefixes:
            match = Q(pk__in=[])
            for prefix in prefixes:
                # "BH1" must not match "BH15 1AB": a district matches up to the space; an area
                # (letters only) matches any district in it.
                if prefix.isalpha():
                    match |= Q(resident__postcode__regex=rf"^{prefix}[0-9]")
                else:
                    match |= Q(resident__postcode__istartswith=prefix + " ")
            referrals = referrals.filter(match)
        if self.need_id:
            from directory.models import NeedTerm

            needs = NeedTerm.objects.filter(pk=self.need_id).with_descendants()
            referrals = referrals.filter(needs__in=needs).distinct()
        if self.source:
            referrals = referrals.filter(source=self.source)
        if self.provider_id:
            referrals = referrals.filter(provider_id=self.provider_id)
        if self.link_worker_id:
            referrals = referrals.filter(link_worker_id=self.link_worker_id)
        return referrals
