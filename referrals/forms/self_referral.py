"""The public self-referral form: the resident's details in their own words, what they would like
help with, and their consent.

The postcode decides which social prescribing service the referral goes to; a postcode no
service covers is refused here, beside the field, before anything is saved.
"""

from __future__ import annotations

from django import forms

from common.bounds import parse_id
from directory.models import NeedTerm
from referrals.choices import ConsentPurpose
from referrals.forms.practices import RESIDENT_WORDS
from referrals.forms.residents import (
    Checkboxes,
    Radios,
    ResidentDetailsForm,
    need_option,
)
from referrals.intake import service_for_postcode

# Said to the person, so "you" rather than "they".
_LABELS = {
    "first_name": ("First name", ""),
    "last_name": ("Last name", ""),
    "postcode": (
        "Postcode",
        "We use this to find the social prescribing team for where you live. For example, BH15 1AB",
    ),
    "address": ("Address", "Only needed if you would like us to write to you."),
    "preferred_contact": ("How would you like us to contact you?", ""),
    "email": ("Email address", "Needed if you would like us to email you."),
    "phone": ("Phone number", "Needed if you would like a text message or a phone call. A mobile number for texts."),
    "language": ("What language would you like to use?", "Leave this blank for English."),
    "interpreter_needed": ("I would like an interpreter", ""),
    "accessibility_needs": (
        "Is there anything that would help you take part? (optional)",
        "For example: you use a wheelchair, you are hard of hearing, you find reading difficult, "
        "or you would like someone to go with you the first time.",
    ),
    "gp_practice": ("The name of your GP practice", "For example, Harbour Surgery."),
    "nhs_number": (
        "Your NHS number (optional)",
        "A 10 digit number, like 943 476 5919. It is on letters from the NHS and in the NHS App. "
        "Leave this blank if you do not know it.",
    ),
}

_REQUIRED = {
    "first_name": "Enter your first name",
    "last_name": "Enter your last name",
    "postcode": "Enter your postcode",
    "preferred_contact": "Choose how we should contact you",
}

# Said only once a way is chosen and its detail is missing (the way itself is asked first).
DETAIL_MISSING = {
    "email": "Enter an email address",
    "phone": "Enter a phone number",
    "address": "Enter your address",
}

NOT_COVERED = (
    "We do not cover this area yet. Your GP practice can tell you about social prescribing where you live."
)


class SelfReferralForm(ResidentDetailsForm):
    practice_words = RESIDENT_WORDS

    needs = forms.ModelMultipleChoiceField(
        label="What would you like help with?",
        queryset=NeedTerm.objects.none(),
        required=False,
        widget=Checkboxes,
        help_text="Choose all that apply.",
    )
    what_matters = forms.CharField(
        label="Tell us what matters to you (optional)",
        help_text="In your own words: what would you like to change, or what would make life better for you?",
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    # The activity the person was looking at when they chose to refer themselves: kept as what
    # they are interested in; the link worker chooses the activity with them.
    # Only a hint: an id that names nothing is dropped, never an error the person cannot see or fix.
    activity = forms.CharField(required=False, widget=forms.HiddenInput)
    consent_referral = forms.BooleanField(
        label="I agree to being referred to the social prescribing service",
        error_messages={"required": "Tick the box to agree to being referred, so that we can help you"},
    )
    consent_share_with_provider = forms.BooleanField(
        label="I agree that the social prescribing team may share my name and contact details with a group or "
        "activity I choose, so that they can arrange my first visit (optional)",
        required=False,
    )
    # The person says yes or no. Unanswered, nothing is recorded: the practice is told unless they say no
    # (issue 13: "unless the person withheld consent"), as the hint says.
    consent_share_with_gp = forms.ChoiceField(
        label="Can we tell your GP practice that you were referred and how it went?",
        help_text="Your practice would get a short summary: that you were referred, what you were connected to "
        "and how it went, so that your doctor knows. If you do not answer, we will tell them.",
        choices=[("yes", "Yes"), ("no", "No")],
        required=False,
        widget=Radios,
    )
    # The honeypot: hidden from people (and from screen readers); a robot fills it in. The view
    # looks at it before anything else (``referrals.intake.honeypot_filled``).
    website = forms.CharField(label="Leave this blank", required=False)

    def __init__(self, *args, activity=None, **kwargs):
        super().__init__(*args, **kwargs)
        for name, (label, help_text) in _LABELS.items():
            self.fields[name].label = label
            self.fields[name].help_text = help_text
        for name, message in _REQUIRED.items():
            self.fields[name].required = True
            self.fields[name].error_messages["required"] = message
        self.fields["language"].required = False  # blank is English (``clean_language``)
        self.fields["date_of_birth"].required = True
        self.fields["date_of_birth"].error_messages["required"] = "Enter your date of birth"
        self.fields["date_of_birth"].help_text = "For example, 27 3 1958"
        self.fields["preferred_contact"].error_messages["invalid_choice"] = _REQUIRED["preferred_contact"]
        self.fields["needs"].queryset = NeedTerm.objects.filter(parent=None).order_by("name")
        self.fields["email"].error_messages["invalid"] = (
            "Enter an email address in the right format, like name@example.com"
        )
        self.service = None
        self.interested_in = activity

    def clean_activity(self):
        return parse_id(self.cleaned_data["activity"])

    def clean(self):
        data = super().clean()
        postcode = data.get("postcode")
        if postcode:
            self.service = service_for_postcode(postcode)
            if self.service is None:
                self.add_error("postcode", NOT_COVERED)
        if not data.get("needs") and not (data.get("what_matters") or "").strip() and not self.has_error("needs"):
            self.add_error(
                "needs", "Choose at least one thing you would like help with, or tell us in your own words below"
            )
        return data

    def _post_clean(self):
        super()._post_clean()
        # The model's words ("..., or choose another way to be contacted") are for staff, who see
        # every way on one page; the person has chosen theirs, so name only what is missing.
        for name, message in DETAIL_MISSING.items():
            if name not in self._errors:
                continue
            errors = self._errors[name].as_data()
            typed_wrong = [error for error in errors if error.code is not None]  # "invalid" comes first
            self._errors[name].data[:] = typed_wrong or [forms.ValidationError(message, code="required")]

    def need_options(self) -> list[dict]:
        bound = self["needs"]
        return [need_option(bound, term, index) for index, term in enumerate(self.fields["needs"].queryset)]

    def what_matters_text(self) -> str:
        """What matters to the person, with the activity they asked about (if any) on the first line."""
        text = (self.cleaned_data.get("what_matters") or "").strip()
        if self.interested_in is not None:
            asked = f"Asked about: {self.interested_in.title} ({self.interested_in.organisation.title})"
            text = f"{asked}\n\n{text}" if text else asked
        return text

    def consents(self) -> dict[str, bool]:
        """What the person agreed to or refused; the GP question only if they answered it."""
        data = self.cleaned_data
        consents = {
            ConsentPurpose.REFERRAL: data["consent_referral"],
            ConsentPurpose.SHARE_WITH_PROVIDER: data["consent_share_with_provider"],
        }
        if data.get("consent_share_with_gp") in ("yes", "no"):
            consents[ConsentPurpose.SHARE_WITH_GP] = data["consent_share_with_gp"] == "yes"
        return consents
