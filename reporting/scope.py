"""What a report covers: its period and filters (``ReportFilter``), applied to the referrals
the reader may report on.

Which referrals those are, and whether small counts are hidden from the reader, is the
referrals policy's (``referrals.permissions.reportable_referrals``,
``small_counts_hidden_from``); the suppression itself is ``reporting.suppression``.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from directory import selectors as directory
from referrals import permissions
from reporting.models import ReportingArea


def reader_scope(actor) -> dict:
    """What ``actor``'s reports count (the referrals policy's): their referrals and connections, the
    link workers whose caseload they see, and whether they see the service's casework."""
    # A provider's report counts only its own connections, and leaves out the service's casework.
    casework = not permissions.reports_as_provider_only(actor)
    return {"referrals": permissions.reportable_referrals(actor),
            "connections": permissions.reportable_connections(actor),
            "link_workers": permissions.report_link_workers_for(actor) if casework else None,
            "casework": casework}


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
    # Count what had happened by the end of this day rather than the period's own end: a month of
    # a longer period (``reporting.stored``) counts up to the end of the whole period.
    counted_to: date | None = None
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def starts_at(self) -> datetime:
        return local_midnight(self.start)

    @property
    def ends_before(self) -> datetime:
        """The first moment after the period: figures are as they stood at the end of the period."""
        return local_midnight(self.end + timedelta(days=1))

    @property
    def counted_before(self) -> datetime:
        """The first moment whose events the figures no longer count."""
        return local_midnight((self.counted_to or self.end) + timedelta(days=1))

    def as_query(self) -> dict:
        """The period and filters as plain values (for a task), ``ReportFilter(**...)`` again."""
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "area": self.area,
                "need_id": self.need_id, "source": self.source, "provider_id": self.provider_id,
                "link_worker_id": self.link_worker_id}

    @classmethod
    def from_query(cls, values: dict) -> "ReportFilter":
        return cls(**{**values, "start": date.fromisoformat(values["start"]), "end": date.fromisoformat(values["end"])})

    def area_prefixes(self) -> list[str]:
        if not self.area:
            return []
        if self.area.startswith("area:"):
            area = ReportingArea.objects.filter(pk=self.area.removeprefix("area:")).first()
            return area.prefixes if area else ["\0no such area"]
        return [self.area.strip().upper()]

    def apply(self, referrals: QuerySet) -> QuerySet:
        """The cohort: referrals received in the period that match the filters."""
        return self._narrow(referrals.filter(received_at__gte=self.starts_at, received_at__lt=self.ends_before))

    def apply_discharged(self, referrals: QuerySet) -> QuerySet:
        """The referrals discharged in the period that match the filters (the casework figures' cohort)."""
        return self._narrow(referrals.filter(discharged_at__gte=self.starts_at, discharged_at__lt=self.ends_before))

    def counted_connections(self, connections: QuerySet) -> QuerySet:
        """The connections the figures count: with the provider filter, only those sent to that provider."""
        return connections.filter(provider_id=self.provider_id) if self.provider_id else connections

    def _narrow(self, referrals: QuerySet) -> QuerySet:
        prefixes = self.area_prefixes()
        if prefixes:
            match = Q(pk__in=[])
            for prefix in prefixes:
                # "BH1" must not match "BH15 1AB": a district matches up to the space; an area
                # (letters only) matches any district in it.
                if prefix.isalpha():
                    match |= Q(resident__postcode__regex=rf"^{prefix}[0-9]")
                else:
                    # Retention cuts a person's postcode to its district ("BH15"): still in the district.
                    match |= Q(resident__postcode__istartswith=prefix + " ") | Q(resident__postcode__iexact=prefix)
            referrals = referrals.filter(match)
        if self.need_id:
            needs = directory.need_with_descendants(self.need_id)
            referrals = referrals.filter(needs__in=needs).distinct()
        if self.source:
            referrals = referrals.filter(source=self.source)
        if self.provider_id:
            # Referrals with a connection sent to the provider.
            referrals = referrals.filter(connections__provider_id=self.provider_id).distinct()
        if self.link_worker_id:
            referrals = referrals.filter(link_worker_id=self.link_worker_id)
        return referrals
