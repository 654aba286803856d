"""A session that has a password but not yet its second factor reaches only the pages that finish signing in.

Signing in to Signpost is a password and then a code from an authenticator app, for
everyone: link workers, triage, providers, commissioners, directory editors, moderators and
administrators, in the Wagtail admin as on the staff pages. Until the code is entered the
session may only set up or enter it, sign out, or reset a password; every other page sends
the person to the code (and back afterwards). The API answers such a session itself (a 403
that says why, ``referrals.api.authentication``), so API paths are left to it.

The middleware also tells ``referrals.accounts`` which request is being served, so a change
of access knows who made it and whether their session was verified.
"""

from django.shortcuts import redirect
from django.utils.http import urlencode

from referrals import accounts
from referrals.views.common import two_factor_url

# Views a half-signed-in session may reach (by URL name).
FINISHING_SIGN_IN = frozenset(
    {
        "referrals:two_factor_setup",
        "referrals:two_factor_verify",
        "wagtailadmin_login",
        "wagtailadmin_logout",
        "wagtailadmin_password_reset",
        "wagtailadmin_password_reset_done",
        "wagtailadmin_password_reset_confirm",
        "wagtailadmin_password_reset_complete",
        "health",
        "search:health",
    }
)
API_PREFIX = "/api/"


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with accounts.serving(request):
            return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        if request.resolver_match.view_name in FINISHING_SIGN_IN or request.path_info.startswith(API_PREFIX):
            return None
        return redirect(f"{two_factor_url(user)}?{urlencode({'next': request.get_full_path()})}")
