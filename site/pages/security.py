"""Site-wide protections: the Content-Security-Policy, and throttling of the emailed sign-in links.

The Content-Security-Policy (``CONTENT_SECURITY_POLICY`` in the settings): strict on
Signpost's own pages and the admin's sign-in page, and the strictest the Wagtail admin works with
inside it.

Signpost's pages run only scripts from this site and the two small inline ones in ``base.html``,
which carry the request's nonce; styles only from this site's files; images from this site and
the map's tile server. The Wagtail admin (after sign-in) still writes inline scripts and styles
of its own, so there ``script-src`` and ``style-src`` also allow 'unsafe-inline' (every other
directive is as strict as on Signpost's pages).
"""

from functools import cache

from csp.constants import SELF, UNSAFE_INLINE
from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.shortcuts import render
from django.urls import reverse

from common.requests import client_ip
from common.throttle import attempt

# What the Wagtail admin needs beyond the site's policy, and why (seen by running the editor's
# browser journey under the site's policy): its page explorer and editor execute inline <script>
# blocks, and its vendor.js applies inline styles. Everything else (images, fonts, frames,
# forms, plugins) stays as strict as on Signpost's pages; Gravatar is switched off
# (WAGTAIL_GRAVATAR_PROVIDER_URL) so staff avatars never load from another site.
ADMIN_REPLACE = {
    "script-src": [SELF, UNSAFE_INLINE],
    "style-src": [SELF, UNSAFE_INLINE],
}


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with the admin's allowance inside the Wagtail admin (not its sign-in page)."""

    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only and in_wagtail_admin(request.path_info):
            parts.replace = {**ADMIN_REPLACE, **(parts.replace or {})}
            parts.nonce = None  # 'unsafe-inline' is ignored by browsers when a nonce is present
        return parts


def in_wagtail_admin(path: str) -> bool:
    admin, sign_in = _admin_paths()
    return path.startswith(admin) and not path.startswith(sign_in)


@cache
def _admin_paths() -> tuple[str, str]:
    # Asked on every response: the URL configuration is read once, not per request.
    return reverse("wagtailadmin_home"), reverse("wagtailadmin_login")


# Throttling the emailed sign-in links ------------------------------------------------------------

# Asking for a password reset email: per connection, and per email address asked for (so nobody
# can fill a person's inbox). Opening the emailed links (password reset and editor invitation
# share Wagtail's confirmation view): per connection.
_PASSWORD_RESET = "wagtailadmin_password_reset"
_SIGN_IN_LINKS = frozenset({"wagtailadmin_password_reset_confirm", "wagtailadmin_password_reset_complete"})


class SignInLinkThrottleMiddleware:
    """A 429 page with a wait, once the password reset form or the emailed links are tried too often."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        name = request.resolver_match.view_name
        limit, window = settings.SIGN_IN_LINK_LIMIT, settings.SIGN_IN_LINK_WINDOW_MINUTES * 60
        address = client_ip(request) or "unknown"
        waits = []
        if name == _PASSWORD_RESET and request.method == "POST":
            waits.append(attempt(f"reset:ip:{address}", limit=limit, window_seconds=window))
            email = str(request.POST.get("email", "")).strip().lower()[:254]
            if email:
                waits.append(
                    attempt(f"reset:email:{email}", limit=settings.PASSWORD_RESET_EMAILS_LIMIT, window_seconds=window)
                )
        elif name in _SIGN_IN_LINKS:
            waits.append(attempt(f"link:ip:{address}", limit=limit, window_seconds=window))
        wait = max((seconds for seconds in waits if seconds is not None), default=None)
        if wait is None:
            return None
        minutes = max(1, -(-wait // 60))
        response = render(request, "pages/too_many_attempts.html", {"minutes": minutes}, status=429)
        response["Retry-After"] = str(wait)
        return response
