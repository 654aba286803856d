"""The link worker's casework on the referral page: contacts (record, book, their result, discharging as
"could not be contacted") and safeguarding concerns (raise, resolve).

Each is a small POST form on the team's referral page: the service runs, then back to the page
(post-redirect-get); a refusal shows the page again with the form and its errors. Providers never
reach these (``team_referrals_visible_to``); who may act is ``referrals.permissions``, asked before the
form is read and again by the services (someone who may not act at all gets a 403).
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from referrals import contacts, permissions, safeguarding
from referrals.choices import ContactStatus, DischargeReason, StaffRole
from referrals.errors import ReferralError
from referrals.forms.casework import (
    ConcernRaiseForm,
    ConcernResolveForm,
    ContactBookForm,
    ContactRecordForm,
    ContactResultForm,
    NotContactableForm,
)
from referrals.views.caseload import _referral, _render_referral
from referrals.views.common import add_domain_error, staff_view
from referrals.views.discharge import render_preview

TEAM = (StaffRole.LINK_WORKER, StaffRole.TRIAGE)
# Service functions name the contact's moment "at"; the forms take it as day, month, year and time.
_FIELD = {"at": "day"}


def _back(referral, anchor: str):
    return redirect(reverse("referrals:referral", kwargs={"pk": referral.pk}) + f"#{anchor}")


def _refused(form, error: ReferralError) -> None:
    add_domain_error(form, ReferralError(error.message, field=_FIELD.get(error.field, error.field)))


def _run(request, referral, *, key: str, form, run, done, anchor: str):
    if form.is_valid():
        try:
            result = run(form.cleaned_data)
        except ReferralError as error:
            _refused(form, error)
        else:
            said = done(result) if callable(done) else done
            level, text = said if isinstance(said, tuple) else (messages.SUCCESS, said)
            messages.add_message(request, level, text)
            return _back(referral, anchor)
    return _render_referral(request, referral, failed=(key, form))


@require_POST
@staff_view(*TEAM)
def contact_record(request, pk: int):
    referral = _referral(request, pk)
    permissions.check_may_record_contacts(request.actor, referral)

    def run(data):
        return contacts.contact_record(
            referral=referral, actor=request.actor, at=data["at"], method=data["method"], status=data["status"],
            duration_minutes=data["duration_minutes"], note=data["note"], is_review=data["is_review"],
        )

    def done(contact):
        if contact.status == ContactStatus.HELD:
            return _("Contact recorded.")
        return _("Recorded: %(status)s.") % {"status": contact.get_status_display().lower()}

    return _run(request, referral, key="contact_record", form=ContactRecordForm(request.POST, prefix="contact"),
                run=run, done=done, anchor="contacts")


@require_POST
@staff_view(*TEAM)
def contact_book(request, pk: int):
    referral = _referral(request, pk)
    permissions.check_may_record_contacts(request.actor, referral)

    def run(data):
        return contacts.contact_book(referral=referral, actor=request.actor, at=data["at"], method=data["method"],
                                     note=data["note"], is_review=data["is_review"])

    def done(contact):
        return _("Contact booked for %(when)s. The person is reminded the day before.") % {
            "when": contacts.when_in_words(contact.at)}

    return _run(request, referral, key="contact_book", form=ContactBookForm(request.POST, prefix="book"),
                run=run, done=done, anchor="contacts")


@require_POST
@staff_view(*TEAM)
def contact_result(request, pk: int, contact_pk: int):
    referral = _referral(request, pk)
    permissions.check_may_record_contacts(request.actor, referral)
    contact = get_object_or_404(referral.contacts.all(), pk=contact_pk)

    def run(data):
        return contacts.contact_record_result(contact=contact, actor=request.actor, status=data["status"],
                                              duration_minutes=data["duration_minutes"], note=data["note"])

    def done(result):
        return _("Recorded: %(status)s.") % {"status": result.get_status_display().lower()}

    return _run(request, referral, key=f"contact_result-{contact.pk}",
                form=ContactResultForm(request.POST, prefix=f"result-{contact.pk}"), run=run, done=done,
                anchor="contacts")


@require_POST
@staff_view(*TEAM)
def not_contactable(request, pk: int):
    """Discharge as "could not be contacted" once enough attempts failed: through the same summary to check
    as any discharge (``referrals.views.discharge``)."""
    referral = _referral(request, pk)
    permissions.check_may_record_contacts(request.actor, referral)
    form = NotContactableForm(request.POST, prefix="not_contactable")
    if form.is_valid():
        note = form.cleaned_data["note"]
        try:
            summary = contacts.discharge_not_contactable_preview(referral=referral, actor=request.actor, note=note)
        except ReferralError as error:
            _refused(form, error)
        else:
            return render_preview(request, referral, summary=summary, reason=DischargeReason.NOT_CONTACTABLE,
                                  note=note)
    return _render_referral(request, referral, failed=("not_contactable", form))


@require_POST
@staff_view(*TEAM)
def concern_raise(request, pk: int):
    referral = _referral(request, pk)
    permissions.check_may_handle_safeguarding(request.actor, referral)

    def run(data):
        return safeguarding.concern_raise(referral=referral, actor=request.actor, concern=data["concern"],
                                          action_taken=data["action_taken"])

    def done(raised):
        if raised.lead_missing:
            return messages.WARNING, _("Safeguarding concern recorded. This service has no safeguarding lead's email address, so "
                     "%(told)s was told instead: make sure the lead knows.") % {"told": raised.told}
        return _("Safeguarding concern recorded. %(told)s has been told.") % {"told": raised.told[:1].upper() +
                                                                              raised.told[1:]}

    return _run(request, referral, key="concern_raise", form=ConcernRaiseForm(request.POST, prefix="concern"),
                run=run, done=done, anchor="safeguarding")


@require_POST
@staff_view(*TEAM)
def concern_resolve(request, pk: int, concern_pk: int):
    referral = _referral(request, pk)
    permissions.check_may_handle_safeguarding(request.actor, referral)
    concern = get_object_or_404(referral.safeguarding_concerns.all(), pk=concern_pk)

    def run(data):
        return safeguarding.concern_resolve(concern=concern, actor=request.actor, resolution=data["resolution"])

    return _run(request, referral, key=f"concern_resolve-{concern.pk}",
                form=ConcernResolveForm(request.POST, prefix=f"resolve-{concern.pk}"), run=run,
                done=_("Safeguarding concern resolved."), anchor="safeguarding")


urlpatterns = [
    path("<id:pk>/contacts/", contact_record, name="contact_record"),
    path("<id:pk>/contacts/book/", contact_book, name="contact_book"),
    path("<id:pk>/contacts/<id:contact_pk>/result/", contact_result, name="contact_result"),
    path("<id:pk>/contacts/not-contactable/", not_contactable, name="contact_not_contactable"),
    path("<id:pk>/safeguarding/", concern_raise, name="concern_raise"),
    path("<id:pk>/safeguarding/<id:concern_pk>/resolve/", concern_resolve, name="concern_resolve"),
]
