"""A new referral keyed in by staff: a professional's referral received by phone, email or letter
(or a person who rang about themselves), entered by triage staff or a link worker.

It goes into the actor's own service and lands in the triage queue (status received), whoever
keys it in: triage allocates every referral, including a link worker's own.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render

from referrals import services
from referrals.errors import ReferralError
from referrals.forms.new_referral import NewReferralForm
from referrals.models import SocialPrescribingService
from referrals.views.common import add_domain_error, staff_view

logger = logging.getLogger(__name__)


def own_service(actor) -> SocialPrescribingService:
    """The service the actor works for (their ``StaffMembership``); staff with none cannot refer."""
    service = SocialPrescribingService.objects.filter(pk__in=actor.service_ids).first()
    if service is None:
        raise PermissionDenied("You are not a member of a social prescribing service.")
    return service


@staff_view("triage", "link_worker")
def new_referral(request):
    actor = request.actor
    service = own_service(actor)
    if request.method == "POST":
        form = NewReferralForm(request.POST)
        if form.is_valid():
            try:
                referral = _refer(form, actor=actor, service=service)
            except ReferralError as error:
                add_domain_error(form, error)
            else:
                logger.info("Referral %s keyed in by user %s", referral.reference, actor.user_id)
                messages.success(
                    request, f"Referral {referral.reference} saved. It is in the triage queue for {service.name}."
                )
                return redirect("referrals:referral", pk=referral.pk)
    else:
        form = NewReferralForm()
    return render(request, "referrals/new_referral/form.html", {"form": form, "service": service})


def _refer(form: NewReferralForm, *, actor, service):
    data = form.cleaned_data
    return services.referral_create_for_new_resident(
        actor=actor,
        service=service,
        resident=form.resident_fields(),
        source=data["source"],
        needs=data["needs"],
        what_matters=data["what_matters"],
        notes=data["notes"],
        priority=data["priority"],
        referrer=form.referrer(),
        consents=form.consents(),
        consent_method=data["consent_method"],
        consent_given_by=data["consent_given_by"],
    )
