"""Capturing outcomes: the link worker's ONS4 form, and the person's own page reached by a link.

The person's page is public and reached only through a signed, expiring link
(``referrals.outcomes.resident_link``): it shows nothing about them but their first name,
takes one set of answers per stage, and says plainly when a link is out of date or broken.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from referrals import outcomes, permissions
from referrals.choices import StaffRole
from referrals.errors import ReferralError
from referrals.forms.outcomes import FeedbackForm, SendLinkForm, WellbeingAnswersForm, WellbeingRecordForm
from referrals.models import WellbeingScore, WellbeingStage
from referrals.views.common import add_domain_error, refuses_with_403, staff_view, visible_referral

ONS4 = outcomes.ONS4_FIELDS


# The link worker's form --------------------------------------------------------------------


@staff_view(StaffRole.LINK_WORKER)
def record_wellbeing(request, pk):
    actor = request.actor
    referral = visible_referral(
        request, pk, what="wellbeing answers", queryset=permissions.team_referrals_visible_to(actor).select_related("resident")
    )
    form = WellbeingRecordForm(prefix="ons4")
    link_form = SendLinkForm(prefix="link")
    link = None
    if request.method == "POST" and "send_link" in request.POST:
        link_form = SendLinkForm(request.POST, prefix="link")
        if link_form.is_valid():
            purpose = link_form.cleaned_data["purpose"]
            url = outcomes.outcome_link_send(referral=referral, actor=actor, purpose=purpose)
            # Shown as well, for a person who asks for it to be read out or sent another way.
            link = {"url": url, "purpose": dict(link_form.fields["purpose"].choices)[purpose], "sent": True}
    elif request.method == "POST":
        form = WellbeingRecordForm(request.POST, prefix="ons4")
        if form.is_valid():
            try:
                outcomes.wellbeing_record(referral=referral, actor=actor, stage=form.cleaned_data["stage"],
                                          scores=form.scores())
            except ReferralError as error:
                add_domain_error(form, error)
            else:
                messages.success(request, _("Wellbeing answers recorded."))
                return redirect("referrals:record_wellbeing", pk=referral.pk)
    recorded = {score.stage: score for score in WellbeingScore.objects.filter(referral=referral)}
    return render(request, "referrals/outcomes/record_wellbeing.html", {
        "referral": referral,
        "form": form,
        "link_form": link_form,
        "link": link,
        "link_days": outcomes.RESIDENT_LINK_DAYS,
        "recorded": [{"stage": label, "score": recorded.get(stage)} for stage, label in WellbeingStage.choices],
        "answer_rows": [
            (form.fields[name].label,
             [getattr(recorded[stage], name) if stage in recorded else None for stage in WellbeingStage.values])
            for name in ONS4
        ],
        "route": referral.resident.get_preferred_contact_display(),
    })


# The person's page -------------------------------------------------------------------------


@never_cache
@refuses_with_403()
def resident_answers(request, token: str):
    try:
        referral, purpose, actor = outcomes.resident_link_actor(token)
    except ReferralError as error:
        # 410 Gone for a genuine link that has expired; 400 for one that was mangled or made up.
        status = 410 if isinstance(error, outcomes.LinkExpired) else 400
        response = render(request, "referrals/outcomes/link_problem.html",
                          {"message": error.message, "expired": status == 410}, status=status)
        return _private(response)
    first_name = referral.resident.first_name
    context = {"first_name": first_name, "purpose": purpose}
    if outcomes.already_answered(referral, purpose):
        return _private(render(request, "referrals/outcomes/thank_you.html", context))
    form_class = FeedbackForm if purpose == "feedback" else WellbeingAnswersForm
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            if purpose == "feedback":
                outcomes.feedback_record(referral=referral, actor=actor, satisfaction=form.cleaned_data["satisfaction"],
                                         comments=form.cleaned_data["comments"])
            else:
                outcomes.wellbeing_record(referral=referral, actor=actor, stage=purpose, scores=form.scores())
        except ReferralError as error:
            add_domain_error(form, error)
        else:
            return redirect("referrals:resident_answers", token=token)
    context["form"] = form
    template = "feedback.html" if purpose == "feedback" else "wellbeing.html"
    return _private(render(request, f"referrals/outcomes/{template}", context))


def _private(response):
    # The token is in the address: keep it out of other sites' logs and out of search engines.
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


urlpatterns = [
    path("<str:token>/", resident_answers, name="resident_answers"),
]

# Included at "referrals/": the link worker's form sits beside the referral page.
referral_urlpatterns = [
    path("<id:pk>/wellbeing/", record_wellbeing, name="record_wellbeing"),
]
