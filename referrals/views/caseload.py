"""The link worker's pages: their caseload, a referral with its timeline and next steps, and
"refer to this activity" from a search result.

The referral page is the social prescribing team's (the allocated link worker, the service's
triage team): providers never see it, they have their own. Every look is audited
(``visible_referral``) and every step goes through ``referrals.services``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from common.bounds import parse_id
from common.requests import local_next_url
from referrals import permissions, selectors, services
from referrals.audit import audit_list_view, audit_view
from referrals.choices import ConsentPurpose, StaffRole
from referrals.errors import ReferralError
from referrals.forms.caseload import (
    ChooseActivityForm,
    CloseForm,
    ConsentRecordForm,
    NoteForm,
    ReasonForm,
    ReferToActivityForm,
    live_activities,
)
from referrals.models import Consent, Notification
from referrals.views.casework_sections import casework_context
from referrals.views.common import add_domain_error, refusal_message, staff_view, visible_referral

TEAM = (StaffRole.LINK_WORKER, StaffRole.TRIAGE)
# Steps that move the referral forward: the first of these on offer is shown open. Ending steps
# (declining, cancelling, closing) stay folded so no one meets them first by accident.
FORWARD_STEPS = ("record_contact", "choose_activity", "send_to_provider", "mark_resident_notified", "record_attendance")
# Helper A's partial for a referral's notifications and their delivery status.
NOTIFICATIONS_PARTIAL = "referrals/includes/notifications.html"


# The caseload -----------------------------------------------------------------------------


@staff_view(StaffRole.LINK_WORKER)
def caseload(request):
    actor = request.actor
    groups = selectors.caseload(actor=actor)
    tasks = list(selectors.open_tasks(actor=actor).filter(recipient_user_id=actor.user_id))
    audit_list_view(
        actor, what="caseload", request=request,
        referrals=[*groups.needs_action, *groups.waiting_on_provider, *groups.first_session_booked,
                   *groups.closed_recently, *(task.referral for task in tasks)],
    )
    return render(
        request,
        "referrals/caseload/caseload.html",
        {
            "caseload": groups,
            "groups": [
                ("needs-action", _("Needs action"), groups.needs_action),
                ("waiting-on-provider", _("Waiting on the provider"), groups.waiting_on_provider),
                ("first-session-booked", _("First session booked"), groups.first_session_booked),
                ("closed-recently", _("Closed in the last 30 days"), groups.closed_recently),
            ],
            "tasks": tasks,
        },
    )


@require_POST
@staff_view(*TEAM)
def task_done(request, pk):
    """A phone call made or a letter sent: off the list (and, for the first session, the person is told)."""
    actor = request.actor
    task = get_object_or_404(
        Notification.objects.filter(referral__in=permissions.referrals_visible_to(actor)), pk=pk
    )
    try:
        services.notification_complete_task(notification=task, actor=actor, note=request.POST.get("note", "")[:500])
    except ReferralError as error:
        messages.error(request, refusal_message(error))
    else:
        messages.success(request, _("Marked as done: %(task)s for %(reference)s.") % {
            "task": task.get_channel_display().lower(), "reference": task.referral.reference})
    return redirect(_safe_next(request, reverse("referrals:caseload")))


def _safe_next(request, default: str) -> str:
    return local_next_url(request) or default


# One referral -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """A step the team takes on the referral page: its form, the service it calls, and its words."""

    form: type[forms.Form]
    run: Callable
    heading: str
    button: str
    done: str
    hint: str = ""


# First contact ("record_contact") is not a step here: it is recording a held contact in the page's
# Contacts section (``referrals.views.casework``), which takes the step.
STEPS: dict[str, Step] = {
    "choose_activity": Step(
        ChooseActivityForm,
        lambda r, a, d: services.referral_choose_activity(referral=r, actor=a, activity=d["activity"], note=d["note"]),
        gettext_lazy("Choose an activity"),
        gettext_lazy("Choose this activity"),
        gettext_lazy("Activity chosen."),
        gettext_lazy("The activity you and the person chose together."),
    ),
    "send_to_provider": Step(
        NoteForm,
        lambda r, a, d: services.referral_send_to_provider(referral=r, actor=a, note=d["note"]),
        gettext_lazy("Send to the provider"),
        gettext_lazy("Send the referral"),
        gettext_lazy("Referral sent. The provider has been told by email and in their Signpost inbox."),
        gettext_lazy("The provider sees the person's name, how to contact them, their needs and access needs: "
                     "never your notes."),
    ),
    "mark_resident_notified": Step(
        NoteForm,
        lambda r, a, d: services.referral_mark_resident_notified(referral=r, actor=a, note=d["note"]),
        gettext_lazy("Tell the person about the first session"),
        gettext_lazy("I have told them"),
        gettext_lazy("Recorded that the person knows about the first session."),
        gettext_lazy("For a phone call or a letter: once the person knows the date, time and place."),
    ),
    "record_attendance": Step(
        NoteForm,
        lambda r, a, d: services.referral_record_attendance(referral=r, actor=a, note=d["note"]),
        gettext_lazy("They went to the first session"),
        gettext_lazy("Record attended"),
        gettext_lazy("Recorded that the person went to the first session."),
    ),
    "record_did_not_attend": Step(
        NoteForm,
        lambda r, a, d: services.referral_record_did_not_attend(referral=r, actor=a, note=d["note"]),
        gettext_lazy("They did not go to the first session"),
        gettext_lazy("Record did not attend"),
        gettext_lazy("Recorded that the person did not go to the first session."),
    ),
    "cancel_first_session": Step(
        ReasonForm,
        lambda r, a, d: services.referral_cancel_first_session(referral=r, actor=a, note=d["note"]),
        gettext_lazy("Cancel the first session"),
        gettext_lazy("Cancel first session"),
        gettext_lazy("First session cancelled. You can choose another activity."),
    ),
    "person_declines": Step(
        NoteForm,
        lambda r, a, d: services.referral_person_declines(referral=r, actor=a, note=d["note"]),
        gettext_lazy("The person does not want social prescribing"),
        gettext_lazy("Record that they declined"),
        gettext_lazy("Recorded that the person declined social prescribing."),
        gettext_lazy("This is coded as “Social prescribing declined”. You can then close the referral."),
    ),
    "close": Step(
        CloseForm,
        lambda r, a, d: services.referral_close(referral=r, actor=a, outcome=d["outcome"], note=d["note"]),
        gettext_lazy("Close the referral"),
        gettext_lazy("Close referral"),
        gettext_lazy("Referral closed."),
    ),
}


def _referral(request, pk: int):
    return visible_referral(
        request,
        pk,
        what="referral page",
        queryset=permissions.team_referrals_visible_to(request.actor).select_related(
            "service", "link_worker", "referred_by", "activity", "provider", "first_session"
        ),
    )


@staff_view(*TEAM)
def referral_page(request, pk: int):
    referral = _referral(request, pk)
    return _render_referral(request, referral)


@require_POST
@staff_view(*TEAM)
def referral_step(request, pk: int, action: str):
    """One step on the referral (a small form on its page): call the service, then back to the page."""
    step = STEPS.get(action)
    if step is None:
        raise Http404("No such step.")
    referral = _referral(request, pk)
    form = step.form(request.POST, prefix=action)
    if form.is_valid():
        try:
            step.run(referral, request.actor, form.cleaned_data)
        except ReferralError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, str(step.done))
            return redirect("referrals:referral", pk=referral.pk)
    return _render_referral(request, referral, failed=(action, form))


@require_POST
@staff_view(*TEAM)
def consent_record(request, pk: int):
    referral = _referral(request, pk)
    form = ConsentRecordForm(request.POST, prefix="consent")
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.consent_record(
                resident=referral.resident, referral=referral, purpose=data["purpose"], given=data["given"],
                method=data["method"], given_by=data["given_by"], actor=request.actor,
            )
        except ReferralError as error:
            add_domain_error(form, error)
        except ValidationError as error:  # the consent's own checks (full_clean)
            form.add_error(None, error.messages[0])
        else:
            messages.success(request, _("Consent recorded: %(purpose)s.") % {
                "purpose": ConsentPurpose(data["purpose"]).label})
            return redirect(reverse("referrals:referral", kwargs={"pk": referral.pk}) + "#consent")
    return _render_referral(request, referral, failed=("consent", form))


@require_POST
@staff_view(*TEAM)
def consent_withdraw(request, pk: int, consent_pk: int):
    referral = _referral(request, pk)
    consent = get_object_or_404(_consents_of(referral), pk=consent_pk)
    services.consent_withdraw(consent=consent, actor=request.actor, note=request.POST.get("note", ""))
    messages.success(request, _("Consent withdrawn: %(purpose)s.") % {"purpose": consent.get_purpose_display()})
    return redirect(reverse("referrals:referral", kwargs={"pk": referral.pk}) + "#consent")


def _consents_of(referral):
    """The consents for this referral, and any the person gave for the service as a whole."""
    return Consent.objects.filter(Q(referral=referral) | Q(referral__isnull=True), resident_id=referral.resident_id)


def _notifications_partial() -> str | None:
    try:
        get_template(NOTIFICATIONS_PARTIAL)
    except TemplateDoesNotExist:
        return None
    return NOTIFICATIONS_PARTIAL


def _render_referral(request, referral, *, failed: tuple[str, forms.Form] | None = None):
    actor = request.actor
    failed_action, failed_form = failed or (None, None)
    steps = []
    for transition in permissions.next_actions(actor, referral):
        step = STEPS.get(transition.action)
        if step is None:
            continue
        if transition.action == failed_action:
            form = failed_form
        else:
            initial = {}
            if transition.action == "choose_activity" and (activity_id := parse_id(request.GET.get("activity"))):
                initial["activity"] = activity_id
            form = step.form(prefix=transition.action, initial=initial)
        steps.append({"action": transition.action, "step": step, "form": form, "open": bool(form.errors),
                      "url": reverse("referrals:referral_step", kwargs={"pk": referral.pk, "action": transition.action})})
    forward = next((item for item in steps if item["action"] in FORWARD_STEPS), None)
    if forward is not None and failed_form is None:
        forward["open"] = True
    consent_form = failed_form if failed_action == "consent" else ConsentRecordForm(prefix="consent")
    resident = referral.resident
    consents = _consents_of(referral)
    shares = referral.consents.in_force().filter(purpose=ConsentPurpose.SHARE_WITH_PROVIDER).exists()
    return render(
        request,
        "referrals/referral/referral.html",
        {
            "referral": referral,
            "resident": resident,
            "needs": list(referral.needs.all()),
            "alerts": list(referral.alerts.open()),
            "events": selectors.timeline(referral=referral),
            "notifications": list(referral.notifications.select_related("recipient_user", "recipient_organisation")),
            "notifications_partial": _notifications_partial(),
            "tasks": list(selectors.open_tasks(actor=actor).filter(referral=referral)),
            "consents": consents.order_by("recorded_at", "pk"),
            "consent_form": consent_form,
            "shares_with_provider": shares,
            "steps": steps,
            "can_triage": permissions.can(actor, referral, "triage"),
            "can_reallocate": permissions.can(actor, referral, "reallocate"),
            "on_my_caseload": permissions.is_on_caseload_of(actor, referral),
            "failed_form": failed_form,
            "status_tag": selectors.STATUS_TAG.get(referral.status, "grey"),
            "next_step": selectors.NEXT_STEP.get(referral.status, ""),
            **casework_context(request, referral, failed=failed),
        },
    )


# Refer to this activity -------------------------------------------------------------------


@staff_view(StaffRole.LINK_WORKER)
def refer_to_activity(request):
    """From a search result: choose whose referral the activity is for, choose it, and send it."""
    actor = request.actor
    raw = request.POST.get("activity") if request.method == "POST" else request.GET.get("activity")
    activity = live_activities().filter(pk=raw).first() if (raw or "").isdigit() else None
    if activity is None:
        return render(request, "referrals/caseload/refer_unavailable.html", status=404)
    referrals = selectors.referrals_ready_for_activity(actor=actor)
    form = ReferToActivityForm(request.POST if request.method == "POST" else None, referrals=referrals)
    if form.is_valid():
        referral = form.cleaned_data["referral"]
        audit_view(actor, what="refer to this activity", referral=referral, request=request)
        try:
            services.referral_choose_activity(referral=referral, actor=actor, activity=activity)
        except ReferralError as error:
            add_domain_error(form, error)
        else:
            return _send_after_choosing(request, referral, activity, send=form.cleaned_data["send"])
    else:
        audit_list_view(actor, what="refer to this activity: caseload list", referrals=referrals, request=request)
    return render(
        request,
        "referrals/caseload/refer.html",
        {"activity": activity, "form": form, "referrals": list(referrals)},
    )


def _send_after_choosing(request, referral, activity, *, send: bool):
    target = redirect("referrals:referral", pk=referral.pk)
    shares = referral.consents.in_force().filter(purpose=ConsentPurpose.SHARE_WITH_PROVIDER).exists()
    if not send:
        messages.success(request, _("%(activity)s chosen. Send the referral to the provider when you are ready.")
                         % {"activity": activity.title})
        return target
    if not shares:
        messages.warning(request, _(
            "%(activity)s chosen, but not sent: the person has not agreed to share their details with the provider. "
            "Record their consent, then send the referral.") % {"activity": activity.title})
        return target
    try:
        services.referral_send_to_provider(referral=referral, actor=request.actor)
    except ReferralError as error:
        messages.warning(request, _("%(activity)s chosen, but not sent: %(reason)s") % {
            "activity": activity.title, "reason": error.message})
    else:
        messages.success(request, _("%(activity)s chosen and the referral sent to the provider.") % {
            "activity": activity.title})
    return target


urlpatterns = [
    path("", caseload, name="caseload"),
    path("refer/", refer_to_activity, name="refer_to_activity"),
    path("tasks/<uuid:pk>/done/", task_done, name="task_done"),
    path("<id:pk>/", referral_page, name="referral"),
    path("<id:pk>/steps/<slug:action>/", referral_step, name="referral_step"),
    path("<id:pk>/consents/", consent_record, name="consent_record"),
    path("<id:pk>/consents/<id:consent_pk>/withdraw/", consent_withdraw, name="consent_withdraw"),
]
