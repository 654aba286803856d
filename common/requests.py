"""Who sent a request: the address that rate limits and sign-in throttling count against."""

import ipaddress

from django.conf import settings
from django.utils.http import url_has_allowed_host_and_scheme


def client_ip(request) -> str:
    """The address the request came from.

    Behind a reverse proxy every request comes from the proxy, so with ``TRUSTED_PROXY_COUNT``
    set to the number of proxies in front of Signpost, the client is read from
    ``X-Forwarded-For`` that many hops from the right (the left end is whatever the client chose
    to send, so it is never trusted).
    """
    proxies = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if proxies > 0:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def client_ip_address(request) -> str | None:
    """``client_ip`` when it is a real IP address, else None (a request built in code, a garbled
    proxy header): sign-in throttling stores it in an address column."""
    try:
        return str(ipaddress.ip_address(client_ip(request)))
    except ValueError:
        return None


# Sign-in throttling (django-axes) stores the username tried in a column of this many characters.
SIGN_IN_USERNAME_LENGTH = 255


def client_username(request, credentials=None) -> str | None:
    """The username a sign-in tried, as sign-in throttling counts and stores it
    (``AXES_USERNAME_CALLABLE``): cut to its column's size. Django's sign-in form does not enforce
    the username's length, so a very long one reached that column (a 500 on PostgreSQL); no
    account's name is that long, so cutting it joins no real account's count."""
    username = (credentials or {}).get("username")
    if username is None and request is not None:
        username = request.POST.get("username")
    return None if username is None else str(username)[:SIGN_IN_USERNAME_LENGTH]


def local_next_url(request) -> str | None:
    """``next`` (from the form or the query) when it is a path on this site, else None.

    Only a path: a bare word such as ``0`` would otherwise be read by ``redirect()`` as the name
    of a URL pattern (a 500), and another site's address must never be followed.
    """
    wanted = str(request.POST.get("next") or request.GET.get("next") or "")
    if wanted.startswith("/") and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return None
