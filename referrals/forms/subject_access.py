"""The erasure form: the grounds for erasing a resident's personal data, and an explicit confirmation."""

from django import forms
from django.utils.translation import gettext_lazy as _

from referrals.subject_access import REASON_MAX_LENGTH


class EraseResidentForm(forms.Form):
    reason = forms.CharField(
        label=_("Grounds for erasing"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "For example: “The person asked for their data to be erased (letter of 3 March); no referral is open.” "
            "This is kept in the audit trail. Do not include the person's name or other details about them."
        ),
        error_messages={
            "required": _("Enter the grounds for erasing this person's data."),
            "max_length": _("Keep the grounds to %(limit_value)s characters or fewer."),
        },
    )
    confirm = forms.BooleanField(
        label=_("I understand that this cannot be undone: the person's details and notes will be removed for good."),
        error_messages={"required": _("Confirm that you understand the erasure cannot be undone.")},
    )
