"""The report by GP practice and primary care network, and its exports.

For the service's own staff and its commissioners (and administrators), as the dashboard's casework
sections are: a provider's reports count only its own connections and leave out triage and
discharge, which this report is about. Period, filters, scope and suppression are the dashboard's.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from referrals import permissions
from referrals.audit import audit
from referrals.choices import AuditAction, StaffRole
from referrals.views.common import staff_view
from reporting.exports import Suppressor, heading_rows, tables_csv, tables_xlsx
from reporting.forms import ReportForm
from reporting.practices import (
    build_practice_report,
    covered_networks,
    definitions,
    network_tables,
    practice_tables,
    shown,
)
from reporting.suppression import suppression_threshold
from reporting.views import XLSX, _shown

# Commissioners and the triage team (service managers); administrators hold every role.
PRACTICE_REPORT_ROLES = (StaffRole.COMMISSIONER, StaffRole.TRIAGE)


def _practice_report(actor, form: ReportForm):
    report = build_practice_report(
        referrals=permissions.reportable_referrals(actor), filters=form.report_filter(),
        connections=permissions.reportable_connections(actor),
        covered_pcns=covered_networks(service_ids=actor.service_ids, everyone=actor.is_administrator),
    )
    suppress = Suppressor(on=permissions.small_counts_hidden_from(actor), threshold=suppression_threshold())
    return report, suppress


@staff_view(*PRACTICE_REPORT_ROLES)
def practices(request):
    actor = request.actor
    form = ReportForm(request.GET, actor=actor, referrals=permissions.reportable_referrals(actor))
    context = {"form": form}
    if form.is_valid():
        report, suppress = _practice_report(actor, form)
        cells = shown(report, suppress)
        tables = practice_tables(report, suppress, cells)
        query = request.GET.copy()
        context.update(
            report=report,
            pcn_referrals=_shown(tables["pcn_referrals"]),
            pcn_discharges=_shown(tables["pcn_discharges"]),
            networks=[
                {"network": network, "practices": len(network.units), "referrals": _shown(referrals),
                 "discharges": _shown(discharges)}
                for network, referrals, discharges in network_tables(report, suppress, cells)
            ],
            definitions=definitions(),
            suppressed=suppress.on,
            threshold=suppress.threshold,
            described=form.describe(),
            query=query.urlencode(),
        )
    return render(request, "reporting/practices.html", context)


@staff_view(*PRACTICE_REPORT_ROLES)
def practices_export(request, file_format: str):
    """The four tables (by network and by practice; referrals and discharges) as CSV, or XLSX with a sheet each."""
    actor = request.actor
    form = ReportForm(request.GET, actor=actor, referrals=permissions.reportable_referrals(actor))
    if not form.is_valid():
        return HttpResponse(_("Check the dates and filters on the report, then try again."), status=400,
                            content_type="text/plain")
    filters = form.report_filter()
    report, suppress = _practice_report(actor, form)
    tables = list(practice_tables(report, suppress).values())
    stamp = timezone.localdate().isoformat()
    heading = heading_rows(f"By GP practice and primary care network: {form.describe()}. Made on {stamp}.",
                           suppressed=suppress.on, threshold=suppress.threshold)
    body = tables_csv(tables, heading=heading) if file_format == "csv" else tables_xlsx(tables, heading=heading)
    audit(actor, action=AuditAction.EXPORT,
          what=f"report export: by practice as {file_format} ({filters.start} to {filters.end})",
          path=request.get_full_path())
    if file_format == "csv":
        # A byte-order mark so spreadsheet programs read the file as UTF-8.
        response = HttpResponse("\ufeff" + body, content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(body, content_type=XLSX)
    name = f"signpost-by-practice-{filters.start}-to-{filters.end}"
    response["Content-Disposition"] = f'attachment; filename="{name}.{file_format}"'
    response["Cache-Control"] = "no-store"
    return response
