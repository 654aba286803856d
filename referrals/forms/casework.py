"""The link worker's casework forms on a referral: contacts (record, book, their result, closing as not
contactable) and safeguarding concerns (raise, resolve).

They only read input: a date as day, month and year and a time as people type it (as the provider's
"propose a first session" form does), a method and a result as radios. Whether it may happen, and
the rules (a held contact cannot be in the future, a duration of 1 to 600 minutes), are
``referrals.contacts`` and ``referrals.safeguarding``; the views show their refusals beside these fields.
"""

from __future__ import annotations

from datetime import date, datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from referrals.choices import ContactMethod, ContactStatus
from referrals.forms.provider import parse_time
from referrals.forms.triage import Radios

NOTE_MAX = 5000
_DURATION_ERROR = _("Enter how long the contact lasted as a number of minutes from 1 to 600 (10 hours).")


class DateTimeFields(forms.Form):
    """A date (day, month, year) and a time, combined into ``cleaned_data["at"]`` (UK time)."""

    day = forms.CharField(label=_("Day"), required=False, max_length=2)
    month = forms.CharField(label=_("Month"), required=False, max_length=2)
    year = forms.CharField(label=_("Year"), required=False, max_length=4)
    time = forms.CharField(label=_("Time"), required=False, max_length=10, help_text=_("For example, 10:30 or 2pm"))

    def clean(self):
        data = super().clean()
        data["at"] = None
        day, month, year = (str(data.get(part) or "").strip() for part in ("day", "month", "year"))
        on = None
        if not (day or month or year):
            self.add_error("day", _("Enter the date of the contact."))
        elif not (day and month and year):
            missing = [name for name, value in (("day", day), ("month", month), ("year", year)) if not value]
            self.add_error("day", _("The date must include a %(parts)s.") % {"parts": " and a ".join(missing)})
        else:
            try:
                if len(year) != 4:
                    raise ValueError
                on = date(int(year), int(month), int(day))
            except ValueError:
                self.add_error("day", _("The date must be a real date, for example 14 3 2027."))
        text = str(data.get("time") or "").strip()
        at = parse_time(text)
        if not text:
            self.add_error("time", _("Enter the time of the contact."))
        elif at is None:
            self.add_error("time", _("Enter a real time, for example 10:30 or 2pm."))
        if on is not None and at is not None:
            data["at"] = timezone.make_aware(datetime.combine(on, at))
        return data


def _method_field():
    return forms.ChoiceField(
        label=_("How"), choices=ContactMethod.choices, widget=Radios,
        error_messages={"required": _("Choose how the contact was made (face to face, phone, video and so on)."),
                        "invalid_choice": _("Choose how the contact was made (face to face, phone, video and so on).")},
    )


def _duration_field():
    return forms.IntegerField(
        label=_("How long, in minutes"), required=False, min_value=1, max_value=600,
        help_text=_("Needed for a contact that was held."),
        error_messages={"invalid": _DURATION_ERROR, "min_value": _DURATION_ERROR, "max_value": _DURATION_ERROR},
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )


def _note_field(label=_("Note (optional)"), help_text=_("For the social prescribing team: never shown to providers.")):
    return forms.CharField(label=label, required=False, max_length=NOTE_MAX, help_text=help_text,
                           widget=forms.Textarea(attrs={"rows": 3}))


def _is_review_field():
    return forms.BooleanField(
        label=_("This is the review before discharge (where the “after” wellbeing scores are collected)"),
        required=False,
    )


class _NeedsDurationWhenHeld:
    def _check_duration(self, data):
        if data.get("status") == ContactStatus.HELD and data.get("duration_minutes") is None \
                and "duration_minutes" not in self.errors:
            self.add_error("duration_minutes", _("Enter how long the contact lasted, in minutes."))


class ContactRecordForm(_NeedsDurationWhenHeld, DateTimeFields):
    """A contact (or an attempt to reach the person) that has happened and was not booked."""

    field_order = ["status", "day", "month", "year", "time", "method", "duration_minutes", "is_review", "note"]

    status = forms.ChoiceField(
        label=_("What happened"),
        choices=[(ContactStatus.HELD, _("Held: we spoke or met")),
                 (ContactStatus.COULD_NOT_REACH, _("Could not reach them (no answer, wrong number)")),
                 (ContactStatus.DID_NOT_ATTEND, _("They did not attend"))],
        widget=Radios,
        error_messages={"required": _("Say what happened."), "invalid_choice": _("Say what happened.")},
    )
    method = _method_field()
    duration_minutes = _duration_field()
    is_review = _is_review_field()
    note = _note_field()

    def clean(self):
        data = super().clean()
        self._check_duration(data)
        return data


class ContactBookForm(DateTimeFields):
    """The next contact, in the future: the person is reminded the day before."""

    field_order = ["day", "month", "year", "time", "method", "is_review", "note"]

    method = _method_field()
    is_review = _is_review_field()
    note = _note_field()


class ContactResultForm(_NeedsDurationWhenHeld, forms.Form):
    """What became of a booked contact."""

    status = forms.ChoiceField(
        label=_("What happened"),
        choices=[(ContactStatus.HELD, _("Held: we spoke or met")),
                 (ContactStatus.DID_NOT_ATTEND, _("They did not attend")),
                 (ContactStatus.COULD_NOT_REACH, _("Could not reach them")),
                 (ContactStatus.CANCELLED, _("Cancelled"))],
        widget=Radios,
        error_messages={"required": _("Say what happened."), "invalid_choice": _("Say what happened.")},
    )
    duration_minutes = _duration_field()
    note = _note_field()

    def clean(self):
        data = super().clean()
        self._check_duration(data)
        return data


class NotContactableForm(forms.Form):
    note = _note_field(label=_("Summary for the record (optional)"),
                       help_text=_("If the person agreed, the referrer is told that they could not be contacted."))


class ConcernRaiseForm(forms.Form):
    concern = forms.CharField(
        label=_("What is the concern?"), max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Describe the concern.")},
    )
    action_taken = _note_field(label=_("What you have done so far (optional)"),
                               help_text=_("For example, who you called and what they said."))


class ConcernResolveForm(forms.Form):
    resolution = forms.CharField(
        label=_("How was it resolved?"), max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say how the concern was resolved.")},
    )
