"""A new referral keyed in by staff: a professional's referral received by phone, email or letter
(or a person who rang about themselves), entered by triage staff or a link worker.

It goes into the actor's own service (``referrals.permissions.service_for_new_referral``, as a
referral made through the API does) and lands in the triage queue (status received), whoever
keys it in: triage allocates every referral, including a link worker's own.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.shortcuts import redirect, render

from referrals import services
from referrals.errors import ReferralError
from referrals.forms.new_referral import NewReferralForm
from referrals.permissions import REFERRER_ROLES, service_for_new_referral
from referrals.views.common import add_domain_error, staff_view

logger = logging.getLogger(__name__)


@staff_view(*REFERRER_ROLES)
def new_referral(request):
    actor = request.actor
    service = service_for_new_referral(actor)
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
