"""Same person: triage compares a referral's record with one that may be the same person, and joins them.

Reached from the triage page's possible matches (``referrals.people.triage_context``). The comparison
shows both records' personal data, so each look is audited on both; joining is
``referrals.people.resident_merge`` (triage of the service only). The earlier record is kept: the
person's history starts there.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from referrals import people, permissions
from referrals.audit import audit_view
from referrals.choices import StaffRole
from referrals.errors import ReferralError
from referrals.forms.caseload import NoteForm
from referrals.views.common import add_domain_error, staff_view, visible_referral


@staff_view(StaffRole.TRIAGE)
def same_person(request, pk: int, match_id: int):
    """GET: the two records side by side. POST: join them (the later into the earlier)."""
    actor = request.actor
    referral = visible_referral(
        request, pk, what="same person: records compared",
        queryset=permissions.team_referrals_visible_to(actor).select_related("service", "resident"),
    )
    permissions.check_may_merge_residents(actor, referral.resident)
    match = next((other for other in people.possible_matches(referral.resident) if other.pk == match_id), None)
    if match is None:
        raise Http404("That record is not a possible match for this person.")
    audit_view(actor, what="same person: records compared", resident=match, request=request)
    keep, duplicate = people.kept_and_duplicate(referral.resident, match)

    form = NoteForm(request.POST if request.method == "POST" else None, prefix="merge")
    if form.is_valid():
        try:
            people.resident_merge(keep=keep, duplicate=duplicate, actor=actor, note=form.cleaned_data["note"])
        except ReferralError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("The records are joined: %(name)s's referrals are now on one record.") % {
                "name": keep.full_name})
            return redirect("referrals:triage_referral", pk=referral.pk)

    records = [
        {"resident": resident, "kept": resident.pk == keep.pk,
         "referrals": list(resident.referrals.filter(service_id=referral.service_id).order_by("-received_at", "-pk"))}
        for resident in (keep, duplicate)
    ]
    return render(
        request,
        "referrals/people/same_person.html",
        {"referral": referral, "keep": keep, "duplicate": duplicate, "records": records, "form": form},
    )


urlpatterns = [
    path("<id:pk>/same-person/<id:match_id>/", same_person, name="same_person"),
]
