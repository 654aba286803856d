"""The resident's details, asked the same way by the self-referral form and the staff form.

A ``ModelForm`` on ``Resident``, so ``Resident.clean`` (the contact route needs its matching
email, phone or address) and the NHS number's check digit are checked here, beside the
fields, before anything is saved; the service functions check them again.
"""

from __future__ import annotations

from datetime import date

from django import forms
from django.forms.utils import ErrorDict
from django.utils import timezone

from directory.postcodes import PostcodeError, normalise_postcode
from primarycare.selectors import practice_by_ods_code
from referrals.forms.practices import (
    FIND_BUTTON,
    NOT_LISTED,
    NOT_REGISTERED,
    STAFF_WORDS,
    PracticeWords,
    practice_options,
)
from referrals.models import Resident
from referrals.validators import normalise_nhs_number, validate_nhs_number


class Radios(forms.RadioSelect):
    """Radios whose field links (from the error summary) to the first option."""

    def id_for_label(self, id_, index=None):
        return super().id_for_label(id_, "0" if index is None else index)


class Checkboxes(forms.CheckboxSelectMultiple):
    """Checkboxes whose field links (from the error summary) to the first option."""

    def id_for_label(self, id_, index=None):
        return super().id_for_label(id_, "0" if index is None else index)


class DateInput(forms.MultiWidget):
    """The NHS.UK date input: day, month and year as three short text boxes (no calendar to fight)."""

    PARTS = (("day", "Day", 2, "bday-day"), ("month", "Month", 2, "bday-month"), ("year", "Year", 4, "bday-year"))

    def __init__(self, attrs=None):
        widgets = {
            name: forms.TextInput(attrs={"inputmode": "numeric"}) for name, _, _, _ in self.PARTS
        }
        super().__init__(widgets, attrs)

    def decompress(self, value):
        if isinstance(value, date):
            return [str(value.day), str(value.month), str(value.year)]
        return [None, None, None]

    def id_for_label(self, id_):
        # The error summary links to the day box, where a person starts typing.
        return f"{id_}_0" if id_ else ""


class DateOfBirthField(forms.MultiValueField):
    """A date of birth from day, month and year boxes, with errors that say which part is wrong."""

    widget = DateInput

    def __init__(self, *, what: str = "Date of birth", **kwargs):
        self.what = what
        parts = (forms.CharField(required=False), forms.CharField(required=False), forms.CharField(required=False))
        kwargs.setdefault("error_messages", {"required": f"Enter {what[0].lower()}{what[1:]}"})
        super().__init__(fields=parts, require_all_fields=False, **kwargs)

    def compress(self, data_list):
        if not data_list or not any(part.strip() for part in data_list if part):
            return None
        day, month, year = ((part or "").strip() for part in data_list)
        missing = [name for name, value in (("day", day), ("month", month), ("year", year)) if not value]
        if missing:
            raise forms.ValidationError(f"{self.what} must include a {' and a '.join(missing)}", code="incomplete")
        if not (day.isdigit() and month.isdigit() and year.isdigit()):
            raise forms.ValidationError(f"{self.what} must be a real date, in numbers, like 27 3 1958", code="invalid")
        if len(year) != 4:
            raise forms.ValidationError("Year must include 4 numbers, like 1958", code="invalid_year")
        try:
            value = date(int(year), int(month), int(day))
        except (ValueError, OverflowError):  # OverflowError: a day or month of many digits
            raise forms.ValidationError(f"{self.what} must be a real date", code="invalid") from None
        if value >= timezone.localdate():
            raise forms.ValidationError(f"{self.what} must be in the past", code="future")
        if value.year < 1900:
            raise forms.ValidationError(f"{self.what} must be after 1900", code="too_early")
        return value


class ResidentDetailsForm(forms.ModelForm):
    """Who the person is and how to reach them. Labels speak to staff; ``SelfReferralForm`` says "you"."""

    date_of_birth = DateOfBirthField(required=False)
    # Longer than the model's 10: people type NHS numbers with spaces ("943 476 5919").
    nhs_number = forms.CharField(
        label="NHS number (optional)", required=False, max_length=20,
        help_text="10 digits, for example 943 476 5919.",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "spellcheck": "false"}),
    )
    postcode = forms.CharField(label="Postcode", required=False, max_length=16, help_text="For example, BH15 1AB")
    # The GP practice chooser (``referrals.forms.practices``): what was searched for, and the answer:
    # a practice's ODS code, NOT_REGISTERED, or NOT_LISTED (then ``gp_practice`` holds its name as written).
    practice_query = forms.CharField(
        label="Search by practice name, code or postcode", required=False, max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    practice_choice = forms.CharField(required=False, max_length=20, widget=Radios)
    practice_words: PracticeWords = STAFF_WORDS

    # The fields the service functions take, in the order the pages ask for them.
    RESIDENT_FIELDS = (
        "first_name", "last_name", "date_of_birth", "postcode", "address", "preferred_contact", "email", "phone",
        "language", "interpreter_needed", "accessibility_needs", "gp_practice", "nhs_number",
    )

    class Meta:
        model = Resident
        fields = [
            "first_name", "last_name", "date_of_birth", "postcode", "address", "preferred_contact", "email", "phone",
            "language", "interpreter_needed", "accessibility_needs", "gp_practice", "nhs_number",
        ]
        labels = {
            "first_name": "First name",
            "last_name": "Last name",
            "address": "Address",
            "preferred_contact": "How should we contact them?",
            "email": "Email address",
            "phone": "Phone number",
            "language": "Preferred language",
            "interpreter_needed": "They need an interpreter",
            "accessibility_needs": "Anything that would help them take part",
            "gp_practice": "GP practice (optional)",
        }
        help_texts = {
            "address": "",
            "accessibility_needs": "For example: uses a wheelchair, hard of hearing, finds reading difficult.",
        }
        widgets = {
            "first_name": forms.TextInput(attrs={"autocomplete": "given-name", "spellcheck": "false"}),
            "last_name": forms.TextInput(attrs={"autocomplete": "family-name", "spellcheck": "false"}),
            "address": forms.Textarea(attrs={"rows": 3, "autocomplete": "street-address"}),
            "preferred_contact": Radios,
            "email": forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
            "language": forms.TextInput(attrs={"autocomplete": "off"}),
            "accessibility_needs": forms.Textarea(attrs={"rows": 3}),
            "gp_practice": forms.TextInput(attrs={"autocomplete": "off"}),
        }
        error_messages = {
            "first_name": {"required": "Enter their first name"},
            "last_name": {"required": "Enter their last name"},
            "email": {"invalid": "Enter an email address in the right format, like name@example.com"},
            "preferred_contact": {"required": "Choose how we should contact them"},
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # "Find practice" sends the form back with the practices found; nothing is checked or saved.
        self.finding_practice = self.is_bound and FIND_BUTTON in self.data
        self.chosen_practice = None
        self.fields["gp_practice"].label = self.practice_words.written_label
        self.fields["gp_practice"].help_text = ""
        self.fields["preferred_contact"].choices = [
            choice for choice in self.fields["preferred_contact"].choices if choice[0]
        ]
        if self.instance.pk is None:
            # No route chosen for them: the model's default is not the person's choice.
            self.initial.pop("preferred_contact", None)
            self.fields["preferred_contact"].initial = None
        self.fields["postcode"].widget.attrs.update({"autocomplete": "postal-code", "spellcheck": "false"})

    def clean_postcode(self) -> str:
        value = self.cleaned_data.get("postcode", "")
        if not value.strip():
            if self.fields["postcode"].required:
                raise forms.ValidationError(self.fields["postcode"].error_messages["required"], code="required")
            return ""
        try:
            return normalise_postcode(value)
        except PostcodeError as error:
            raise forms.ValidationError(str(error), code="invalid") from None

    def full_clean(self):
        if self.finding_practice:
            # Searching is not sending: no errors yet for what is still to be filled in.
            self._errors = ErrorDict()
            self.cleaned_data = {}
            return
        super().full_clean()

    def is_valid(self) -> bool:
        return not self.finding_practice and super().is_valid()

    def clean_practice_choice(self) -> str:
        value = (self.cleaned_data.get("practice_choice") or "").strip()
        if value in ("", NOT_REGISTERED, NOT_LISTED):
            return value
        practice = practice_by_ods_code(value)
        if practice is None or not practice.is_open:
            # Only a tampered or stale form names a practice the list never offered.
            raise forms.ValidationError(self.practice_words.choose_from_list, code="invalid_choice")
        self.chosen_practice = practice
        return practice.ods_code

    def clean(self):
        data = super().clean()
        choice = data.get("practice_choice")
        written = (data.get("gp_practice") or "").strip()
        if choice == NOT_LISTED and not written:
            self.add_error("gp_practice", self.practice_words.enter_written)
        elif choice == "" and not written and (data.get("practice_query") or "").strip():
            # Searched, but chose nothing: the matches are on the page again beside this message.
            self.add_error("practice_choice", self.practice_words.choose_from_list)
        return data

    def practice_fields(self) -> dict:
        """The resident's practice, not registered, or the practice as written (only one of the three)."""
        choice = self.cleaned_data.get("practice_choice", "")
        written = (self.cleaned_data.get("gp_practice") or "").strip()
        if self.chosen_practice is not None:
            return {"practice": self.chosen_practice, "has_no_gp": False, "gp_practice": ""}
        if choice == NOT_REGISTERED:
            return {"practice": None, "has_no_gp": True, "gp_practice": ""}
        return {"practice": None, "has_no_gp": False, "gp_practice": written}

    def practice_picker(self) -> dict:
        """What the chooser's template shows (``referrals/includes/practice_picker.html``)."""
        choice = self["practice_choice"]
        value = str(choice.value() or "").strip()
        chosen = self.chosen_practice
        if chosen is None and value not in ("", NOT_REGISTERED, NOT_LISTED):
            candidate = practice_by_ods_code(value)
            chosen = candidate if candidate is not None and candidate.is_open else None
        return {
            "words": self.practice_words,
            **practice_options(
                query=str(self["practice_query"].value() or ""), chosen=chosen, base_id=choice.auto_id,
                name=choice.html_name, value=value,
            ),
        }

    def clean_nhs_number(self) -> str:
        value = normalise_nhs_number(self.cleaned_data.get("nhs_number", ""))
        validate_nhs_number(value)
        return value

    def clean_language(self) -> str:
        return (self.cleaned_data.get("language") or "").strip() or "English"

    def _post_clean(self):
        super()._post_clean()
        if not self.cleaned_data.get("preferred_contact"):
            # No way chosen: the model checked its default route, which nobody chose. "Choose how we
            # should contact you" is the one thing to say; no detail is missing yet.
            # (The model's route errors have no code; a mistyped email's "invalid" stays.)
            for name in ("email", "phone", "address"):
                if name in self._errors:
                    kept = [error for error in self._errors[name].as_data() if error.code is not None]
                    if kept:
                        self._errors[name].data[:] = kept
                    else:
                        del self._errors[name]
        # One message per field: a mistyped email need not also be told it is missing.
        for errors in self._errors.values():
            del errors.data[1:]

    def resident_fields(self) -> dict:
        """The resident's details, cleaned, for ``services.resident_create``."""
        fields = {name: self.cleaned_data[name] for name in self.RESIDENT_FIELDS if name in self.cleaned_data}
        return {**fields, **self.practice_fields()}

    def date_of_birth_parts(self) -> list[dict]:
        """Day, month and year boxes for the NHS.UK date input, with what was typed in them."""
        bound = self["date_of_birth"]
        value = bound.value()
        if not isinstance(value, (list, tuple)):
            value = DateInput().decompress(value)
        base_id = bound.auto_id
        return [
            {
                "name": f"{bound.html_name}_{name}",
                "id": f"{base_id}_{index}",
                "label": label,
                "width": width,
                "autocomplete": autocomplete,
                "value": value[index] or "",
            }
            for index, (name, label, width, autocomplete) in enumerate(DateInput.PARTS)
        ]


def chosen_values(bound_field) -> set[str]:
    """The values ticked in a multiple-choice field, as strings (submitted or initial)."""
    value = bound_field.value() or []
    if not isinstance(value, (list, tuple, set)):
        value = [value]
    return {str(getattr(item, "pk", item)) for item in value}


def need_option(bound_field, term, index: int) -> dict:
    """One need as a checkbox: the first option's id is the one the error summary links to."""
    return {
        "id": f"{bound_field.auto_id}_{index}",
        "name": bound_field.html_name,
        "value": str(term.pk),
        "label": term.name,
        "hint": term.description,
        "checked": str(term.pk) in chosen_values(bound_field),
    }
