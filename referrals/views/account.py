"""Two-factor sign-in for everyone who signs in: set up an authenticator app, then a code each session.

``referrals.middleware`` (and ``staff_view``) send a signed-in person here, with ``?next=`` the
page they asked for: to set-up when they have no confirmed device, to verify when they have
one. A right code marks the session verified (``django_otp.login``) and goes on to ``next``
if it is a page on this site, and otherwise to the person's work (``referrals.staff_work.landing_url``:
their one area, or the role home).

Setting up an app also gives ten recovery codes, shown once, for a lost phone; each works once
in place of the app's code. The recovery codes page shows how many are left and makes new ones.
"""

import re
from base64 import b32encode

import django_otp
import qrcode
import qrcode.image.svg
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from common.requests import local_next_url
from referrals import accounts
from referrals.forms.account import SecurityCodeForm
from referrals.roles import actor_for_user
from referrals.staff_work import landing_url

DEVICE_NAME = "Authenticator app"
# Codes made at set-up (or on request), kept in the session only until the page shows them once.
CODES_TO_SHOW = "signpost_recovery_codes_to_show"


def _next_url(request) -> str:
    """Where to go after a right code: ``next`` if it is a page on this site, else the person's work.

    The admin's dashboard counts as no page in particular: it is where the admin's sign-in page sends
    everyone who asked for none, and for a link worker, triage, a provider or a commissioner it holds
    none of their work. Their work is ``referrals.staff_work``'s: the one area, or the role home.
    """
    wanted = local_next_url(request)
    if wanted and wanted != reverse("wagtailadmin_home"):
        return wanted
    return landing_url(actor_for_user(request.user))


def _with_next(url_name: str, request) -> str:
    wanted = request.GET.get("next") or request.POST.get("next")
    return reverse(url_name) + (f"?{urlencode({'next': wanted})}" if wanted else "")


def _verified(request, device, *, then: str | None = None):
    # A new session key once the second factor is proved, so a key planted earlier is worthless.
    request.session.cycle_key()
    django_otp.login(request, device)
    if then is not None:
        return redirect(_with_next(then, request))
    return redirect(_next_url(request))


def _grouped(secret: str) -> str:
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _qr_svg(device: TOTPDevice) -> str:
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, border=4)
    svg = image.to_string(encoding="unicode")
    # A fixed on-screen size that fits a 360px phone and scans easily; the wrapping element
    # names the image for screen readers, so the drawing itself is hidden from them.
    svg = re.sub(
        r'^<svg width="[^"]*" height="[^"]*"', '<svg width="200" height="200" aria-hidden="true" focusable="false"', svg
    )
    # Our own markup from a URL we built (base32 and the username, URL-quoted): safe to inline.
    return mark_safe(svg)


@never_cache
@sensitive_post_parameters("code")
def two_factor_setup(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if request.user.is_verified():
        return redirect(_next_url(request))
    if TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
        return redirect(_with_next("referrals:two_factor_verify", request))
    # One unconfirmed device per person, kept until confirmed: reloading the page (or a wrong
    # code) shows the same QR code, so the app set up a moment ago still works.
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=request.user, name=DEVICE_NAME, confirmed=False)
    form = SecurityCodeForm(request.POST or None, devices=[device])
    if request.method == "POST" and form.is_valid():
        device = form.device
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        request.session[CODES_TO_SHOW] = accounts.issue_recovery_codes(request.user)
        return _verified(request, device, then="referrals:recovery_codes")
    return render(
        request,
        "referrals/account/two_factor_setup.html",
        {
            "form": form,
            "qr_code": _qr_svg(device),
            "secret": _grouped(b32encode(device.bin_key).decode()),
            "next": request.GET.get("next", ""),
        },
    )


@never_cache
@sensitive_post_parameters("code")
def two_factor_verify(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if request.user.is_verified():
        return redirect(_next_url(request))
    devices = list(TOTPDevice.objects.filter(user=request.user, confirmed=True).order_by("pk"))
    if not devices:
        return redirect(_with_next("referrals:two_factor_setup", request))
    devices += StaticDevice.objects.filter(user=request.user, confirmed=True).order_by("pk")
    form = SecurityCodeForm(request.POST or None, devices=devices, recovery=True)
    if request.method == "POST" and form.is_valid():
        # After a recovery code, the person sees how many are left (and can make new ones).
        return _verified(request, form.device, then="referrals:recovery_codes" if form.used_recovery_code else None)
    return render(
        request, "referrals/account/two_factor_verify.html", {"form": form, "next": request.GET.get("next", "")}
    )


@never_cache
def recovery_codes(request):
    """Codes just made, shown once; otherwise how many are left, and a button to make new ones."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not request.user.is_verified():  # the middleware sends such a session to its code first
        return redirect(_with_next("referrals:two_factor_verify", request))
    if request.method == "POST":
        request.session[CODES_TO_SHOW] = accounts.issue_recovery_codes(request.user)
        return redirect(_with_next("referrals:recovery_codes", request))
    codes = request.session.pop(CODES_TO_SHOW, None)
    return render(
        request,
        "referrals/account/recovery_codes.html",
        {
            "codes": codes,
            "codes_left": accounts.recovery_codes_left(request.user),
            "continue_url": _next_url(request),
            "next": request.GET.get("next", ""),
        },
    )


urlpatterns = [
    path("two-factor/set-up/", two_factor_setup, name="two_factor_setup"),
    path("two-factor/", two_factor_verify, name="two_factor_verify"),
    path("two-factor/recovery-codes/", recovery_codes, name="recovery_codes"),
]
