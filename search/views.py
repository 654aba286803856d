from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache

from search.actions import providers_for, with_actions
from search.backends import get_search_backend, search_backend_aliases
from directory.coverage import elsewhere
from search.backends.breaker import BreakerState, breaker_for
from search.forms import SearchForm
from search.maps import results_map_data
from search.selectors import search_activities

# What "drop a filter" suggests removing, in the order people are most likely to relax them.
_RELAXABLE = [("day", "any day"), ("time", "any time of day"), ("access", "any access needs"), ("free", "paid activities too"),
              ("delivery", "any way of taking part"), ("join", "any way of joining"), ("capacity", "full activities too"),
              ("age", "any age"), ("needs", "any need"), ("q", "any words")]


def find(request, *, for_link_workers: bool = False, action_providers=()):
    """The residents' search: postcode, need and filters, a list with distances (and, in the link
    workers' search, the actions ``action_providers`` offer on each result)."""
    form = SearchForm(request.GET or None)
    results = None
    suggestions = []
    if form.is_bound:
        query, _errors = form.query_or_errors()
        if query is not None:
            results = search_activities(query=query)
            if not results.total:
                suggestions = _suggestions(request, form)
        _location_errors_to_postcode(form)
        _outside_area_is_not_an_error(form)
    groups = _filter_groups(form, results)
    # The search travels with each result's link, so the activity's page can say how far away
    # it is and link back here (search.results_links); the link workers' search does not.
    results_query = form.results_parameters() if results is not None else ""
    applied = _filters_applied(form) if results is not None else 0
    show_filters = request.GET.get("show") == "filters"
    filters_href = "#filters"
    if results is not None and not (show_filters or applied or form.cleaned_data.get("needs")):
        # The filters are closed: open them with the page (one tap, no JavaScript needed).
        filters_href = f"?{results_query}&show=filters#filters"
    response = render(
        request,
        "search/find.html",
        {
            "form": form,
            "results": results,
            "hits": with_actions(request, results.hits if results else (), action_providers),
            "suggestions": suggestions,
            "filter_groups": groups,
            "filters_open": show_filters or any(o["checked"] for g in groups for o in g["options"]) or any(g["errors"] for g in groups),
            "summary": results_summary(form, results) if results is not None else "",
            "filters_applied": applied,
            "filters_href": filters_href,
            "results_query": "" if for_link_workers else results_query,
            "outside_area": form.outside_area,
            "elsewhere": elsewhere() if form.outside_area else (),
            "for_link_workers": for_link_workers,
            # Drawn by site/static/js/map.js; the results list is its text equivalent.
            "map_data": results_map_data(results),
            # Kept in hidden fields so that filters and sorting search near the same place.
            "searched_near_location": form.is_bound and not form.data.get("postcode") and form.location is not None,
        },
    )
    if results is not None:
        # As the API says it: for operators and the load test, who answered (the engine or the fallback).
        response["X-Search-Backend"] = results.backend
    return response


def _outside_area_is_not_an_error(form) -> None:
    """A real postcode outside the areas Signpost covers is not the person's mistake: the page
    says so, and where to look instead, rather than an error. (The API keeps it as an error.)"""
    if not form.outside_area or "postcode" not in form.errors:
        return
    kept = form.error_class([e for e in form.errors["postcode"].as_data() if e.code != "outside_area"])
    if kept:
        form.errors["postcode"] = kept
    else:
        del form.errors["postcode"]


# Filters besides the need (which the summary names): each counts once however many boxes are ticked.
_COUNTED_FILTERS = ("day", "time", "free", "delivery", "access", "age", "join", "capacity")


def _filters_applied(form) -> int:
    return sum(1 for name in _COUNTED_FILTERS if form.cleaned_data.get(name) not in (None, False, "", []))


def _either(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def results_summary(form, results) -> str:
    """What was searched and what it found, in one sentence:
    "13 activities found for Loneliness and isolation within 3 miles of BH15 1AB"."""
    query = results.query
    count = results.total
    words = [ngettext("%(count)s activity found", "%(count)s activities found", count) % {"count": count or "No"}]
    names = dict(form.need_choices)
    slugs = {pk: value for value, pk in form._term_ids.items() if value in names}
    needs = sorted(names[slugs[pk]] for pk in query.needs if pk in slugs)
    if needs:
        words.append(f"for {_either(needs)}")
    if query.text:
        words.append(f"matching “{query.text}”")
    if query.location is not None:
        miles = ngettext("%(miles)s mile", "%(miles)s miles", 1 if query.radius_miles == 1 else 2) % {"miles": f"{query.radius_miles:g}"}
        words.append(f"within {miles} of {query.location.postcode or 'your location'}")
    return " ".join(words)


def _location_errors_to_postcode(form) -> None:
    """On the page, latitude and longitude are hidden fields that "Use my location" fills: an
    error about them is shown at the postcode field, the way to search without them."""
    for name in ("latitude", "longitude"):
        for error in form.errors.pop(name, []):
            message = f"We could not search near your location. {error}"
            if message not in form.errors.get("postcode", []):
                form.errors.setdefault("postcode", form.error_class()).append(message)


@login_required(login_url="wagtailadmin_login")
def find_for_link_workers(request):
    """The same search for link workers, with places per session and how each activity is joined,
    so they can choose with the person and refer. Who they are, and what they may do with a result,
    the apps that offer those actions say (``search.actions``)."""
    providers = providers_for(request.user)
    if not providers:
        raise PermissionDenied("Only link workers use this search.")
    return find(request, for_link_workers=True, action_providers=providers)


# Filter checkboxes and the facet (results) each one's counts come from.
_GROUPS = [("needs", "needs"), ("day", "days"), ("time", None), ("free", "cost"), ("delivery", "delivery"),
           ("access", "accessibility"), ("join", "how_to_join"), ("capacity", None)]


def _filter_groups(form, results) -> list[dict]:
    """The filters as checkbox groups, each option with its count in the current results."""
    selected = {}
    if form.is_bound:
        for name, _ in _GROUPS:
            raw = form.data.getlist(name) + (form.data.getlist("need") if name == "needs" else [])
            selected[name] = {part.strip() for value in raw for part in value.split(",")}
    groups = []
    for name, facet in _GROUPS:
        field = form.fields[name]
        counts = {f.value: f.count for f in results.facets.get(facet, ())} if results and facet else {}
        if name == "needs":
            choices = form.need_choices
        elif name in ("free", "capacity"):
            choices = [("on", "Free only" if name == "free" else "Only activities with places left")]
            counts = {"on": counts["free"]} if name == "free" and "free" in counts else {}
        else:
            choices = [(str(value), label) for value, label in field.choices]
        options = [
            {"value": value, "label": label, "checked": value in selected.get(name, ()), "count": counts.get(value) if counts else None}
            for value, label in choices
        ]
        if name == "needs" and results is not None and results.total:
            # The vocabulary is long: offer the needs the results meet, and any already chosen.
            options = [o for o in options if o["checked"] or o["count"]]
        groups.append({"name": name, "legend": field.label, "options": options, "errors": form.errors.get(name, [])})
    return groups


def _suggestions(request, form) -> list[tuple[str, str]]:
    """Links that widen a search which found nothing: a larger radius, then one filter fewer."""
    links = []
    radius = form.cleaned_data.get("radius_miles") or 3
    if form.location is not None and radius < 25:
        wider = request.GET.copy()
        wider.pop("radius", None)
        wider["radius_miles"] = "25" if radius >= 10 else "10"
        wider.pop("page", None)
        links.append((f"Search up to {wider['radius_miles']} miles away", "?" + wider.urlencode()))
    for name, label in _RELAXABLE:
        if form.cleaned_data.get(name):
            fewer = request.GET.copy()
            for key in (name, "need" if name == "needs" else None, "page"):
                if key:
                    fewer.pop(key, None)
            links.append((f"Include {label}", "?" + fewer.urlencode()))
    return links[:3]


@never_cache
def health(request):
    """The state of search, for monitoring: 200 only when the configured engine answers.

    503 with ``"status": "degraded"`` when the engine is unreachable or unhealthy, or its
    circuit breaker is open, and the fallback (the database) is answering searches instead;
    503 with ``"status": "unavailable"`` when nothing can answer. Monitoring should treat any
    status but 200 as not healthy. While the breaker is open the engine is not probed, so
    that this check fails fast too.
    """
    default = get_search_backend()
    fallback = default.params.get("FALLBACK")
    breaker = breaker_for("default", default.params).snapshot() if fallback else None
    breaker_open = breaker is not None and breaker["state"] == BreakerState.OPEN
    backends = {}
    for alias in search_backend_aliases():
        if alias == "default" and breaker_open:
            backends[alias] = {"status": "not_checked", "why": "circuit breaker open"}
        else:
            backends[alias] = get_search_backend(alias).health()
    engine = backends["default"]
    body = {"engine": default.name}
    if breaker is not None:
        body["breaker"] = breaker
    if engine["status"] == "ok" and not breaker_open:
        return JsonResponse({"status": "ok", **body, "searches_answered_by": default.name, "backends": backends})
    if breaker_open:
        reason = (f"circuit breaker open: {default.name} failed {breaker['consecutive_failures']} times in a row; "
                  f"it is tried again in {breaker['retry_in_seconds']} s")
    elif engine["status"] == "unavailable":
        reason = f"{default.name} unreachable ({engine.get('error', 'no answer')})"
    else:
        reason = f"{default.name} unhealthy ({engine['status']})"
    if fallback and backends.get(fallback, {}).get("status") == "ok":
        answered_by = get_search_backend(fallback).name
        return JsonResponse({"status": "degraded", "reason": reason, **body, "searches_answered_by": answered_by,
                             "message": f"Searches are answered by the {answered_by}; results may be less complete.",
                             "backends": backends}, status=503)
    return JsonResponse({"status": "unavailable", "reason": reason, **body, "searches_answered_by": None,
                         "backends": backends}, status=503)
