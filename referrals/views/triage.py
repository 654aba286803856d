"""The single point of access: the queue of new referrals, and triage's three answers to one: accept it
(a tier and a link worker), redirect it to another service, or decline it as not eligible.

Triage sees its own service's referrals only (``referrals.permissions``); every step goes through
``referrals.services`` and ``referrals.triage_outcomes``, so the page is held to the same rules as the API.
The page shows the service's eligibility check (``referrals.eligibility``) above the answers.
"""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from referrals import permissions, selectors, services, triage_outcomes
from referrals.audit import audit_list_view
from referrals.choices import NotEligibleReason, StaffRole
from referrals.eligibility import check_eligibility, eligibility_summary
from referrals.errors import ReferralError
from referrals.forms.triage import (
    NotEligibleForm,
    PersonDeclinesForm,
    ReallocateForm,
    RedirectForm,
    TriageForm,
)
from referrals.models import SocialPrescribingService
from referrals.people import triage_context
from referrals.views.common import add_domain_error, staff_view, visible_referral
from referrals.views.new_referral import new_referral
from referrals.workflow import TRANSITIONS


@staff_view(StaffRole.TRIAGE)
def triage_queue(request):
    actor = request.actor
    queue = selectors.triage_queue(actor=actor)
    open_referrals = selectors.service_open_referrals(actor=actor)
    tasks = list(selectors.open_tasks(actor=actor).filter(recipient_user__isnull=True))
    audit_list_view(
        actor, what="triage queue", request=request,
        referrals=[*queue, *open_referrals, *(task.referral for task in tasks)],
    )
    return render(
        request,
        "referrals/triage/queue.html",
        {"queue": queue, "open_referrals": open_referrals, "tasks": tasks},
    )


@staff_view(StaffRole.TRIAGE)
def triage_referral(request, pk: int):
    """One referral: the eligibility check, then triage's answers (accept with a tier and a link worker,
    redirect, decline as not eligible), or move it to another link worker once triaged."""
    actor = request.actor
    referral = visible_referral(
        request, pk, what="triage page",
        queryset=permissions.team_referrals_visible_to(actor).select_related(
            "service", "resident__practice__pcn", "redirected_to_service"),
    )
    link_workers = services.link_workers_of(referral.service)
    can_triage = permissions.can(actor, referral, "triage")
    can_reallocate = permissions.can(actor, referral, "reallocate")
    can_decline = permissions.can(actor, referral, "person_declines")
    can_redirect = permissions.can(actor, referral, "redirect")
    can_decline_not_eligible = permissions.can(actor, referral, "decline_not_eligible")
    redirect_services = SocialPrescribingService.objects.exclude(pk=referral.service_id).order_by("name")

    action = request.POST.get("action") if request.method == "POST" else None
    data = request.POST if action else None
    triage_form = TriageForm(
        data if action == "triage" else None, prefix="triage", link_workers=link_workers,
        initial={"priority": referral.priority},
    )
    reallocate_form = ReallocateForm(
        data if action == "reallocate" else None, prefix="reallocate", link_workers=link_workers,
        initial={"link_worker": referral.link_worker_id},
    )
    decline_form = PersonDeclinesForm(data if action == "person_declines" else None, prefix="decline")
    redirect_form = RedirectForm(data if action == "redirect" else None, prefix="redirect", services=redirect_services)
    if not redirect_services.exists():
        del redirect_form.fields["to_service"]
    not_eligible_form = NotEligibleForm(data if action == "decline_not_eligible" else None, prefix="not_eligible")
    failed = None

    if action is not None:
        form = {"triage": triage_form, "reallocate": reallocate_form, "person_declines": decline_form,
                "redirect": redirect_form, "decline_not_eligible": not_eligible_form}.get(action)
        if form is None:
            return HttpResponse(_("That is not something this page can do."), status=400)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if action == "triage":
                    services.referral_triage(
                        referral=referral, actor=actor, tier=data["tier"], priority=data["priority"],
                        link_worker=data["link_worker"], note=data["note"],
                    )
                    messages.success(request, _("%(reference)s is triaged and allocated to %(name)s.") % {
                        "reference": referral.reference, "name": _name(data["link_worker"])})
                    return redirect("referrals:triage_queue")
                if action == "redirect":
                    done = triage_outcomes.referral_redirect(
                        referral=referral, actor=actor, note=data["note"], to_service=data.get("to_service"),
                        to_name=data["to_name"],
                    )
                    messages.success(request, _("%(reference)s is redirected to %(name)s, and the referrer will be "
                                                "told.") % {"reference": referral.reference,
                                                            "name": done.redirected_to_name})
                    return redirect("referrals:triage_queue")
                if action == "decline_not_eligible":
                    triage_outcomes.referral_decline_not_eligible(
                        referral=referral, actor=actor, reason=data["reason"], note=data["note"]
                    )
                    messages.success(request, _("%(reference)s is declined as not eligible (%(reason)s), and the "
                                                "referrer will be told.") % {
                        "reference": referral.reference, "reason": NotEligibleReason(data["reason"]).label.lower()})
                    return redirect("referrals:triage_queue")
                if action == "reallocate":
                    services.referral_reallocate(
                        referral=referral, actor=actor, link_worker=data["link_worker"], note=data["note"]
                    )
                    messages.success(request, _("%(reference)s is now with %(name)s.") % {
                        "reference": referral.reference, "name": _name(data["link_worker"])})
                    return redirect("referrals:triage_referral", pk=referral.pk)
                services.referral_person_declines(referral=referral, actor=actor, note=data["note"])
                messages.success(request, _("Recorded that the person declined social prescribing."))
                return redirect("referrals:referral", pk=referral.pk)
            except ReferralError as error:
                add_domain_error(form, error)
        failed = form

    checks = check_eligibility(referral)
    people = triage_context(referral, actor=actor)
    return render(
        request,
        "referrals/triage/referral.html",
        {
            **people,
            "eligibility_checks": checks,
            "eligibility_summary": eligibility_summary(checks),
            "referral": referral,
            "resident": referral.resident,
            "needs": list(referral.needs.all()),
            "alerts": list(referral.alerts.open().select_related("connection__activity")),
            # How long it has waited for triage, while it waits.
            "waiting_label": (
                selectors.describe_age(selectors.working_time_between(referral.received_at))
                if referral.status in TRANSITIONS["triage"].sources else ""
            ),
            "link_worker_choices": selectors.link_worker_choices(referral=referral, link_workers=link_workers),
            "triage_form": triage_form if can_triage else None,
            "reallocate_form": reallocate_form if can_reallocate else None,
            "decline_form": decline_form if can_decline else None,
            "redirect_form": redirect_form if can_redirect else None,
            "has_redirect_services": redirect_services.exists(),
            "not_eligible_form": not_eligible_form if can_decline_not_eligible else None,
            "failed_form": failed,
        },
    )


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


urlpatterns = [
    path("", triage_queue, name="triage_queue"),
    path("new/", new_referral, name="new_referral"),
    path("<id:pk>/", triage_referral, name="triage_referral"),
]
