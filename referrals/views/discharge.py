"""Discharge from the referral page: the reason and a note, then the discharge summary to check, then
"Confirm discharge".

The preview shows the summary exactly as it would be sent (``services.referral_discharge_preview``) and
carries its fingerprint in a hidden field; confirming hands the fingerprint back
(``services.referral_discharge``), so if anything was recorded in between (a contact, an outcome, a
provider's answer) the summary is shown again, as it is now, to be checked before it is final. "Could not
be contacted" (from the Contacts section, ``referrals.views.casework``) comes through the same preview.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from referrals import gp_messages, services
from referrals.choices import DischargeReason, StaffRole
from referrals.errors import ReferralError
from referrals.forms.caseload import DischargeConfirmForm, DischargeForm
from referrals.views.caseload import _referral, _render_referral
from referrals.views.casework_sections import summary_for_people
from referrals.views.common import add_domain_error, refusal_message, staff_view

TEAM = (StaffRole.LINK_WORKER, StaffRole.TRIAGE)


def render_preview(request, referral, *, summary: dict, reason: str, note: str, changed: bool = False):
    """The discharge summary to check, with the form that confirms it (reason, note and fingerprint hidden)."""
    form = DischargeConfirmForm(prefix="confirm", initial={
        "reason": reason, "note": note, "fingerprint": summary["fingerprint"]})
    return render(request, "referrals/referral/discharge_preview.html", {
        "referral": referral,
        "resident": referral.resident,
        "summary": summary_for_people(summary),
        "reason_text": DischargeReason(reason).label,
        "form": form,
        "changed": changed,
        "gp_route": gp_messages.plan_route(referral),
    })


@require_POST
@staff_view(*TEAM)
def discharge_preview(request, pk: int):
    referral = _referral(request, pk)
    form = DischargeForm(request.POST, prefix="discharge")
    if form.is_valid():
        reason, note = form.cleaned_data["reason"], form.cleaned_data["note"]
        try:
            summary = services.referral_discharge_preview(referral=referral, actor=request.actor, reason=reason,
                                                          note=note)
        except ReferralError as error:
            add_domain_error(form, error)
        else:
            return render_preview(request, referral, summary=summary, reason=reason, note=note)
    return _render_referral(request, referral, failed=("discharge", form))


@require_POST
@staff_view(*TEAM)
def discharge_confirm(request, pk: int):
    referral = _referral(request, pk)
    form = DischargeConfirmForm(request.POST, prefix="confirm")
    if not form.is_valid():
        return _refused(request, referral, _("Check the discharge summary before confirming."), form)
    reason, note, fingerprint = (form.cleaned_data[name] for name in ("reason", "note", "fingerprint"))
    try:
        services.referral_discharge(referral=referral, actor=request.actor, reason=reason, note=note,
                                    fingerprint=fingerprint)
    except ReferralError as error:
        if error.field != "fingerprint":
            return _refused(request, referral, refusal_message(error), form)
        # Something was recorded since the summary was checked: show it again, as it is now.
        try:
            summary = services.referral_discharge_preview(referral=referral, actor=request.actor, reason=reason,
                                                          note=note)
        except ReferralError as again:
            return _refused(request, referral, refusal_message(again), form)
        return render_preview(request, referral, summary=summary, reason=reason, note=note, changed=True)
    messages.success(request, _("%(name)s is discharged. The discharge summary is final.") % {
        "name": referral.resident.full_name})
    return redirect(reverse("referrals:referral", kwargs={"pk": referral.pk}) + "#discharge")


def _refused(request, referral, message: str, confirm_form):
    """Back to the referral page with the discharge form, its reason and note kept, and why it was refused."""
    data = {"discharge-reason": confirm_form.data.get("confirm-reason", ""),
            "discharge-note": confirm_form.data.get("confirm-note", "")}
    form = DischargeForm(data, prefix="discharge")
    if form.is_valid():  # otherwise the reason's own error says what is missing
        form.add_error("reason", message)
    return _render_referral(request, referral, failed=("discharge", form))


urlpatterns = [
    path("<id:pk>/discharge/", discharge_preview, name="discharge_preview"),
    path("<id:pk>/discharge/confirm/", discharge_confirm, name="discharge_confirm"),
]
