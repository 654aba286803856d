"""The link worker's connections on the referral page: connecting the person to an activity (one or
several), signposting them to a service outside the directory, and each connection's own steps (send to
the provider, tell the person, attendance, cancel, change the activity, withdraw, a signpost's outcome).

Each is a small POST form on the team's referral page: the service runs, then back to the page at the
connection (post-redirect-get); a refusal shows the page again with the form and its errors. A step on a
connection carries the status the page showed (``seen_status``): if someone else moved the connection
meanwhile, the person is told and shown it as it is now (``services.connection_as_seen``), rather than
acting on what they did not see.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from referrals import services
from referrals.choices import StaffRole
from referrals.errors import ReferralError
from referrals.forms.caseload import ConnectActivityForm, SignpostForm
from referrals.views.caseload import _referral, _render_referral, send_after_choosing
from referrals.views.casework_sections import (
    CONNECTION_STEPS,
    connection_step_key,
    connection_step_prefix,
)
from referrals.views.common import add_domain_error, staff_view
from referrals.views.find_for_person import find_for_person

TEAM = (StaffRole.LINK_WORKER, StaffRole.TRIAGE)


def _at(referral, number: int):
    return redirect(reverse("referrals:referral", kwargs={"pk": referral.pk}) + f"#connection-{number}")


@require_POST
@staff_view(*TEAM)
def connect_activity(request, pk: int):
    """Connect the person to an activity in the directory (another connection beside any they have)."""
    referral = _referral(request, pk)
    form = ConnectActivityForm(request.POST, prefix="connect")
    if form.is_valid():
        data = form.cleaned_data
        try:
            connection = services.connection_choose_activity(referral=referral, actor=request.actor,
                                                             activity=data["activity"], note=data["note"])
        except ReferralError as error:
            add_domain_error(form, error)
        else:
            return send_after_choosing(request, connection, send=data["send"])
    # The referral page shows no activity field (the person's search posts here), so the summary
    # tells a refusal as the form's own error rather than linking to a field that is not there.
    for name in [name for name in form.errors if name != NON_FIELD_ERRORS]:
        form.errors.setdefault(NON_FIELD_ERRORS, form.error_class(error_class="nonfield")).extend(form.errors.pop(name))
    return _render_referral(request, referral, failed=("connect", form))


@require_POST
@staff_view(*TEAM)
def signpost(request, pk: int):
    """Signpost the person to a service outside the directory (Citizens Advice, Talking Therapies)."""
    referral = _referral(request, pk)
    form = SignpostForm(request.POST, prefix="signpost")
    if form.is_valid():
        data = form.cleaned_data
        try:
            connection = services.connection_signpost(
                referral=referral, actor=request.actor, service_name=data["service_name"],
                service_contact=data["service_contact"], note=data["note"],
            )
        except ReferralError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, _("Signposted to %(service)s. Record whether they took it up when you know.")
                             % {"service": connection.service_name})
            return _at(referral, connection.number)
    return _render_referral(request, referral, failed=("signpost", form))


@require_POST
@staff_view(*TEAM)
def connection_step(request, pk: int, number: int, action: str):
    """One step on one connection, as the page showed it (``seen_status``)."""
    step = CONNECTION_STEPS.get(action)
    if step is None:
        raise Http404("No such step.")
    referral = _referral(request, pk)
    connection = get_object_or_404(referral.connections.select_related("activity", "provider"), number=number)
    form = step.form(request.POST, prefix=connection_step_prefix(connection, action))
    seen_status = request.POST.get("seen_status", "")[:24]
    if form.is_valid():
        try:
            with services.connection_as_seen(connection, seen_status=seen_status, action=action) as current:
                current.referral = referral
                step.run(current, request.actor, form.cleaned_data)
        except ReferralError as error:
            add_domain_error(form, error)
        else:
            messages.success(request, str(step.done))
            return _at(referral, connection.number)
    return _render_referral(request, referral, failed=(connection_step_key(connection, action), form))


urlpatterns = [
    path("<id:pk>/connections/", connect_activity, name="connect_activity"),
    # "Find activities for <name>": the link worker's search for this person (its results post to the above).
    path("<id:pk>/find-activities/", find_for_person, name="find_for_person"),
    path("<id:pk>/connections/signpost/", signpost, name="signpost"),
    path("<id:pk>/connections/<id:number>/<slug:action>/", connection_step, name="connection_step"),
]
