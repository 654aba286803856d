"""The Content-Security-Policy (``CONTENT_SECURITY_POLICY`` in the settings): strict on
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
from django.urls import reverse

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
