"""The provider's side: an inbox of the connections sent to their activities, a page for each, and emailed links.

One connection (one person, one activity) is one item in the inbox and one email thread, as it was
before a person could be connected to several activities at once: a provider never sees the
person's other connections. Organisation editors see only what was sent to their organisation,
and only the ``ProviderSummary`` of it (never the team's notes). Every step goes through the
``connection_*`` services as the provider. A form carries the status the page showed, so when two
people act on the same connection at once the second is told it has already been updated rather
than silently overriding the first.

An item's address is its connection's id (``/referrals/provider/connections/<id>/``): the id alone
opens nothing, as ``provider_connections_visible_to`` decides whether the item is found at all.

An emailed link (``referrals.links``) does one thing to one connection without signing in.
Opening it never acts (mail scanners fetch links); the confirm button does, once, under a
lock on the link, marking it used in the same transaction.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from referrals import links, services
from referrals.audit import audit, audit_list_view, audit_view
from referrals.choices import AuditAction, Channel, ConnectionStatus, StaffRole
from referrals.errors import ReferralError
from referrals.forms.provider import (
    ATTENDED,
    AcceptForm,
    AttendanceForm,
    CancelForm,
    DeclineForm,
    FirstSessionForm,
)
from referrals.models import Connection, Notification, Referral
from referrals.permissions import provider_connections_visible_to
from referrals.provider_summary import provider_listing, provider_summary
from referrals.roles import actor_for_link
from referrals.views.common import add_domain_error, refuses_with_403, staff_view
from referrals.workflow import FIRST_SESSION_PENDING, WITH_PROVIDER, first_session_started

S = ConnectionStatus

# The inbox's groups, in the order a provider works through them.
INBOX_GROUPS = [
    ("new", {S.SENT_TO_PROVIDER}),
    ("accepted", {S.ACCEPTED}),
    ("booked", set(FIRST_SESSION_PENDING)),
    # A connection the link worker withdrew shows here, as withdrawn: there is nothing more to do.
    ("done", {S.ATTENDED, S.DID_NOT_ATTEND, S.CANCELLED, S.DECLINED_BY_PROVIDER, S.WITHDRAWN}),
]
DONE = INBOX_GROUPS[-1][1]
# Finished items stay in the inbox this long, so a provider can see what they did.
RECENTLY_DONE_DAYS = 30

# Each step on the referral page: the URL's word for it, the workflow action, its form.
STEPS = {
    "accept": ("provider_accept", AcceptForm),
    "decline": ("provider_decline", DeclineForm),
    "first-session": ("book_first_session", FirstSessionForm),
    "attendance": ("record_attendance", AttendanceForm),
    "cancel": ("cancel_first_session", CancelForm),
}
# Which steps the page offers at each status (the workflow allows; the page keeps it simple).
STEPS_AT = {
    S.SENT_TO_PROVIDER: ["accept", "decline"],
    S.ACCEPTED: ["first-session", "decline"],
    S.FIRST_SESSION_BOOKED: ["attendance", "first-session", "cancel"],
    S.RESIDENT_NOTIFIED: ["attendance", "first-session", "cancel"],
}
LINK_STEP = {action: step for step, (action, _form) in STEPS.items()}


def step_url_name(step: str) -> str:
    """The URL name of a step's form on a connection's page, e.g. ``provider_first_session``."""
    return "provider_" + step.replace("-", "_")


def _new_form(step: str, connection: Connection, data=None):
    form_class = STEPS[step][1]
    if form_class is FirstSessionForm:
        return form_class(data, activity=connection.activity, prefix=step)
    return form_class(data, prefix=step)


def _service_action(step: str, form) -> str:
    action = STEPS[step][0]
    if action == "record_attendance" and form.cleaned_data["attended"] != ATTENDED:
        return "record_did_not_attend"
    return action


def _perform(step: str, form, *, connection: Connection, actor) -> Connection:
    """Run the step the form asks for, through its service function."""
    data = form.cleaned_data
    action = _service_action(step, form)
    if action == "provider_accept":
        return services.connection_provider_accept(connection=connection, actor=actor)
    if action == "provider_decline":
        return services.connection_provider_decline(
            connection=connection, actor=actor, reason=data["reason"], note=data["note"]
        )
    if action == "book_first_session":
        return services.connection_book_first_session(
            connection=connection, actor=actor, session=data["session"], starts_at=data["starts_at"],
            note=data["note"],
        )
    if action == "record_attendance":
        return services.connection_record_attendance(connection=connection, actor=actor, note=data["note"])
    if action == "record_did_not_attend":
        return services.connection_record_did_not_attend(connection=connection, actor=actor, note=data["note"])
    if action == "cancel_first_session":
        return services.connection_cancel_first_session(connection=connection, actor=actor, note=data["note"])
    raise ValueError(f"No provider step {action!r}")


def _not_permitted(request, message: str):
    return render(request, "referrals/provider/not_permitted.html", {"message": message}, status=403)


def _link_not_permitted(request, message: str):
    return _private(_not_permitted(request, message))


# The inbox and a connection's page ---------------------------------------------------------


def _withdrawn(connection: Connection) -> bool:
    """Withdrawn by the link worker, or still open when the service closed the referral (the person declined)."""
    return connection.status == S.WITHDRAWN or (not connection.referral.is_open and connection.status in WITH_PROVIDER)


def _inbox_group(connection: Connection) -> str:
    if _withdrawn(connection):
        return "done"
    return next(name for name, statuses in INBOX_GROUPS if connection.status in statuses)


@never_cache
@staff_view(StaffRole.PROVIDER, not_permitted=_not_permitted)
def inbox(request):
    actor = request.actor
    recent = timezone.now() - timedelta(days=RECENTLY_DONE_DAYS)
    connections = list(
        provider_connections_visible_to(actor)
        .exclude(status__in=DONE, updated_at__lt=recent)
        .select_related("referral__resident", "activity")
        .order_by("sent_to_provider_at", "pk")
    )
    groups = {name: [] for name, _statuses in INBOX_GROUPS}
    for connection in connections:
        groups[_inbox_group(connection)].append(provider_listing(connection))
    audit_list_view(actor, what="provider inbox", referrals=[c.referral for c in connections], request=request)
    groups["booked"].sort(key=lambda row: row.first_session_at or timezone.now())
    groups["done"].sort(key=lambda row: row.updated_at, reverse=True)

    # Unread inbox messages for the organisation, each about one of its items: shown once, then marked read.
    unread = list(
        Notification.objects.filter(
            channel=Channel.INBOX,
            recipient_organisation_id__in=actor.organisation_ids,
            read_at__isnull=True,
            connection__in=provider_connections_visible_to(actor),
        )
        .order_by("-created_at")
    )
    if unread:
        Notification.objects.filter(pk__in=[n.pk for n in unread]).update(read_at=timezone.now())
    return render(request, "referrals/provider/inbox.html", {"groups": groups, "unread": unread})


def _visible_connection(actor, pk: int) -> Connection | None:
    return (
        provider_connections_visible_to(actor)
        .filter(pk=pk)
        .select_related("referral__resident", "referral__link_worker", "activity", "provider")
        .first()
    )


def _render_connection(request, connection: Connection, *, bound: tuple[str, object] | None = None,
                       status: int = 200):
    summary = provider_summary(connection)
    sections, error_form = [], None
    steps = STEPS_AT.get(connection.status, []) if connection.referral.is_open else []
    for step in steps:
        form = _new_form(step, connection)
        if bound is not None and bound[0] == step:
            form = bound[1]
        action_url = reverse(f"referrals:{step_url_name(step)}", args=[connection.pk])
        not_yet = ""
        if step == "attendance" and not first_session_started(connection, now=timezone.now()):
            # Attendance cannot be known before the session: say when it can be recorded instead.
            not_yet = _("You can confirm attendance once the first session has started, on %(starts)s.") % {
                "starts": services.first_session_when(connection)
            }
        sections.append((step, _step_heading(step, summary), form, action_url, not_yet))
    if bound is not None and bound[1].errors:
        # Shown at the top even when the connection has moved on and the step is no longer offered.
        error_form = bound[1]
    return render(
        request,
        "referrals/provider/referral.html",
        {"summary": summary, "sections": sections, "error_form": error_form},
        status=status,
    )


def _step_heading(step: str, summary) -> str:
    return {
        "accept": _("Accept the referral"),
        "decline": _("Decline the referral"),
        "first-session": _("Change the first session") if summary.first_session_at else _("Book the first session"),
        "attendance": _("Confirm attendance"),
        "cancel": _("Cancel the first session"),
    }[step]


@never_cache
@staff_view(StaffRole.PROVIDER, not_permitted=_not_permitted)
def connection_page(request, pk: int):
    connection = _visible_connection(request.actor, pk)
    if connection is None:
        raise Http404("No referral here.")
    audit_view(request.actor, what="provider referral page", referral=connection.referral, request=request)
    return _render_connection(request, connection)


@never_cache
@require_POST
@staff_view(StaffRole.PROVIDER, not_permitted=_not_permitted)
def connection_step(request, pk: int, step: str):
    actor = request.actor
    connection = _visible_connection(actor, pk)
    if connection is None:
        raise Http404("No referral here.")
    form = _new_form(step, connection, data=request.POST)
    seen_status = request.POST.get("seen_status", "")
    if form.is_valid():
        action = _service_action(step, form)
        try:
            with services.connection_as_seen(connection, seen_status=seen_status, action=action) as current:
                _perform(step, form, connection=current, actor=actor)
        except ReferralError as error:
            add_domain_error(form, error)
            connection = _visible_connection(actor, pk) or connection
        else:
            messages.success(request, _done_message(action))
            return redirect("referrals:provider_connection", pk=connection.pk)
    audit_view(actor, what="provider referral page", referral=connection.referral, request=request)
    return _render_connection(request, connection, bound=(step, form))


def _done_message(action: str) -> str:
    return {
        "provider_accept": _("You accepted the referral. Book the first session next."),
        "provider_decline": _("You declined the referral. The link worker has been told."),
        "book_first_session": _("The first session is booked. The person will be told the date."),
        "record_attendance": _("You confirmed they came to the first session. The link worker has been told."),
        "record_did_not_attend": _("You recorded that they did not come. The link worker has been told."),
        "cancel_first_session": _("The first session is cancelled. The link worker has been told."),
    }[action]


# Emailed links ---------------------------------------------------------------------------

LINK_DONE_TITLES = {
    "provider_accept": _lazy("Referral accepted"),
    "provider_decline": _lazy("Referral declined"),
    "book_first_session": _lazy("First session booked"),
    "record_attendance": _lazy("Attendance confirmed"),
    "record_did_not_attend": _lazy("Did not attend: recorded"),
}
LINK_PROBLEM_HEADINGS = {
    "invalid": _lazy("This link is not valid"),
    "expired": _lazy("This link has expired"),
    "used": _lazy("This link has already been used"),
    "gone": _lazy("This referral is no longer with your organisation"),
    "withdrawn": _lazy("This referral has been withdrawn"),
    "updated": _lazy("This referral has already been updated"),
}
LINK_HEADINGS = {
    "accept": (_lazy("Accept this referral"), _lazy("Can you welcome this person?")),
    # The other steps' forms ask their own question (the legend of their radios).
    "decline": (_lazy("Decline this referral"), ""),
    "first-session": (_lazy("Book the first session"), ""),
    "attendance": (_lazy("Confirm attendance"), ""),
}


def _sign_in_url() -> str:
    return f"{reverse('wagtailadmin_login')}?next={reverse('referrals:provider_inbox')}"


def _link_problem(request, template: str, *, status: int, **context):
    context.update(
        heading=LINK_PROBLEM_HEADINGS[template], sign_in_url=_sign_in_url(), link_days=links.link_lifetime().days
    )
    response = render(request, f"referrals/provider/link_{template}.html", context, status=status)
    return _private(response)


def _private(response):
    # The token is a key: keep it out of caches and out of the Referer sent to other sites.
    # ("same-origin", not "no-referrer": with no referrer, browsers post "Origin: null" and
    # the CSRF check refuses the form.)
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _link_connection(link):
    """The link's actor, and the one connection it may act on (None once it is no longer the provider's)."""
    actor = actor_for_link(link)
    if link.connection_id is None:
        return actor, None
    return actor, _visible_connection(actor, link.connection_id)


def _audit_link_view(actor, link, connection, what: str):
    # The audit trail names the link, never its token (which would let a reader use it).
    audit(actor, action=AuditAction.VIEW, what=what, referral=connection.referral,
          path=f"emailed link {link.pk} ({link.action})")


def _no_longer_acts(request, actor, action_link, connection):
    """The page for a link whose connection has moved on since the email (None if the link still acts)."""
    if _withdrawn(connection):
        # The person's details are no longer the provider's to see.
        return _link_problem(request, "withdrawn", status=410)
    if connection.status not in links.LINK_ACTS_FROM[action_link.action]:
        _audit_link_view(actor, action_link, connection, "provider summary (emailed link, already updated)")
        return _link_problem(request, "updated", status=409, summary=provider_summary(connection))
    return None


@never_cache
@require_http_methods(["GET", "POST"])
@refuses_with_403(_link_not_permitted)
def link(request, token: str):
    try:
        if request.method == "POST":
            return _link_post(request, token)
        action_link = links.verify_link(token)
    except links.LinkInvalid:
        return _link_problem(request, "invalid", status=400)
    except links.LinkExpired:
        return _link_problem(request, "expired", status=410)
    except links.LinkUsed:
        return _link_problem(request, "used", status=410)
    actor, connection = _link_connection(action_link)
    if connection is None:
        return _link_problem(request, "gone", status=410)
    problem = _no_longer_acts(request, actor, action_link, connection)
    if problem is not None:
        return problem
    _audit_link_view(actor, action_link, connection, "provider summary (emailed link)")
    step = LINK_STEP[action_link.action]
    return _render_link_form(request, connection, step, _new_form(step, connection))


def _render_link_form(request, connection, step, form, *, status: int = 200):
    return _private(
        render(
            request,
            "referrals/provider/link.html",
            {
                "summary": provider_summary(connection),
                "step": step,
                "form": form,
                "error_form": form if form.errors else None,
                "heading": LINK_HEADINGS[step][0],
                "question": LINK_HEADINGS[step][1],
                "sign_in_url": _sign_in_url(),
            },
            status=status,
        )
    )


def _link_post(request, token: str):
    with transaction.atomic():
        # Locks the link: of two clicks at once, the second waits and then finds it used.
        action_link = links.verify_link(token, for_update=True)
        actor, connection = _link_connection(action_link)
        if connection is None:
            return _link_problem(request, "gone", status=410)
        # Then the referral and the connection, in the order the services lock them, so a step taken
        # meanwhile elsewhere (the inbox, the link worker withdrawing it) is seen before acting.
        Referral.objects.select_for_update(of=("self",)).get(pk=connection.referral_id)
        Connection.objects.select_for_update(of=("self",)).get(pk=connection.pk)
        connection = _visible_connection(actor, connection.pk)
        problem = _no_longer_acts(request, actor, action_link, connection)
        if problem is not None:
            return problem
        step = LINK_STEP[action_link.action]
        # Only the link's own step is read from the form: whatever else is posted is ignored.
        form = _new_form(step, connection, data=request.POST)
        if form.is_valid():
            try:
                _perform(step, form, connection=connection, actor=actor)
            except ReferralError as error:
                add_domain_error(form, error)
        if form.errors:
            _audit_link_view(actor, action_link, connection, "provider summary (emailed link)")
            return _render_link_form(request, connection, step, form)
        action_link.used_at = timezone.now()
        action_link.save(update_fields=["used_at"])
        connection = _visible_connection(actor, connection.pk)
        next_url, emailed = "", False
        if action_link.action in links.NEXT_LINK:
            # The same link as the email just sent carries (a new one only if no email went); a path, not the
            # absolute URL: the page is already on this site.
            next_link, emailed = links.next_step_link(connection, links.NEXT_LINK[action_link.action])
            next_url = urlsplit(next_link).path
        _audit_link_view(actor, action_link, connection, "provider summary (emailed link, done)")
        action = _service_action(step, form)
        context = {
            "summary": provider_summary(connection),
            "action": action,
            "title": LINK_DONE_TITLES[action],
            "message": _done_message(action),
            "next_url": next_url,
            "next_emailed": emailed,
            # Booking straight after accepting: the form is on this page, posting to the next step's link.
            "next_form": (_new_form(LINK_STEP["book_first_session"], connection)
                          if next_url and links.NEXT_LINK[action_link.action] == "book_first_session" else None),
            "next_action": links.NEXT_LINK.get(action_link.action, ""),
            "sign_in_url": _sign_in_url(),
        }
    return _private(render(request, "referrals/provider/link_done.html", context))


urlpatterns = [
    path("", inbox, name="provider_inbox"),
    # One item of the inbox: one connection, by its id (found only if the provider may see it).
    path("connections/<id:pk>/", connection_page, name="provider_connection"),
    # One address per step (not "<step>/"), so walking the URL patterns finds every one.
    *[
        path(f"connections/<id:pk>/{step}/", connection_step, {"step": step}, name=step_url_name(step))
        for step in STEPS
    ],
    path("link/<str:token>/", link, name="provider_link"),
]
