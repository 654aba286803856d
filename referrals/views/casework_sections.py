"""The casework sections of the team's referral page: contacts and safeguarding.

Built here (and not in ``caseload``) so the views that post to them (``referrals.views.casework``)
can show the page again with a refused form, without the two view modules importing each other.
The page is the team's only (``permissions.team_referrals_visible_to``): providers never reach it.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from referrals import permissions, selectors
from referrals.choices import ContactStatus, DischargeReason
from referrals.choices import ReferralStatus as S
from referrals.contacts import TAKES_CONTACTS
from referrals.forms.casework import (
    ConcernRaiseForm,
    ConcernResolveForm,
    ContactBookForm,
    ContactRecordForm,
    ContactResultForm,
    NotContactableForm,
)
from referrals.safeguarding import where_the_lead_is_told


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
        records and not progress.held and attempts >= needed and permissions.can(actor, referral, "close")
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
