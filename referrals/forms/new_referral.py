"""The staff form for a referral that arrives by phone, email or letter, keyed in by triage staff or
a link worker: the resident's details, who referred them, what they need, and their consent.
"""

from __future__ import annotations

from django import forms

from directory.models import NeedTerm
from referrals.choices import ConsentMethod, ConsentPurpose, Priority, Source
from referrals.forms.residents import Checkboxes, Radios, ResidentDetailsForm, need_option

SOURCE_CHOICES = [
    (Source.PRIMARY_CARE, "Primary care (a GP practice)"),
    (Source.OTHER_PROFESSIONAL, "Another professional (for example social care, housing, a charity)"),
    # People also ring or email the single point of access about themselves.
    (Source.SELF, "The person themselves, by phone, email or letter"),
]

CONSENT_METHOD_CHOICES = [
    (ConsentMethod.VERBAL, "Verbally (in person or on the phone)"),
    (ConsentMethod.WRITTEN, "In writing (a signed form, a letter or an email)"),
]


class NewReferralForm(ResidentDetailsForm):
    source = forms.ChoiceField(
        label="Where does the referral come from?",
        choices=SOURCE_CHOICES,
        widget=Radios,
        error_messages={"required": "Choose where the referral comes from"},
    )
    referrer_name = forms.CharField(label="Referrer's name", required=False, max_length=255)
    referrer_role = forms.CharField(
        label="Referrer's role (optional)", required=False, max_length=255,
        help_text="For example, GP or practice nurse.",
    )
    referrer_organisation = forms.CharField(
        label="Referrer's organisation (optional)", required=False, max_length=255,
        help_text="For example, the GP practice.",
    )
    referrer_email = forms.EmailField(
        label="Referrer's email address (optional)", required=False,
        help_text="Feedback on what happened goes here, if the person agrees.",
        error_messages={"invalid": "Enter an email address in the right format, like name@example.com"},
        widget=forms.EmailInput(attrs={"spellcheck": "false"}),
    )
    referrer_phone = forms.CharField(
        label="Referrer's phone number (optional)", required=False, max_length=40,
        widget=forms.TextInput(attrs={"type": "tel"}),
    )
    priority = forms.ChoiceField(
        label="Priority", choices=Priority.choices, initial=Priority.ROUTINE, widget=Radios,
        error_messages={"required": "Choose a priority"},
    )
    needs = forms.ModelMultipleChoiceField(
        label="Needs", queryset=NeedTerm.objects.none(), required=False, widget=Checkboxes,
        help_text="Choose all that apply.",
    )
    what_matters = forms.CharField(
        label="What matters to the person", required=False, max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}), help_text="In their words, if you have them.",
    )
    notes = forms.CharField(
        label="Notes for the social prescribing team (optional)", required=False, max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Anything triage should know: risks, exclusions, other services involved. Never shown to providers.",
    )
    consent_referral = forms.BooleanField(
        label="The person agrees to being referred to social prescribing",
        error_messages={"required": "The person must agree to being referred. Tick the box once they have"},
    )
    consent_share_with_provider = forms.BooleanField(
        label="The person agrees to their contact details being shared with the activity provider", required=False
    )
    consent_feedback_to_referrer = forms.BooleanField(
        label="The person agrees to feedback being sent to the referrer", required=False
    )
    consent_share_with_gp = forms.BooleanField(
        label="The person agrees to their GP practice being told about the referral and how it went", required=False
    )
    consent_method = forms.ChoiceField(
        label="How did they agree?", choices=CONSENT_METHOD_CHOICES, initial=ConsentMethod.VERBAL, widget=Radios,
        error_messages={"required": "Choose how the person agreed"},
    )
    consent_given_by = forms.CharField(
        label="Who agreed?", max_length=255, initial="The person themselves",
        help_text="The person, or who agreed for them (for example, a carer with lasting power of attorney).",
        error_messages={"required": "Say who agreed"},
    )

    CONSENT_FIELDS = {
        ConsentPurpose.REFERRAL: "consent_referral",
        ConsentPurpose.SHARE_WITH_PROVIDER: "consent_share_with_provider",
        ConsentPurpose.FEEDBACK_TO_REFERRER: "consent_feedback_to_referrer",
        ConsentPurpose.SHARE_WITH_GP: "consent_share_with_gp",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["needs"].queryset = NeedTerm.objects.order_by("name")
        self.fields["first_name"].error_messages["required"] = "Enter the person's first name"
        self.fields["last_name"].error_messages["required"] = "Enter the person's last name"
        self.fields["preferred_contact"].error_messages["required"] = "Choose how the person would like to be contacted"
        self.fields["interpreter_needed"].label = "They need an interpreter"

    def clean(self):
        data = super().clean()
        if data.get("source") in (Source.PRIMARY_CARE, Source.OTHER_PROFESSIONAL) and not data.get("referrer_name"):
            self.add_error("referrer_name", "Enter the name of the professional making the referral")
        return data

    def need_groups(self) -> list[dict]:
        """Every need, grouped under its top-level term (each term a checkbox of its own)."""
        bound = self["needs"]
        terms = list(self.fields["needs"].queryset)
        parent_of = {term.pk: term.parent_id for term in terms}

        def top(pk):
            while parent_of.get(pk) is not None:
                pk = parent_of[pk]
            return pk

        # Deeper terms sit under their top-level term too, so none is left out.
        children: dict[int, list] = {}
        for term in terms:
            if term.parent_id is not None:
                children.setdefault(top(term.pk), []).append(term)
        groups, index = [], 0
        for term in (term for term in terms if term.parent_id is None):
            group = {"term": need_option(bound, term, index), "children": []}
            index += 1
            for child in children.get(term.pk, []):
                group["children"].append(need_option(bound, child, index))
                index += 1
            groups.append(group)
        return groups

    def referrer(self) -> dict:
        if self.cleaned_data["source"] == Source.SELF:
            return {}
        fields = ("name", "role", "organisation", "email", "phone")
        return {field: self.cleaned_data[f"referrer_{field}"] for field in fields}

    def consents(self) -> dict[str, bool]:
        consents = {purpose: bool(self.cleaned_data.get(field)) for purpose, field in self.CONSENT_FIELDS.items()}
        if self.cleaned_data["source"] == Source.SELF:
            # Nobody to feed back to: the person referred themselves.
            consents.pop(ConsentPurpose.FEEDBACK_TO_REFERRER)
        return consents
