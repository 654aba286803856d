"""Triage's forms: a tier, a priority and a link worker for a new referral; moving it to another link worker."""

from django import forms
from django.utils.translation import gettext_lazy as _

from referrals.choices import NotEligibleReason, Priority, Tier


class Radios(forms.RadioSelect):
    """Radios whose error message links to the first option (the error summary needs a target)."""

    def id_for_label(self, id_, index=None):
        return super().id_for_label(id_, 0 if index is None else index)


class LinkWorkerField(forms.ModelChoiceField):
    widget = Radios

    def label_from_instance(self, user):
        return user.get_full_name() or user.get_username()


class _AllocationForm(forms.Form):
    def __init__(self, *args, link_workers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["link_worker"].queryset = link_workers


class TriageForm(_AllocationForm):
    tier = forms.ChoiceField(
        label=_("Tier"),
        choices=[("", _("Choose a tier")), *Tier.choices],
        help_text=_("Signposting, a 1:1 assessment with a link worker, or follow-up 1:1s."),
        error_messages={"required": _("Choose a tier.")},
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Priority.choices, error_messages={"required": _("Choose a priority.")}
    )
    link_worker = LinkWorkerField(
        label=_("Link worker"),
        queryset=None,
        empty_label=None,
        error_messages={"required": _("Choose a link worker."), "invalid_choice": _("Choose a link worker from this service.")},
    )
    note = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why this tier or link worker, if it helps the team."),
    )


class ReallocateForm(_AllocationForm):
    link_worker = LinkWorkerField(
        label=_("New link worker"),
        queryset=None,
        empty_label=None,
        error_messages={"required": _("Choose a link worker."), "invalid_choice": _("Choose a link worker from this service.")},
    )
    note = forms.CharField(
        label=_("Reason (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class PersonDeclinesForm(forms.Form):
    note = forms.CharField(
        label=_("What the person said (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


# Triage's other two answers --------------------------------------------------------------------------


class RedirectForm(forms.Form):
    """Redirect to another service: one that uses Signpost (the referral is handed over), or one named outside."""

    to_service = forms.ModelChoiceField(
        label=_("A service that uses Signpost"),
        queryset=None,
        required=False,
        empty_label=_("None of these: name the service below"),
        help_text=_("The referral is handed over: it lands in that service's triage queue with the person's details."),
        error_messages={"invalid_choice": _("Choose one of the services listed.")},
    )
    to_name = forms.CharField(
        label=_("Or a service outside Signpost"),
        required=False,
        max_length=255,
        help_text=_("Its name, for example Poole Talking Therapies. The referrer is asked to refer to it directly."),
    )
    note = forms.CharField(
        label=_("Why the referral is for that service"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The referrer reads this (the person, if they referred themselves)."),
        error_messages={"required": _("Say why the referral is for another service.")},
    )

    def __init__(self, *args, services, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_service"].queryset = services


class NotEligibleForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Why the person is not eligible"),
        choices=NotEligibleReason.choices,
        widget=Radios,
        error_messages={"required": _("Choose why the person is not eligible.")},
    )
    note = forms.CharField(
        label=_("More about the reason (needed for “another reason”)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The referrer reads this with the reason (the person, if they referred themselves)."),
    )
