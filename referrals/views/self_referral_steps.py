"""The self-referral in short steps, one question (or one small group) a page, as the NHS and GOV.UK
patterns do: about you, how to contact you, then the one detail that way needs, your GP practice,
what you would like help with, taking part, consent, and a check of the answers before sending.

It starts from what is already known: ``/refer-yourself/?activity=…&postcode=…&needs=…`` (the activity
page's "Ask to join" link carries the search it was opened from) is read by
``referrals.intake.prefill_from``, which keeps only what validates. The answers are kept in the
server-side session, as the person typed them, until they send (or the session ends); nothing is saved
as a referral before the last page. Each step is checked by the same ``SelfReferralForm`` as the whole,
over every answer so far, showing only the errors of that step's own questions; the last page checks the
whole form again and makes the referral through the same service as the one-page form
(``self_referral._refer``), so a referral is whole or not there at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.forms.utils import ErrorDict
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from common.requests import client_ip
from referrals.choices import ConsentPurpose, ContactRoute
from referrals.errors import ReferralError
from referrals.forms.practices import FIND_BUTTON, RESIDENT_WORDS
from referrals.forms.self_referral import SelfReferralForm
from referrals.intake import (
    count_attempt,
    honeypot_filled,
    rate_limited,
    self_referrals_per_hour,
)
from referrals.models.referrals import new_reference
from referrals.views.common import add_domain_error
from referrals.views.self_referral import (
    ANSWERS_KEY,
    FIRST_STEP,
    RATE_SCOPE,
    interested_activity,
    refer,
    sent,
    too_many,
)

# The detail each way of contacting needs.
DETAIL_FOR_ROUTE = {
    ContactRoute.EMAIL: "email", ContactRoute.TEXT: "phone", ContactRoute.PHONE: "phone", ContactRoute.LETTER: "address",
}
# A field's keys in the posted form: the date of birth is three boxes.
_KEYS = {"date_of_birth": ("date_of_birth_day", "date_of_birth_month", "date_of_birth_year")}
_MAX_VALUES = 50  # values kept for one key (the needs are the only list; there are fewer than this)


@dataclass(frozen=True)
class Step:
    slug: str
    title: str
    template: str
    fields: tuple[str, ...]


STEPS = (
    Step(FIRST_STEP, _("About you"), "about_you", ("first_name", "last_name", "date_of_birth", "postcode")),
    Step("contact", _("How should we contact you?"), "contact", ("preferred_contact",)),
    # Its one field is the chosen way's (``detail_field``).
    Step("contact-details", _("Your contact details"), "contact_details", ()),
    Step("gp", _("Your GP practice"), "gp", ("practice_query", "practice_choice", "gp_practice", "nhs_number")),
    Step("help", _("What would you like help with?"), "help", ("needs", "what_matters")),
    Step("taking-part", _("Taking part"), "taking_part", ("language", "interpreter_needed", "accessibility_needs")),
    Step("consent", _("Your consent"), "consent",
         ("consent_referral", "consent_share_with_provider", "consent_share_with_gp")),
)
BY_SLUG = {step.slug: step for step in STEPS}
DETAIL_TITLES = {
    ContactRoute.EMAIL: _("What is your email address?"),
    ContactRoute.TEXT: _("What is your mobile phone number?"),
    ContactRoute.PHONE: _("What is your phone number?"),
    ContactRoute.LETTER: _("What is your address?"),
}


def step_url(step: Step | str) -> str:
    slug = step if isinstance(step, str) else step.slug
    return reverse("referrals:self_referral_step", kwargs={"step": slug})


# The answers in the session (``self_referral.start`` begins them) ---------------------------


def _answers(request) -> dict | None:
    answers = request.session.get(ANSWERS_KEY)
    return answers if isinstance(answers, dict) and "data" in answers else None


def _route(answers: dict) -> str:
    value = (answers["data"].get("preferred_contact") or [""])[0]
    return value if value in ContactRoute.values else ""


def detail_field(answers: dict) -> str | None:
    route = _route(answers)
    return DETAIL_FOR_ROUTE[ContactRoute(route)] if route else None


def _fields(step: Step, answers: dict) -> tuple[str, ...]:
    if step.slug == "contact-details":
        detail = detail_field(answers)
        return (detail,) if detail else ()
    return step.fields


def _keys(fields) -> list[str]:
    return [key for name in fields for key in _KEYS.get(name, (name,))]


def _data(answers: dict, post=None, fields=()) -> QueryDict:
    """Every answer so far, with this step's as just posted (a box not ticked is an answer too)."""
    data = QueryDict(mutable=True)
    for key, values in answers["data"].items():
        data.setlist(key, values)
    if post is not None:
        for key in _keys(fields):
            data.setlist(key, [str(value) for value in post.getlist(key)[:_MAX_VALUES]])
    return data


def _first_open(answers: dict) -> Step | None:
    done = set(answers.get("done", []))
    return next((step for step in STEPS if step.slug not in done), None)


def _activity(answers: dict):
    return interested_activity(answers.get("activity"))


def _shown(form: SelfReferralForm) -> SelfReferralForm:
    """The form showing the answers as typed, without errors (a step not yet sent has none)."""
    form._errors = ErrorDict()
    form.cleaned_data = {}
    return form


def _only(form: SelfReferralForm, fields) -> None:
    """Keep the errors of this step's questions; the rest are for later steps to ask."""
    for name in list(form.errors):
        if name not in fields:
            del form.errors[name]


# The pages -------------------------------------------------------------------------------


@never_cache
def step_view(request, step: str):
    answers = _answers(request)
    if answers is None:
        return redirect("referrals:self_referral")
    current = BY_SLUG.get(step)
    if current is None:
        raise Http404
    first_open = _first_open(answers)
    if first_open is not None and STEPS.index(current) > STEPS.index(first_open):
        return redirect(step_url(first_open))  # no skipping ahead of a question not yet answered
    if current.slug == "contact-details" and detail_field(answers) is None:
        return redirect(step_url("contact"))
    fields = _fields(current, answers)
    activity = _activity(answers)
    if request.method == "POST":
        data = _data(answers, request.POST, fields)
        if FIND_BUTTON in request.POST and current.slug == "gp":
            data[FIND_BUTTON] = "yes"  # "Find practice": the matches, nothing checked or kept
        form = SelfReferralForm(data, activity=activity)
        if not form.finding_practice:
            form.is_valid()
            _only(form, fields)
            if not form.errors:
                _save(request, answers, current, form.data, fields)
                following = _first_open(answers)
                return redirect(step_url(following) if following else "referrals:self_referral_check")
    else:
        form = _shown(SelfReferralForm(_data(answers), activity=activity))
    return render(request, "referrals/self_referral/step.html", {
        "form": form, "step": current, "activity": activity if current is STEPS[0] else None,
        "title": DETAIL_TITLES.get(_route(answers), current.title) if current.slug == "contact-details" else current.title,
        "detail": detail_field(answers), "route": _route(answers),
        "back_url": _back_url(current, activity), "number": STEPS.index(current) + 1, "count": len(STEPS),
    })


def _back_url(step: Step, activity) -> str:
    index = STEPS.index(step)
    if index:
        return step_url(STEPS[index - 1])
    return activity.url if activity is not None and activity.url else "/"


def _save(request, answers: dict, step: Step, data: QueryDict, fields) -> None:
    before = detail_field(answers)
    for key in _keys(fields):
        answers["data"][key] = data.getlist(key)
    done = [slug for slug in answers.get("done", []) if slug != step.slug] + [step.slug]
    if step.slug == "contact":
        after = detail_field(answers)
        if after != before:
            # A new way: the old way's detail is not kept (nobody is to be written to at an old
            # address they no longer chose), and the new one is asked next.
            if before is not None:
                answers["data"].pop(before, None)
            done = [slug for slug in done if slug != "contact-details"]
    answers["done"] = done
    request.session[ANSWERS_KEY] = answers
    request.session.modified = True


@never_cache
def check_view(request):
    answers = _answers(request)
    if answers is None:
        return redirect("referrals:self_referral")
    first_open = _first_open(answers)
    if first_open is not None:
        return redirect(step_url(first_open))
    activity = _activity(answers)
    data = _data(answers)
    if request.method == "POST":
        ip = client_ip(request)
        postcode = (answers["data"].get("postcode") or [""])[0]
        if rate_limited(scope=RATE_SCOPE, ip=ip, limit=self_referrals_per_hour()):
            return too_many(request, postcode)
        if honeypot_filled(request.POST):
            count_attempt(scope=RATE_SCOPE, ip=ip)
            request.session.pop(ANSWERS_KEY, None)
            return sent(request, reference=new_reference(), route=_route(answers), service=None)
        form = SelfReferralForm(data, activity=activity)
        if not form.is_valid():
            return _back_to_the_first_mistake(request, answers, form)
        try:
            referral = refer(form)
        except ReferralError as error:
            add_domain_error(form, error)
        else:
            count_attempt(scope=RATE_SCOPE, ip=ip)
            request.session.pop(ANSWERS_KEY, None)
            return sent(request, reference=referral.reference, route=form.cleaned_data["preferred_contact"],
                                 service=referral.service)
    else:
        form = SelfReferralForm(data, activity=activity)
        if not form.is_valid():
            return _back_to_the_first_mistake(request, answers, form)
    return render(request, "referrals/self_referral/check.html", {
        "form": form, "rows": _rows(form, answers), "activity": activity,
        "back_url": step_url(STEPS[-1]), "count": len(STEPS),
    })


def _back_to_the_first_mistake(request, answers: dict, form: SelfReferralForm):
    """Something no longer checks out (a service stopped covering the postcode, say): reopen its step."""
    wrong = set(form.errors)
    for step in STEPS:
        if wrong & set(_fields(step, answers)) or (step.slug == "contact-details" and wrong & set(DETAIL_FOR_ROUTE.values())):
            answers["done"] = [slug for slug in answers.get("done", []) if slug != step.slug]
            request.session[ANSWERS_KEY] = answers
            return redirect(step_url(step))
    answers["done"] = []
    request.session[ANSWERS_KEY] = answers
    return redirect(step_url(STEPS[0]))


def _rows(form: SelfReferralForm, answers: dict) -> list[dict]:
    """Check your answers: each question, the answer, and the step that changes it."""
    data = form.cleaned_data
    route = data.get("preferred_contact")
    practice = form.practice_fields()
    if practice["practice"] is not None:
        gp = practice["practice"].name
    elif practice["has_no_gp"]:
        gp = RESIDENT_WORDS.not_registered
    else:
        gp = practice["gp_practice"] or "Not given"
    needs = [term.name for term in data.get("needs") or []]
    consents = form.consents()
    gp_answer = {True: "Yes", False: "No"}.get(consents.get(ConsentPurpose.SHARE_WITH_GP), "Not answered (we will tell them)")
    detail = detail_field(answers)
    rows = [
        ("Name", f"{data['first_name']} {data['last_name']}", "about-you", "name"),
        ("Date of birth", data["date_of_birth"].strftime("%-d %B %Y"), "about-you", "date of birth"),
        ("Postcode", data["postcode"], "about-you", "postcode"),
        ("How to contact you", ContactRoute(route).label, "contact", "how to contact you"),
        ({"email": "Email address", "phone": "Phone number", "address": "Address"}[detail],
         data.get(detail) or "", "contact-details", {"email": "email address", "phone": "phone number",
                                                      "address": "address"}[detail]),
        ("GP practice", gp, "gp", "GP practice"),
        ("NHS number", _nhs(data.get("nhs_number")) or "Not given", "gp", "NHS number"),
        ("What you would like help with", "\n".join(needs) or "Nothing chosen", "help", "what you would like help with"),
        ("What matters to you", (data.get("what_matters") or "").strip() or "Not given", "help", "what matters to you"),
        ("Language", data.get("language") or "English", "taking-part", "language"),
        ("Interpreter", "Yes" if data.get("interpreter_needed") else "No", "taking-part", "interpreter"),
        ("Anything that would help you take part", (data.get("accessibility_needs") or "").strip() or "Nothing",
         "taking-part", "anything that would help you take part"),
        ("Agree to being referred", "Yes" if consents[ConsentPurpose.REFERRAL] else "No", "consent", "consent"),
        ("Share your name and contact details with an activity you choose",
         "Yes" if consents[ConsentPurpose.SHARE_WITH_PROVIDER] else "No", "consent", "sharing with an activity"),
        ("Tell your GP practice", gp_answer, "consent", "telling your GP practice"),
    ]
    return [{"key": key, "value": value, "url": step_url(slug), "hidden": hidden} for key, value, slug, hidden in rows]


def _nhs(number: str | None) -> str:
    number = number or ""
    return f"{number[:3]} {number[3:6]} {number[6:]}" if len(number) == 10 else number


urlpatterns = [
    path("check/", check_view, name="self_referral_check"),
    path("<slug:step>/", step_view, name="self_referral_step"),
]
