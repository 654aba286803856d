"""The casework sections of the team's referral page: contacts, safeguarding, connections and discharge.

Built here (and not in ``caseload``) so the views that post to them (``referrals.views.casework``,
``referrals.views.connections``, ``referrals.views.discharge``) can show the page again with a refused
form, without the view modules importing each other. The page is the team's only
(``permissions.team_referrals_visible_to``): providers never reach it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from django import forms
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy

from referrals import permissions, selectors, services
from referrals.choices import (
    ConnectionStatus,
    ContactStatus,
    DischargeReason,
    ReferralStatus,
)
from referrals.choices import ReferralStatus as S
from referrals.contacts import TAKES_CONTACTS
from referrals.forms.caseload import (
    ChooseActivityForm,
    ConnectActivityForm,
    DischargeForm,
    NoteForm,
    ReasonForm,
    SignpostForm,
    SignpostOutcomeForm,
    WithdrawForm,
)
from referrals.forms.casework import (
    ConcernRaiseForm,
    ConcernResolveForm,
    ContactBookForm,
    ContactRecordForm,
    ContactResultForm,
    NotContactableForm,
)
from referrals.models import DischargeSummary
from referrals.person_search import called, what_matters
from referrals.safeguarding import where_the_lead_is_told
from referrals.workflow import (
    ALL_STEPS,
    ATTENDANCE_STEPS,
    CONNECTING,
    CONNECTION_OPEN,
    WITH_PROVIDER,
    first_session_started,
)


def _form(failed, key: str, make):
    failed_key, failed_form = failed or (None, None)
    return failed_form if failed_key == key else make()


def casework_context(request, referral, *, failed=None) -> dict:
    """What the contacts and safeguarding sections show: the lists, and the forms this person may use."""
    actor = request.actor
    now = timezone.now()
    records = permissions.may_record_contacts(actor, referral) and referral.status in TAKES_CONTACTS
    contacts = selectors.contacts_of(referral)
    for contact in contacts:
        contact.is_due = contact.status == ContactStatus.BOOKED
        contact.has_happened = contact.at <= now
        if records and contact.is_due:
            key = f"contact_result-{contact.pk}"
            contact.result_form = _form(failed, key, lambda c=contact: ContactResultForm(prefix=f"result-{c.pk}"))
            contact.result_url = reverse("referrals:contact_result", kwargs={"pk": referral.pk, "contact_pk": contact.pk})
            contact.result_open = bool(contact.result_form.errors)
    progress = selectors.contact_progress([referral], now=now)[referral.pk]
    attempts = selectors.failed_contact_attempts(referral) if not progress.held else 0
    needed = referral.service.attempts_before_not_contactable
    may_close = (
        records and not progress.held and attempts >= needed and permissions.can(actor, referral, "discharge")
    )
    concerns = selectors.safeguarding_concerns_of(referral)
    handles = permissions.may_handle_safeguarding(actor, referral)
    for concern in concerns:
        if handles and concern.is_open:
            key = f"concern_resolve-{concern.pk}"
            concern.resolve_form = _form(failed, key, lambda c=concern: ConcernResolveForm(prefix=f"resolve-{c.pk}"))
            concern.resolve_url = reverse("referrals:concern_resolve", kwargs={"pk": referral.pk,
                                                                             "concern_pk": concern.pk})
    record_form = _form(failed, "contact_record", lambda: ContactRecordForm(prefix="contact"))
    book_form = _form(failed, "contact_book", lambda: ContactBookForm(prefix="book"))
    raise_form = _form(failed, "concern_raise", lambda: ConcernRaiseForm(prefix="concern"))
    told, lead_missing = where_the_lead_is_told(referral.service)
    return {
        "contacts": contacts,
        "contact_progress": progress,
        "contact_attempts": attempts,
        "contact_attempts_needed": needed,
        "records_contacts": records,
        "contact_record_form": record_form if records else None,
        # The first contact is the next step: the form is shown open until one is held.
        "contact_record_open": records and (bool(record_form.errors) or referral.status == S.TRIAGED),
        "contact_book_form": book_form if records else None,
        "not_contactable_form": _form(failed, "not_contactable", lambda: NotContactableForm(prefix="not_contactable"))
        if may_close else None,
        "not_contactable_outcome": DischargeReason.NOT_CONTACTABLE.label,
        "concerns": concerns,
        "open_concerns": [concern for concern in concerns if concern.is_open],
        "handles_safeguarding": handles,
        "concern_raise_form": raise_form if handles else None,
        "safeguarding_told": told,
        "safeguarding_lead_missing": lead_missing,
    }


# Connections ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConnectionStep:
    """A step the team takes on one connection: its form, the service it calls, and its words."""

    form: type[forms.Form]
    run: Callable  # (connection, actor, cleaned_data)
    heading: str
    button: str
    done: str
    hint: str = ""
    secondary: bool = False  # an ending step: a grey button, never the first thing met


CONNECTION_STEPS: dict[str, ConnectionStep] = {
    "send_to_provider": ConnectionStep(
        NoteForm,
        lambda c, a, d: services.connection_send_to_provider(connection=c, actor=a, note=d["note"]),
        gettext_lazy("Send to the provider"),
        gettext_lazy("Send the referral"),
        gettext_lazy("Referral sent. The provider has been told by email and in their Signpost inbox."),
        gettext_lazy("The provider sees the person's name, how to contact them, their needs and access needs: "
                     "never your notes."),
    ),
    "change_activity": ConnectionStep(
        ChooseActivityForm,
        lambda c, a, d: services.connection_change_activity(connection=c, actor=a, activity=d["activity"],
                                                            note=d["note"]),
        gettext_lazy("Change the activity"),
        gettext_lazy("Change to this activity"),
        gettext_lazy("Activity changed."),
        gettext_lazy("Before it is sent, you can choose another activity instead."),
    ),
    "mark_resident_notified": ConnectionStep(
        NoteForm,
        lambda c, a, d: services.connection_mark_resident_notified(connection=c, actor=a, note=d["note"]),
        gettext_lazy("Tell the person about the first session"),
        gettext_lazy("I have told them"),
        gettext_lazy("Recorded that the person knows about the first session."),
        gettext_lazy("For a phone call or a letter: once the person knows the date, time and place."),
    ),
    "record_attendance": ConnectionStep(
        NoteForm,
        lambda c, a, d: services.connection_record_attendance(connection=c, actor=a, note=d["note"]),
        gettext_lazy("They went to the first session"),
        gettext_lazy("Record attended"),
        gettext_lazy("Recorded that the person went to the first session."),
    ),
    "record_did_not_attend": ConnectionStep(
        NoteForm,
        lambda c, a, d: services.connection_record_did_not_attend(connection=c, actor=a, note=d["note"]),
        gettext_lazy("They did not go to the first session"),
        gettext_lazy("Record did not attend"),
        gettext_lazy("Recorded that the person did not go to the first session."),
    ),
    "cancel_first_session": ConnectionStep(
        ReasonForm,
        lambda c, a, d: services.connection_cancel_first_session(connection=c, actor=a, note=d["note"]),
        gettext_lazy("Cancel the first session"),
        gettext_lazy("Cancel first session"),
        gettext_lazy("First session cancelled. You can connect the person to another activity."),
        secondary=True,
    ),
    "record_signpost_outcome": ConnectionStep(
        SignpostOutcomeForm,
        lambda c, a, d: services.connection_record_signpost_outcome(connection=c, actor=a, outcome=d["outcome"],
                                                                    note=d["note"]),
        gettext_lazy("Record whether they took up the service"),
        gettext_lazy("Record the outcome"),
        gettext_lazy("Outcome of the signpost recorded."),
    ),
    "withdraw": ConnectionStep(
        WithdrawForm,
        lambda c, a, d: services.connection_withdraw(connection=c, actor=a, note=d["note"]),
        gettext_lazy("Withdraw"),
        gettext_lazy("Withdraw this connection"),
        gettext_lazy("Connection withdrawn."),
        secondary=True,
    ),
}
# The steps that move a connection forward: the first on offer is shown open.
FORWARD_CONNECTION_STEPS = ("send_to_provider", "mark_resident_notified", "record_attendance",
                            "record_signpost_outcome")


def connection_step_key(connection, action: str) -> str:
    """How a refused form on a connection is named between the view that ran it and the page."""
    return f"connection-{connection.number}-{action}"


def connection_step_prefix(connection, action: str) -> str:
    return f"c{connection.number}-{action}"


def connections_of(referral) -> list:
    return list(referral.connections.select_related("activity", "provider", "first_session").order_by("number"))


def connections_context(request, referral, *, connections, failed=None) -> dict:
    """The Connections section: each connection with what to do next and the forms this person may use,
    and the forms to connect the person to an activity or signpost them to a service."""
    actor = request.actor
    now = timezone.now()
    failed_key, failed_form = failed or (None, None)
    first_forward = ""
    for connection in connections:
        connection.status_tag = selectors.STATUS_TAG.get(connection.status, "grey")
        connection.next_step = selectors.CONNECTION_NEXT_STEP.get(connection.status, "") \
            if referral.is_open else ""
        connection.session_when = services.first_session_when(connection) if connection.first_session_at else ""
        started = first_session_started(connection, now=now)
        connection.attendance_later = False
        connection.steps = []
        for transition in permissions.next_connection_actions(actor, connection):
            step = CONNECTION_STEPS.get(transition.action)
            if step is None:
                continue
            if transition.action in ATTENDANCE_STEPS and not started:
                connection.attendance_later = True
                continue
            key = connection_step_key(connection, transition.action)
            if key == failed_key:
                form = failed_form
            else:
                initial = {"activity": connection.activity_id} if transition.action == "change_activity" else {}
                form = step.form(prefix=connection_step_prefix(connection, transition.action), initial=initial)
            connection.steps.append({
                "action": transition.action, "step": step, "form": form, "open": bool(form.errors),
                "url": reverse("referrals:connection_step", kwargs={"pk": referral.pk, "number": connection.number,
                                                                     "action": transition.action}),
            })
        forward = next((item for item in connection.steps if item["action"] in FORWARD_CONNECTION_STEPS), None)
        if forward is not None:
            # The step that moves it on comes first (and open): changing or withdrawing it comes after.
            connection.steps.sort(key=lambda item: item is not forward)
            if failed_form is None:
                forward["open"] = True
                first_forward = first_forward or f"connection-{connection.number}-{forward['action']}"
    may_connect = referral.status in CONNECTING and permissions.can(actor, referral, "choose_activity")
    may_signpost = referral.status in CONNECTING and permissions.can(actor, referral, "signpost")
    # Connecting is "Find activities for <name>" (referrals.views.find_for_person), whose results post this
    # form (``connect_activity``); it is never shown as a list of every activity in every area. A refused one shows in the
    # page's error summary.
    connect_form = failed_form if failed_key == "connect" else ConnectActivityForm(prefix="connect")
    signpost_form = failed_form if failed_key == "signpost" else SignpostForm(prefix="signpost")
    return {
        "connections": connections,
        "open_connections": [c for c in connections if c.status in CONNECTION_OPEN],
        "connect_form": connect_form if may_connect else None,
        # Connecting is the next step once the person is in support with nothing yet going on.
        "connect_open": may_connect and (bool(connect_form.errors) or not any(
            c.status in CONNECTION_OPEN for c in connections)),
        "signpost_form": signpost_form if may_signpost else None,
        # The page's "Next step" links to the step that moves a connection on, shown open.
        "next_step_anchor": first_forward,
        "person_name": called(referral.resident),
        "what_matters": what_matters(referral),
    }


# Discharge --------------------------------------------------------------------------------


def discharge_context(request, referral, *, connections, failed=None) -> dict:
    """The Discharge section: the form (reason, note) that leads to the summary's preview, what stands in
    its way (a provider still working, no review yet), or, once discharged, the final summary."""
    actor = request.actor
    failed_key, failed_form = failed or (None, None)
    may_discharge = permissions.can(actor, referral, "discharge")
    summary = None
    if referral.status == ReferralStatus.DISCHARGED:
        final = DischargeSummary.objects.filter(referral=referral).first()
        summary = summary_for_people(final.content) if final is not None else None
    form = failed_form if failed_key == "discharge" else DischargeForm(prefix="discharge")
    return {
        "may_discharge": may_discharge,
        "discharge_form": form if may_discharge else None,
        "discharge_open": may_discharge and (bool(form.errors) or referral.status == S.DECLINED_BY_PERSON),
        "with_provider": [c for c in connections if c.status in WITH_PROVIDER],
        "reviewed": selectors.has_held_review(referral),
        "discharge_summary": summary,
    }


def _when(value: str | None, with_time: bool = True) -> str:
    if not value:
        return ""
    moment = datetime.fromisoformat(value)
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return date_format(moment, "j F Y, H:i" if with_time else "j F Y")


def _day(value: str | None) -> str:
    return date_format(date.fromisoformat(value), "j F Y") if value else ""


def summary_for_people(content: dict) -> dict:
    """The discharge summary's content (``referrals.discharge``) with its dates and codes in words, for the
    preview and the discharged referral's page."""
    referral = dict(content.get("referral", {}))
    referral["received_words"] = _when(referral.get("received"))
    contacts = dict(content.get("contacts", {}))
    contacts["first_words"], contacts["last_words"] = _when(contacts.get("first")), _when(contacts.get("last"))
    connections = []
    for connection in content.get("connections", []):
        connection = dict(connection)
        connection["first_session_words"] = _when(connection.get("first_session"))
        attended = connection.get("attended_first_session")
        connection["attendance_words"] = (
            "" if connection.get("kind") == "signpost" else
            "Went to the first session" if attended else
            "Did not go to the first session" if attended is False else
            "Attendance not recorded" if connection.get("first_session") else ""
        )
        connections.append(connection)
    wellbeing = [row for row in content.get("wellbeing", [])]
    return {
        **content,
        "person": {**content.get("person", {}), "born_words": _day(content.get("person", {}).get("date_of_birth"))},
        "referral": referral,
        "contacts": contacts,
        "connections": connections,
        "wellbeing": wellbeing,
        "has_wellbeing": any(row.get("before") is not None or row.get("after") is not None for row in wellbeing),
    }


# The timeline -----------------------------------------------------------------------------


def described_events(events, connections) -> list:
    """The timeline's events, each with a heading and its statuses in words (a connection's step names its
    connection: "Connection 2: Sent to provider")."""
    numbers = {connection.pk: connection.number for connection in connections}
    for event in events:
        step = ALL_STEPS.get(event.action)
        on_connection = event.connection_id is not None
        labels = ConnectionStatus if on_connection else ReferralStatus
        if event.action == "create":
            heading = str(gettext_lazy("Referral received"))
        else:
            heading = (step.label if step is not None and step.label else event.action.replace("_", " ").capitalize())
        if on_connection and event.connection_id in numbers:
            heading = f"Connection {numbers[event.connection_id]}: {heading}"
        event.heading = heading
        event.from_label = _label(labels, event.from_status)
        event.to_label = _label(labels, event.to_status)
    return events


def _label(labels, value: str) -> str:
    try:
        return labels(value).label if value else ""
    except ValueError:
        return value
