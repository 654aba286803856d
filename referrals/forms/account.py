"""The second factor: a 6-digit code from an authenticator app (a TOTP device), or one of the person's recovery codes.

Checking the code lives here rather than in ``referrals.services``: it is signing in, not a
step in a referral's life. django-otp does the cryptography, the replay protection (a code
works once) and the throttling (each wrong code doubles the wait before the next try).
"""

import math
import re

from django import forms
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

WRONG_CODE = _("The code is not right. Enter the 6-digit code your authenticator app shows now.")
WRONG_RECOVERY_CODE = _("That recovery code is not right, or it has been used. Each recovery code works once.")
APP_CODE = re.compile(r"\d{6}")
# django-otp's static tokens: 8 characters of lower-case base32.
RECOVERY_CODE = re.compile(r"[a-z2-7]{8}")


class SecurityCodeForm(forms.Form):
    """One field, the code; ``devices`` are the devices it may match (the first that does wins).

    A 6-digit code is tried against the authenticator apps (TOTP devices), an 8-character one
    against the recovery codes (static devices), when ``recovery`` allows them.
    """

    code = forms.CharField(
        label=_("Security code"),
        help_text=_("The 6-digit code from your authenticator app, for example 123456."),
        max_length=20,
        error_messages={"required": _("Enter the 6-digit code from your authenticator app.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false",
                   "autocapitalize": "off"}
        ),
    )

    def __init__(self, *args, devices, recovery: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.devices = list(devices)
        self.recovery = recovery
        self.device = None
        if recovery:
            self.fields["code"].help_text = _(
                "The 6-digit code from your authenticator app, for example 123456, or one of your recovery codes."
            )
            self.fields["code"].widget.attrs["inputmode"] = "text"

    def clean_code(self) -> str:
        # People copy codes with spaces or a dash in the middle ("123 456"): accept them.
        code = re.sub(r"[\s-]", "", self.cleaned_data["code"]).lower()
        if APP_CODE.fullmatch(code) or (self.recovery and RECOVERY_CODE.fullmatch(code)):
            return code
        if self.recovery:
            raise forms.ValidationError(
                _("Enter the 6-digit code from your authenticator app, or a recovery code of 8 letters and numbers.")
            )
        raise forms.ValidationError(_("Enter the code as 6 digits, for example 123456."))

    @property
    def used_recovery_code(self) -> bool:
        return isinstance(self.device, StaticDevice)

    def clean(self):
        cleaned = super().clean()
        code = cleaned.get("code")
        if code is None:
            return cleaned
        kind = TOTPDevice if APP_CODE.fullmatch(code) else StaticDevice
        devices = [device for device in self.devices if isinstance(device, kind)]
        waits = []
        for device in devices:
            with transaction.atomic():
                # Locked, so two tries at once cannot both slip past the throttle or reuse a code.
                locked = kind.objects.select_for_update().get(pk=device.pk)
                allowed, details = locked.verify_is_allowed()
                if not allowed:
                    waits.append((details or {}).get("locked_until"))
                    continue
                if locked.verify_token(code):
                    self.device = locked
                    return cleaned
        throttled = bool(waits) and len(waits) == len(devices)
        wrong = WRONG_CODE if kind is TOTPDevice else WRONG_RECOVERY_CODE
        self.add_error("code", _too_many_tries(waits) if throttled else wrong)
        return cleaned


def _too_many_tries(locked_until) -> str:
    known = [moment for moment in locked_until if moment is not None]
    seconds = max(1, math.ceil(min((moment - timezone.now()).total_seconds() for moment in known))) if known else 1
    return ngettext(
        "You have entered a wrong code too many times. Wait %(seconds)d second, then enter the code your app shows.",
        "You have entered a wrong code too many times. Wait %(seconds)d seconds, then enter the code your app shows.",
        seconds,
    ) % {"seconds": seconds}
