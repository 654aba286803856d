"""The link worker's pages: their caseload, a referral with its connections, timeline and next steps, and
"refer to this activity" from a search result.

The referral page is the social prescribing team's (the allocated link worker, the service's
triage team): providers never see it, they have their own. Every look is audited
(``visible_referral``) and every step goes through ``referrals.services``. The steps on a connection
are ``referrals.views.connections``; discharge is ``referrals.views.discharge``.
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

from common.requests import local_next_url
from referrals import permissions, selectors, services
from referrals.audit import audit_list_view, audit_view
from referrals.choices import ConsentPurpose, StaffRole
from referrals.errors import ReferralError
from referrals.forms.caseload import (
    ConsentRecordForm,
    NoteForm,
    ReferToActivityForm,
    live_activities,
)
from referrals.models import Consent, Notification
from referrals.views.casework_sections import (
    casework_context,
    connections_context,
    connections_of,
    described_events,
    discharge_context,
)
from referrals.views.common import (
    add_domain_error,
    refusal_message,
    staff_view,
    visible_referral,
)
from referrals.workflow import CONNECTION_OPEN

TEAM = (StaffRole.LINK_WORKER, StaffRole.TRIAGE)
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
                ("discharged-recently", _("Discharged in the last %(days)s days") % {
                    "days": selectors.RECENTLY_CLOSED_DAYS}, groups.closed_recently),
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
# Contacts section (``referrals.views.casework``), which takes the step. Connecting the person, and each
# connection's steps, are ``referrals.views.connections``; discharge is ``referrals.views.discharge``.
STEPS: dict[str, Step] = {
    "person_declines": Step(
        NoteForm,
        lambda r, a, d: services.referral_person_declines(referral=r, actor=a, note=d["note"]),
        gettext_lazy("The person does not want social prescribing"),
        gettext_lazy("Record that they declined"),
        gettext_lazy("Recorded that the person declined social prescribing."),
        gettext_lazy("This is coded as “Social prescribing declined”. You can then discharge them."),
    ),
}


def _referral(request, pk: int):
    return visible_referral(
        request,
        pk,
        what="referral page",
        queryset=permissions.team_referrals_visible_to(request.actor).select_related(
            "service", "link_worker", "referred_by"
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


def _render_referral(request, referral, *, failed: tuple[str, forms.Form] | None = None, status: int = 200):
    actor = request.actor
    failed_action, failed_form = failed or (None, None)
    steps = []
    for transition in permissions.next_actions(actor, referral):
        step = STEPS.get(transition.action)
        if step is None:
            continue
        form = failed_form if transition.action == failed_action else step.form(prefix=transition.action)
        steps.append({"action": transition.action, "step": step, "form": form, "open": bool(form.errors),
                      "url": reverse("referrals:referral_step", kwargs={"pk": referral.pk, "action": transition.action})})
    consent_form = failed_form if failed_action == "consent" else ConsentRecordForm(prefix="consent")
    resident = referral.resident
    consents = _consents_of(referral)
    shares = referral.consents.in_force().filter(purpose=ConsentPurpose.SHARE_WITH_PROVIDER).exists()
    connections = connections_of(referral)
    return render(
        request,
        "referrals/referral/referral.html",
        {
            "referral": referral,
            "resident": resident,
            "needs": list(referral.needs.all()),
            "alerts": list(referral.alerts.open().select_related("connection__activity")),
            "events": described_events(selectors.timeline(referral=referral), connections),
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
            "next_step": selectors.next_step(referral, connections),
            **casework_context(request, referral, failed=failed),
            **connections_context(request, referral, connections=connections, failed=failed),
            **discharge_context(request, referral, connections=connections, failed=failed),
        },
        status=status,
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
            connection = services.connection_choose_activity(referral=referral, actor=actor, activity=activity)
        except ReferralError as error:
            add_domain_error(form, error)
        else:
            return send_after_choosing(request, connection, send=form.cleaned_data["send"])
    else:
        audit_list_view(actor, what="refer to this activity: caseload list", referrals=referrals, request=request)
    referrals = list(referrals.prefetch_related("connections__activity"))
    for referral in referrals:
        referral.connection_names = [c.name for c in referral.connections.all() if c.status in CONNECTION_OPEN]
    return render(
        request,
        "referrals/caseload/refer.html",
        {"activity": activity, "form": form, "referrals": referrals},
    )


def send_after_choosing(request, connection, *, send: bool):
    """After a new connection to an activity: send it to its provider now if asked (and the person agreed to
    share their details), and say what happened; back to the referral page, at the connection."""
    referral, activity = connection.referral, connection.activity
    target = redirect(reverse("referrals:referral", kwargs={"pk": referral.pk}) + f"#connection-{connection.number}")
    shares = referral.consents.in_force().filter(purpose=ConsentPurpose.SHARE_WITH_PROVIDER).exists()
    if not send:
        messages.success(request, _("%(person)s is connected to %(activity)s. Send the referral to the provider "
                                    "when you are ready.") % {"person": referral.resident.full_name,
                                                              "activity": activity.title})
        return target
    if not shares:
        messages.warning(request, _(
            "%(activity)s chosen, but not sent: the person has not agreed to share their details with the provider. "
            "Record their consent, then send the referral.") % {"activity": activity.title})
        return target
    try:
        services.connection_send_to_provider(connection=connection, actor=request.actor)
    except ReferralError as error:
        messages.warning(request, _("%(activity)s chosen, but not sent: %(reason)s") % {
            "activity": activity.title, "reason": refusal_message(error)})
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
