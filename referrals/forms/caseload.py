"""The link worker's and triage's forms on a referral: one small form per step, and consent."""

from django import forms
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Length, Substr
from django.utils.translation import gettext_lazy as _
from wagtail.models import Page

from directory.choices import ActivityStatus
from directory.models import ActivityPage
from referrals.choices import (
    ConnectionStatus,
    ConsentMethod,
    ConsentPurpose,
    DischargeReason,
)
from referrals.forms.triage import Radios


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReasonForm(forms.Form):
    note = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say why the first session is cancelled.")},
    )


class WithdrawForm(forms.Form):
    note = forms.CharField(
        label=_("Why is it withdrawn?"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For example: the person changed their mind, or it is no longer right for them. A provider it "
                    "was sent to is told it is withdrawn, never your note."),
        error_messages={"required": _("Say why the connection is withdrawn.")},
    )


class SignpostForm(forms.Form):
    """A service outside the directory (Citizens Advice, Talking Therapies)."""

    service_name = forms.CharField(
        label=_("Service"), max_length=255,
        help_text=_("For example: Citizens Advice Poole, NHS Talking Therapies."),
        error_messages={"required": _("Enter the name of the service.")},
    )
    service_contact = forms.CharField(
        label=_("How to reach it (optional)"), max_length=255, required=False,
        help_text=_("A phone number, a web address, or where to go."),
    )
    note = forms.CharField(label=_("Note (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class SignpostOutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Did the person take up the service?"),
        choices=[(ConnectionStatus.TOOK_UP, _("Yes, they took it up")),
                 (ConnectionStatus.DID_NOT_TAKE_UP, _("No, they did not take it up"))],
        widget=Radios,
        error_messages={"required": _("Choose whether the person took up the service."),
                        "invalid_choice": _("Choose whether the person took up the service.")},
    )
    note = forms.CharField(label=_("Note (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class DischargeForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Why is the person being discharged?"),
        choices=DischargeReason.choices,
        widget=Radios,
        error_messages={"required": _("Choose the reason for discharge."),
                        "invalid_choice": _("Choose the reason for discharge.")},
    )
    note = forms.CharField(
        label=_("Summary for the record (optional)"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Goes into the discharge summary. If the person agreed, the referrer is sent the summary."),
    )


class DischargeConfirmForm(DischargeForm):
    """The discharge as the link worker checked it on the preview: the summary's fingerprint comes back."""

    fingerprint = forms.CharField(widget=forms.HiddenInput, max_length=64,
                                  error_messages={"required": _("Check the discharge summary before confirming.")})
    note = forms.CharField(required=False, max_length=5000, widget=forms.HiddenInput)
    reason = forms.ChoiceField(choices=DischargeReason.choices, widget=forms.HiddenInput,
                               error_messages={"required": _("Choose the reason for discharge."),
                                               "invalid_choice": _("Choose the reason for discharge.")})


class ActivityField(forms.ModelChoiceField):
    def label_from_instance(self, activity):
        organisation = getattr(activity, "organisation_title", "")
        return f"{activity.title} ({organisation})" if organisation else activity.title


def live_activities():
    """Activities a referral can go to: published and running now."""
    # The organisation is the parent page: its path is the activity's less one step (one query, not one each).
    parent = Page.objects.filter(path=Substr(OuterRef("path"), 1, Length(OuterRef("path")) - Page.steplen))
    return (
        ActivityPage.objects.live()
        .filter(status=ActivityStatus.ACTIVE)
        .annotate(organisation_title=Subquery(parent.values("title")[:1]))
        .order_by("title", "pk")
    )


class ChooseActivityForm(forms.Form):
    """Another activity instead, before the connection is sent (``change_activity``)."""

    activity = ActivityField(
        label=_("Activity"),
        queryset=None,
        empty_label=_("Choose an activity"),
        help_text=_("Or find one with the person and use “Refer to this activity” on its result."),
        error_messages={
            "required": _("Choose an activity."),
            "invalid_choice": _("Choose an activity that is running now."),
        },
    )
    note = forms.CharField(label=_("Note (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["activity"].queryset = live_activities()


class ConnectActivityForm(ChooseActivityForm):
    """A new connection to an activity in the directory, sent to its provider now or later."""

    field_order = ("activity", "send", "note")

    send = forms.BooleanField(
        label=_("Send the referral to the provider now (if the person agreed to share their details)"),
        required=False,
    )


class ReferToActivityForm(forms.Form):
    """Choose which of the link worker's referrals goes to the activity found in the search."""

    referral = forms.ModelChoiceField(
        label=_("Who is this activity for?"),
        queryset=None,
        widget=Radios,
        empty_label=None,
        error_messages={
            "required": _("Choose the person this activity is for."),
            "invalid_choice": _("Choose one of the people on your caseload listed here."),
        },
    )
    send = forms.BooleanField(
        label=_("Send the referral to the provider now (if the person agreed to share their details)"),
        required=False,
        initial=True,
    )

    def __init__(self, *args, referrals, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["referral"].queryset = referrals


class ConsentRecordForm(forms.Form):
    purpose = forms.ChoiceField(
        label=_("What is this consent for?"),
        choices=[("", _("Choose one")), *ConsentPurpose.choices],
        error_messages={"required": _("Choose what the consent is for.")},
    )
    given = forms.TypedChoiceField(
        label=_("Did the person agree?"),
        choices=[("yes", _("Yes, they agreed")), ("no", _("No, they did not agree"))],
        coerce=lambda value: value == "yes",
        widget=Radios,
        error_messages={"required": _("Say whether the person agreed.")},
    )
    method = forms.ChoiceField(
        label=_("How was it given?"),
        choices=[("", _("Choose one")), *[(v, l) for v, l in ConsentMethod.choices if v != ConsentMethod.API]],
        error_messages={"required": _("Choose how the consent was given.")},
    )
    given_by = forms.CharField(
        label=_("Who agreed"),
        max_length=255,
        initial="The person themselves",
        help_text=_("The person, or who agreed for them."),
        error_messages={"required": _("Enter who agreed.")},
    )
