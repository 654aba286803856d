"""Activity page URLs for many pages at once: what a search hit links to (hydration and the index)."""

from __future__ import annotations

import re

from django.conf import settings
from django.urls import NoReverseMatch, reverse

# A url_path whose reversed URL needs no quoting, so it is the path itself.
_PLAIN_PATH = re.compile(r"(?:[A-Za-z0-9_\-]+/)*")


def page_urls(site_root_paths):
    """``page.get_url()`` for the hits, computing the URL prefix once rather than per page.

    The shortcut covers the usual case (one site, no Wagtail i18n, plain ASCII slugs); any
    other page goes through Wagtail's own ``get_url``.
    """
    prefix = None
    if len(site_root_paths) == 1 and not getattr(settings, "WAGTAIL_I18N_ENABLED", False):
        try:
            prefix = reverse("wagtail_serve", args=("",))
        except NoReverseMatch:
            prefix = None
    root_path = site_root_paths[0].root_path if prefix is not None else None
    append_slash = getattr(settings, "WAGTAIL_APPEND_SLASH", True)

    def url(page) -> str:
        if prefix is not None and page.url_path.startswith(root_path):
            rest = page.url_path[len(root_path) :]
            if _PLAIN_PATH.fullmatch(rest):
                path = prefix + rest
                return path if append_slash or path == "/" else path.rstrip("/")
        page._wagtail_cached_site_root_paths = site_root_paths
        return page.get_url() or ""

    return url
