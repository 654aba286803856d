"""The commissioners' dashboard and its exports (the quarterly return and the SNOMED-coded extract).

Who sees what is decided once, by the referrals policy (``referrals.permissions``): who opens
the reports, the referrals a person may report on, and whether small counts are hidden from them. The page, its charts and the files are all
drawn from the same ``report_tables``, so they cannot disagree.
"""

from __future__ import annotations

from django.db import transaction
from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from directory.maps import coordinate, map_data
from referrals import permissions
from referrals.audit import audit
from referrals.choices import AuditAction
from referrals.views.common import staff_view
from reporting import charts, stored, tasks
from reporting.exports import (
    SECTIONS,
    Suppressor,
    definitions,
    gaps_as_shown,
    heading_rows,
    referral_extract,
    report_tables,
    rows_csv,
    rows_xlsx,
    sections_for,
    tables_csv,
    tables_xlsx,
)
from reporting.figures import CASELOAD_GUIDE
from reporting.forms import ReportForm
from reporting.headline import headline
from reporting.scope import reader_scope
from reporting.suppression import suppression_threshold
from reporting.together import run_together

EXTRACT = "extract"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _report(actor, form: ReportForm, *, as_at_allowed: bool = False):
    """The reader's figures and gaps for the form's period. With ``as_at_allowed`` (the page, not a
    file), a period to date whose months the day's work made the store forget may be the figures
    as at a recent moment (``stored.report``); the last item returned is that moment, or None."""
    scope = reader_scope(actor)
    referrals, filters = scope["referrals"], form.report_filter()
    asked = []  # the figures and the gaps may each ask for their months to be stored
    report, gaps = run_together(
        lambda: stored.report(**scope, filters=filters, months_later=asked.append, as_at_allowed=as_at_allowed),
        lambda: stored.gaps(referrals=referrals, filters=filters, months_later=asked.append,
                            as_at_allowed=as_at_allowed),
    )
    if asked:
        transaction.on_commit(lambda: tasks.store_report_months.enqueue(
            actor.user_id, filters.as_query(), timezone.localdate().isoformat()))
    suppress = Suppressor(on=permissions.small_counts_hidden_from(actor), threshold=suppression_threshold())
    gaps = gaps_as_shown(report, gaps, suppress)
    return referrals, filters, report, gaps, suppress, min((moment for moment in asked if moment), default=None)


@staff_view(*permissions.REPORT_ROLES)
def dashboard(request):
    actor = request.actor
    form = ReportForm(request.GET, actor=actor, referrals=permissions.reportable_referrals(actor))
    context = {"form": form}
    if form.is_valid():
        _referrals, _filters, report, gaps, suppress, as_at = _report(actor, form, as_at_allowed=True)
        tables = report_tables(report, gaps, suppress=suppress)
        figures = headline(report, suppress)
        query = request.GET.copy()
        query.pop("section", None)
        context.update(
            report=report,
            as_at=as_at,
            tables=tables,
            sections=_sections(report, tables, _charts(tables, report, gaps, suppress)),
            suppressed=suppress.on,
            threshold=suppress.threshold,
            described=form.describe(),
            query=query.urlencode(),
            summary=_summary(tables),
            target_percent=round(report.attendance_target * 100),
            headline=figures,
            # From the headline: a small count of a large base can still be below the target.
            meets_target={"met": True, "not met": False}.get(figures[0].status),
            wider=_wider_period(request, form),
            gap_map=_gap_map_data(gaps, tables["gaps"]),
            attendance_ways=_attendance_ways(tables),
            gap_count=sum(1 for row in gaps if row.is_gap),
        )
    return render(request, "reporting/dashboard.html", context)


# What a table says when it has no rows.
EMPTY = {
    "by_need": _lazy("No needs were recorded on these referrals."),
    "wellbeing_by_need": _lazy("No one in this period has answers at both the first conversation and review."),
    "gaps": _lazy("No referrals with a need and a postcode in this period."),
    "caseload": _lazy("No link workers to show."),
}


def _sections(report, tables, drawn) -> list[dict]:
    """Each section the reader may see, in order: its heading, its figures defined in words, its chart and table."""
    words = definitions()
    return [
        {"key": key, "title": title, "definition": words.get(key, ""), "chart": drawn.get(key),
         "shown": _shown(tables[key]), "empty": EMPTY.get(key, "")}
        for key, title in sections_for(report).items()
    ]


def _percent(value) -> str:
    return charts.cell_text(value) + ("%" if isinstance(value, float) else "")


def _summary(tables) -> dict:
    referred, self_referrals = tables["by_source"].rows[-1][1], tables["by_source"].rows[2][1]
    summary = {
        "referred": charts.cell_text(referred),
        "self_referrals": charts.cell_text(self_referrals),
        "attendance": _percent(tables["funnel"].rows[-1][2]),
    }
    if "caseload" in tables:
        summary["discharged"] = charts.cell_text(tables["care_plans"].rows[0][1])
        service = tables["caseload"].rows[-1] if tables["caseload"].rows else None
        summary["caseload"] = charts.cell_text(service[4]) if service else "–"
    return summary


def _attendance_ways(tables) -> dict:
    """The three attendance shares in words, for the sentence that says which one the headline is."""
    rows = tables["attendance"].rows
    return {"of_referred": _percent(rows[0][3]), "of_connected": _percent(rows[1][3]),
            "per_connection": _percent(rows[2][3])}


def _shown(table) -> dict:
    """A table as the page prints it: each figure in the same words as on its chart, and each
    column marked numeric (right-aligned) when it holds figures rather than words."""
    numeric = [
        index > 0 and all(_is_figure(row[index]) for row in table.rows) for index in range(len(table.columns))
    ]
    return {
        "table": table,
        "columns": list(zip(table.columns, numeric)),
        "rows": [list(zip([charts.cell_text(value) for value in row], numeric)) for row in table.rows],
    }


def _is_figure(value) -> bool:
    # Suppressed counts ("<5", "suppressed") stand in for figures.
    return value is None or isinstance(value, int | float) or (isinstance(value, str) and (
        value.startswith(("<", "under ", "based on")) or value == "suppressed"))


def _wider_period(request, form: ReportForm) -> str:
    """The same report over a year more (to the same end): where a figure rests on too few to show."""
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    query = QueryDict(mutable=True)
    query.update(request.GET)
    query.pop("preset", None)
    query["start"] = start.replace(year=start.year - 1, day=1).isoformat()
    query["end"] = end.isoformat()
    return query.urlencode()


def _gap_map_data(gaps, table) -> dict | None:
    """The gaps on Signpost's map (``directory.maps``, drawn by site/static/js/map.js on the
    same tiles as the directory's maps): one point per district, its needs and demand as shown in
    the table (suppressed alike), a gap marked in words as well as colour."""
    districts: dict[str, dict] = {}
    for row, cells in zip(gaps, table.rows, strict=True):
        if row.latitude is None or row.longitude is None:
            continue
        entry = districts.setdefault(row.district, {"lat": row.latitude, "lng": row.longitude, "gaps": [], "needs": []})
        if row.is_gap:
            entry["gaps"].append(row.need)
        entry["needs"].append(f"{row.need}: {charts.cell_text(cells[2])}")
    places = [
        {"title": district, "url": "", "lat": coordinate(entry["lat"]), "lng": coordinate(entry["lng"]),
         "distance": None, "venue": "", "gap": bool(entry["gaps"]),
         "detail": [_("Gap: %(needs)s") % {"needs": ", ".join(entry["gaps"])} if entry["gaps"] else _("No gap"),
                    *entry["needs"]]}
        for district, entry in districts.items()
    ]
    if not places:
        return None
    return map_data(label=_("Map of referrals and gaps by postcode district"), places=places)


def _charts(tables, report, gaps, suppress: Suppressor) -> dict:
    by_month = tables["by_month"]
    series_names = by_month.columns[1:-1]
    month_chart = charts.stacked_columns(
        title=_("Referrals by month, by source"),
        desc=_("Stacked columns, one for each month, split by where the referral came from. The same figures are in the table below."),
        categories=[row[0] for row in by_month.rows],
        series=[(name, [row[1 + i] for row in by_month.rows]) for i, name in enumerate(series_names)],
        totals=[row[-1] for row in by_month.rows],
    )
    source_chart = charts.horizontal_bars(
        title=_("Referrals by source"), desc=_("One bar for each source. The same figures are in the table below."),
        rows=[(row[0], row[1], charts.cell_text(row[1])) for row in tables["by_source"].rows[:-1]],
    )
    need_chart = charts.horizontal_bars(
        title=_("Referrals by need"), desc=_("One bar for each need. The same figures are in the table below."),
        rows=[(row[0], row[1], charts.cell_text(row[1])) for row in tables["by_need"].rows],
    )
    funnel_chart = charts.funnel(
        title=_("From referral to attending"),
        desc=_("One bar for each step, as a share of those referred; the dashed line is the attendance target. The same figures are in the table below."),
        steps=[(row[0], row[1], row[2]) for row in tables["funnel"].rows],
        target=report.attendance_target,
    )
    wellbeing_chart = charts.diverging_bars(
        title=_("Change in wellbeing between first conversation and review"),
        desc=_("One bar for each ONS4 measure: the mean change, on a scale of 0 to 10. For anxiety a fall is an improvement. The same figures are in the table below."),
        rows=[(row[0], row[4]) for row in tables["wellbeing"].rows],
    )
    target = report.attendance_target * 100
    drawn = {
        "by_month": month_chart,
        "by_source": source_chart,
        "by_need": need_chart,
        "funnel": funnel_chart,
        "attendance": charts.horizontal_bars(
            title=_("First-session attendance, per person and per connection"),
            desc=_("One bar for each way of counting, as a percentage; the dashed line is the attendance target, "
                   "which is counted per person, of all referred. The same figures are in the table below."),
            rows=[(label, row[3], _percent(row[3])) for label, row in zip(
                [_("People, of all referred"), _("People, of those connected"), _("Connections to activities")],
                tables["attendance"].rows, strict=True)],
            longest=100.0, guide=(target, target, _("Target %(percent)s%%") % {"percent": round(target)}),
        ),
        "connections_per_person": _bars(tables["connections_per_person"], _("People by how many connections they had"),
                                        _("One bar for each number of connections.")),
        "wellbeing": wellbeing_chart if report.wellbeing and report.wellbeing[0].people else None,
        # The gaps are on a Leaflet map (``_gap_map_data``), not a chart.
    }
    if report.casework:
        drawn |= {
            "discharge_reasons": _bars(tables["discharge_reasons"], _("People discharged, by reason"),
                                       _("One bar for each discharge reason.")),
            "weeks_to_discharge": _bars(tables["weeks_to_discharge"], _("Weeks from referral to discharge"),
                                        _("One bar for each band of weeks.")),
            "contacts_per_person": _bars(tables["contacts_per_person"], _("Contacts held per discharged person"),
                                         _("One bar for each band of contacts held.")),
            "goals": _bars(tables["goals"], _("Goals by status at discharge"), _("One bar for each goal status."),
                           skip=("With an outcome",)),
            "caseload": _caseload_chart(tables["caseload"]),
        }
    return drawn


def _bars(table, title: str, desc: str, *, skip=()):
    """A table's counts (its second column) as bars, leaving out its total (the last row)."""
    rows = [row for row in table.rows[:-1] if row[0] not in skip]
    return charts.horizontal_bars(
        title=title, desc=f"{desc} {_('The same figures are in the table below.')}",
        rows=[(row[0], row[1], charts.cell_text(row[1])) for row in rows],
    )


def _caseload_chart(table):
    """A year per full-time link worker, each worker and the service, against the guide's band."""
    low, high = CASELOAD_GUIDE
    rows = [row for row in table.rows if isinstance(row[4], int)]
    if not rows:
        return None
    return charts.horizontal_bars(
        title=_("A year's new allocations per full-time link worker"),
        desc=_("One bar for each link worker and one for the service: new allocations at this rate for a year, for "
               "a full-time worker. The shaded band is the guide, %(low)s to %(high)s; each bar's label says whether "
               "it is above, below or within it. The same figures are in the table below.") % {"low": low, "high": high},
        rows=[(row[0], row[4], f"{charts.cell_text(row[4])} ({row[5].removesuffix(' the guide').lower()})")
              for row in rows],
        guide=(low, high, _("Guide: %(low)s to %(high)s a year") % {"low": low, "high": high}),
    )


@staff_view(*permissions.REPORT_ROLES)
def export(request, file_format: str):
    """The report, one section or all (one sheet per section), or the pseudonymised extract, as CSV or XLSX."""
    actor = request.actor
    section = request.GET.get("section", "all")
    if section not in (*SECTIONS, "all", EXTRACT):
        return HttpResponse(_("There is no report section called that."), status=400, content_type="text/plain")
    form = ReportForm(request.GET, actor=actor, referrals=permissions.reportable_referrals(actor))
    if not form.is_valid():
        return HttpResponse(_("Check the dates and filters on the dashboard, then try again."), status=400,
                            content_type="text/plain")
    filters = form.report_filter()
    stamp = timezone.localdate().isoformat()
    name = f"signpost-{section.replace('_', '-')}-{filters.start}-to-{filters.end}"
    if section == EXTRACT:
        columns, rows = referral_extract(filters.apply(permissions.reportable_referrals(actor)),
                                         connections=filters.counted_connections(permissions.reportable_connections(actor)),
                                         casework=not permissions.reports_as_provider_only(actor))
        body = rows_csv(columns, rows) if file_format == "csv" else rows_xlsx("Referral extract", columns, rows)
    else:
        _referrals, _filters, report, gaps, suppress, _as_at = _report(actor, form)
        tables = report_tables(report, gaps, suppress=suppress)
        if section != "all" and section not in tables:
            return HttpResponse(_("There is no report section called that."), status=400, content_type="text/plain")
        chosen = list(tables.values()) if section == "all" else [tables[section]]
        heading = heading_rows(f"{form.describe()}. Made on {stamp}.", suppressed=suppress.on, threshold=suppress.threshold)
        body = tables_csv(chosen, heading=heading) if file_format == "csv" else tables_xlsx(chosen, heading=heading)
    audit(actor, action=AuditAction.EXPORT, what=f"report export: {section} as {file_format} ({filters.start} to {filters.end})",
          path=request.get_full_path())
    if file_format == "csv":
        # A byte-order mark so spreadsheet programs read the file as UTF-8.
        response = HttpResponse("\ufeff" + body, content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(body, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{name}.{file_format}"'
    response["Cache-Control"] = "no-store"
    return response

