"""The public self-referral: a resident refers themselves, without an account, into the single
point of access for where they live. A GET starts the steps (``self_referral_steps``); the
whole form posted at once is still taken here.

The postcode picks the service. A robot that fills the honeypot is told it succeeded and
nothing is saved; an address that sends too many referrals in an hour is asked to phone
instead. After a referral is made the page redirects (so a refresh cannot send it twice) to
a confirmation that reads the reference from the session, never from the URL.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.cache import never_cache

from common.bounds import parse_id
from common.requests import client_ip
from directory.selectors import public_activities
from referrals import services
from referrals.choices import ConsentMethod, ContactRoute, Source
from referrals.errors import ReferralError
from referrals.forms.self_referral import SelfReferralForm
from referrals.intake import (
    count_attempt,
    honeypot_filled,
    prefill_from,
    rate_limited,
    self_referrals_per_hour,
    service_for_postcode,
)
from referrals.models import SocialPrescribingService
from referrals.models.referrals import new_reference
from referrals.roles import Actor
from referrals.views.common import add_domain_error

logger = logging.getLogger(__name__)

# Who made a self-referral, in the event log and the audit trail: the public form itself.
SELF_REFERRAL_ACTOR = Actor(label="Self-referral (online form)")
SESSION_KEY = "signpost_self_referral"
RATE_SCOPE = "self_referral"
# The answers of a self-referral in steps (``self_referral_steps``), until it is sent.
ANSWERS_KEY = "signpost_self_referral_answers"
FIRST_STEP = "about-you"


def interested_activity(value):
    """The public activity ``value`` names (from ``?activity=`` or the hidden field), or None."""
    pk = parse_id(value)
    return None if pk is None else public_activities().filter(pk=pk).first()


@never_cache
def self_referral(request):
    """GET: a new self-referral in steps, filled in with what the link knows. POST: the whole form on one
    page, as the form before the steps sent it (kept for anything that still posts it at once)."""
    if request.method != "POST":
        return start(request)
    activity = interested_activity(request.POST.get("activity"))
    ip = client_ip(request)
    if rate_limited(scope=RATE_SCOPE, ip=ip, limit=self_referrals_per_hour()):
        logger.warning("Self-referral refused: too many from one address this hour")
        return too_many(request, request.POST.get("postcode", ""))
    if honeypot_filled(request.POST):
        # Pretend it worked, so the robot has nothing to learn; count it towards the limit.
        count_attempt(scope=RATE_SCOPE, ip=ip)
        logger.info("Self-referral honeypot filled: nothing saved")
        return sent(request, reference=new_reference(), route=request.POST.get("preferred_contact"), service=None)
    form = SelfReferralForm(request.POST, activity=activity)
    if form.is_valid():
        try:
            referral = refer(form)
        except ReferralError as error:
            add_domain_error(form, error)
        else:
            count_attempt(scope=RATE_SCOPE, ip=ip)
            # The route they chose, not the record's: a known NHS number joins a record, and the
            # page must not tell whoever typed it anything about that record.
            return sent(
                request, reference=referral.reference, route=form.cleaned_data["preferred_contact"],
                service=referral.service,
            )
    return render(request, "referrals/self_referral/form.html", {"form": form, "activity": activity})


def start(request):
    """A new self-referral, filled in with what the link knows (``intake.prefill_from`` keeps only what
    validates), then its first step. Whatever an earlier, unsent one held is forgotten."""
    known = prefill_from(request.GET)
    data = {}
    if "postcode" in known:
        data["postcode"] = [known["postcode"]]
    if "needs" in known:
        data["needs"] = known["needs"]
    request.session[ANSWERS_KEY] = {"activity": known.get("activity"), "data": data, "done": []}
    return redirect("referrals:self_referral_step", step=FIRST_STEP)


def refer(form: SelfReferralForm):
    """The referral, through the one service every way in uses; logged without anything personal."""
    data = form.cleaned_data
    referral = services.referral_create_for_new_resident(
        actor=SELF_REFERRAL_ACTOR,
        service=form.service,
        resident=form.resident_fields(),
        source=Source.SELF,
        needs=data["needs"],
        what_matters=form.what_matters_text(),
        consents=form.consents(),
        consent_method=ConsentMethod.ONLINE_FORM,
    )
    logger.info("Self-referral %s received into service %s", referral.reference, referral.service_id)
    return referral


def sent(request, *, reference: str, route: str | None, service: SocialPrescribingService | None):
    # Only the reference, the route's name and the service: nothing personal in the session.
    request.session[SESSION_KEY] = {
        "reference": reference,
        "route": route if route in ContactRoute.values else "",
        "service_id": service.pk if service is not None else None,
    }
    return redirect("referrals:self_referral_sent")


@never_cache
def self_referral_sent(request):
    sent_referral = request.session.get(SESSION_KEY)
    if not sent_referral:
        return redirect("referrals:self_referral")
    service = SocialPrescribingService.objects.filter(pk=sent_referral.get("service_id")).first()
    route = sent_referral.get("route")
    return render(
        request,
        "referrals/self_referral/sent.html",
        {
            "reference": sent_referral["reference"],
            "route": ContactRoute(route).label.lower() if route else "",
            "service": service,
            "contact_within_days": settings.SIGNPOST_REFERRALS.get("CONTACT_WITHIN_WORKING_DAYS", 2),
        },
    )


def too_many(request, postcode: str):
    service = service_for_postcode(postcode)
    services_to_call = (
        [service] if service is not None and service.phone
        else list(SocialPrescribingService.objects.exclude(phone=""))
    )
    return render(
        request, "referrals/self_referral/too_many.html", {"services": services_to_call}, status=429,
    )


urlpatterns = [
    path("", self_referral, name="self_referral"),
    path("sent/", self_referral_sent, name="self_referral_sent"),
]
