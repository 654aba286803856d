"""The link worker's search for one person: "Find activities for Ada", from her referral page.

The page is referrals' own and calls search (its form and ``search.selectors.search_activities``), so
search never names referrals. It starts from what Signpost knows (``referrals.person_search``): her postcode,
her referral's needs, the venue features her accessibility needs ask for, and her language, all shown in
the form and changeable. A panel keeps her in view (name, needs, what matters, the referral's reference),
and each result has one action, "Connect Ada to this activity": a POST to the referral's own
``connect_activity`` (the service, its permission checks and its audit as on the referral page), back to
her referral page, where sending it to the provider is the step shown open. With ``?change=<number>`` the
action is "Change to this activity" for that connection, not yet sent (``change_activity``).

The search's language is not one of search's filters: the activities' languages are read from the
directory for the results found (at most ``MAX_PAGE_SIZE``), and those not run in it are left out.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from common.bounds import parse_id
from directory.models import ActivityPage, NeedTerm
from referrals import permissions
from referrals.choices import StaffRole
from referrals.forms.caseload import live_activities
from referrals.person_search import called, person_filters, runs_in, what_matters
from referrals.views.casework_sections import connection_step_prefix
from referrals.views.common import staff_view, visible_referral
from referrals.workflow import CONNECTING, CONNECTION_OPEN
from search.forms import SearchForm
from search.selectors import search_activities
from search.types import MAX_PAGE_SIZE, Accessibility

TEAM = (StaffRole.LINK_WORKER, StaffRole.TRIAGE)
# Sent with the form: the link worker has set the filters, so the person's are not put back.
SET = "set"


@staff_view(*TEAM)
def find_for_person(request, pk: int):
    actor = request.actor
    referral = visible_referral(
        request, pk, what="find activities for the person",
        queryset=permissions.team_referrals_visible_to(actor).select_related("service", "link_worker"),
    )
    if not (referral.status in CONNECTING and permissions.can(actor, referral, "choose_activity")):
        raise PermissionDenied("Only the person's link worker connects them to activities, once in support.")
    resident = referral.resident
    person = person_filters(referral)
    changing = _connection_to_change(request, referral, actor)

    data = request.GET.copy() if request.GET.get("filters") == SET else _with(person.as_query(), request.GET)
    language = (data.get("language") or "").strip()[:100]
    data["page_size"] = str(MAX_PAGE_SIZE)
    data.pop("page", None)
    form = SearchForm(data, require_location=False)
    results, hits, total = None, [], 0
    query, _errors = form.query_or_errors()
    if query is not None:
        results = search_activities(query=query)
        hits, total = _in_language(results, language)
    needs = list(referral.needs.order_by("name"))
    chosen_needs = set(data.getlist("needs"))
    need_options = [{"value": n.slug, "label": n.name, "checked": n.slug in chosen_needs} for n in needs]
    known = {n.slug for n in needs}
    need_options += [{"value": n.slug, "label": n.name, "checked": True}
                     for n in NeedTerm.objects.filter(slug__in=chosen_needs - known).order_by("name")]
    chosen_access = set(data.getlist("access"))
    open_activities = {c.activity_id for c in referral.connections.all() if c.status in CONNECTION_OPEN}
    referable = set(live_activities().filter(pk__in=[hit.activity_id for hit, _languages in hits]).values_list("pk", flat=True))
    name = called(resident)
    return render(request, "referrals/find_for_person/find.html", {
        "referral": referral,
        "resident": resident,
        "name": name,
        "needs": needs,
        "what_matters": what_matters(referral),
        "person": person,
        "form": form,
        "language": language,
        "need_options": need_options,
        "access_options": [{"value": a.value, "label": a.label, "checked": a.value in chosen_access}
                           for a in Accessibility],
        "results": results,
        "hits": [{"hit": hit, "languages": languages, "referable": hit.activity_id in referable,
                  "connected": hit.activity_id in open_activities} for hit, languages in hits],
        "total": total,
        "more": results is not None and results.total > len(results.hits),
        "summary": _summary(form, results, total, language) if results is not None else "",
        "changing": changing,
        "change_prefix": connection_step_prefix(changing, "change_activity") if changing else "",
        "connect_url": reverse("referrals:connect_activity", kwargs={"pk": referral.pk}),
    })


def _with(defaults: QueryDict, given: QueryDict) -> QueryDict:
    """The person's filters, with anything the link didn't set kept from the request (``change``)."""
    data = defaults.copy()
    for key in given:
        if key not in data:
            data.setlist(key, given.getlist(key))
    return data


def _connection_to_change(request, referral, actor):
    number = parse_id(request.GET.get("change"))
    if number is None:
        return None
    connection = referral.connections.select_related("activity").filter(number=number).first()
    if connection is None or not permissions.can(actor, referral, "change_activity", connection):
        return None
    return connection


def _in_language(results, language: str):
    """The results run in ``language`` (all of them if none is given), each with its languages."""
    ids = [hit.activity_id for hit in results.hits]
    languages = dict(ActivityPage.objects.filter(pk__in=ids).values_list("pk", "languages"))
    kept = [(hit, languages.get(hit.activity_id, "")) for hit in results.hits
            if runs_in(languages.get(hit.activity_id, ""), language)]
    total = len(kept) if language else results.total
    return kept, total


def _summary(form, results, total: int, language: str) -> str:
    """What was searched and what it found: "2 activities for Loneliness and isolation within 3 miles of
    BH15 1AB, run in English"."""
    query = results.query
    words = [ngettext("%(count)s activity", "%(count)s activities", total) % {"count": total or _("No")}]
    names = dict(form.need_choices)
    chosen = [names[slug] for slug in form.cleaned_data.get("needs", ()) if slug in names]
    if chosen:
        words.append(_("for %(needs)s") % {"needs": _(" or ").join(sorted(chosen))})
    if query.text:
        words.append(_("matching “%(text)s”") % {"text": query.text})
    if query.location is not None:
        miles = ngettext("%(miles)s mile", "%(miles)s miles", 1 if query.radius_miles == 1 else 2) % {
            "miles": f"{query.radius_miles:g}"}
        words.append(_("within %(miles)s of %(postcode)s") % {
            "miles": miles, "postcode": query.location.postcode or _("the location")})
    if language:
        words[-1] += ","
        words.append(_("run in %(language)s") % {"language": language})
    return " ".join(words)
