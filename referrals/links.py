"""Signed, single-use, expiring links for providers: one action on one connection, without signing in.

The URL carries an ``ActionLink`` id signed with the site's secret key. Verifying checks
the signature (tampering), the expiry and whether it has been used; using it performs the
one action through the same service function as the inbox, as a provider of that
organisation limited to that one connection (``Actor.only_connection_id``) and that action: a
link sent about one activity never acts on the person's other connections.
"""

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from referrals.choices import ConnectionStatus
from referrals.errors import ReferralError
from referrals.models import ActionLink
from referrals.workflow import FIRST_SESSION_PENDING

_SALT = "referrals.provider-action-link"

# The provider actions an emailed link may perform.
LINK_ACTIONS = ("provider_accept", "provider_decline", "book_first_session", "record_attendance")

# The statuses a link was sent for: once the connection has moved on (by the other link in the
# same email, or in the inbox), the link no longer acts, even where the workflow would allow it
# (declining after accepting, say).
LINK_ACTS_FROM = {
    "provider_accept": {ConnectionStatus.SENT_TO_PROVIDER},
    "provider_decline": {ConnectionStatus.SENT_TO_PROVIDER},
    "book_first_session": {ConnectionStatus.ACCEPTED},
    "record_attendance": set(FIRST_SESSION_PENDING),
}
# After a step done by a link, the link offered for the next one.
NEXT_LINK = {"provider_accept": "book_first_session", "book_first_session": "record_attendance"}


class LinkInvalid(ReferralError):
    """Tampered with, or not a link Signpost made."""


class LinkExpired(ReferralError):
    pass


class LinkUsed(ReferralError):
    pass


def link_lifetime() -> timedelta:
    return timedelta(days=settings.SIGNPOST_REFERRALS["ACTION_LINK_DAYS"])


def issue_link(connection, action: str) -> str:
    """A new link for ``action`` on ``connection``; returns its absolute URL."""
    if action not in LINK_ACTIONS:
        raise ValueError(f"No emailed link performs {action!r}.")
    link = ActionLink.objects.create(
        referral_id=connection.referral_id,
        connection=connection,
        organisation=connection.provider,
        action=action,
        expires_at=link_expires_at(connection, action),
    )
    return link_url(link)


def link_expires_at(connection, action: str):
    """When a new link for ``action`` stops working: after the usual lifetime, or, for confirming attendance,
    that long after the first session (a session weeks away must not outlive its link)."""
    expires = timezone.now() + link_lifetime()
    if action == "record_attendance" and connection.first_session_at:
        expires = max(expires, connection.first_session_at + link_lifetime())
    return expires


def link_url(link: ActionLink) -> str:
    """The absolute URL of ``link`` (a fresh signature of the same link: any of them works, and only once)."""
    token = signing.dumps(str(link.pk), salt=_SALT, compress=False)
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse("referrals:provider_link", args=[token])


def next_step_link(connection, action: str) -> tuple[str, bool]:
    """The link for the next step, ``action``, on ``connection``, and whether it was emailed: the one its email has
    just carried, if that is still unused, so the page after a step and the email offer one link, not two;
    otherwise a new one."""
    link = (
        ActionLink.objects.filter(
            connection=connection, organisation_id=connection.provider_id, action=action, used_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .order_by("-created_at")
        .first()
    )
    if link is not None:
        return link_url(link), True
    return issue_link(connection, action), False


def issue_provider_links(connection) -> dict[str, str]:
    """The links a new-referral email carries: accept, and decline."""
    return {"accept": issue_link(connection, "provider_accept"), "decline": issue_link(connection, "provider_decline")}


def verify_link(token: str, *, for_update: bool = False) -> ActionLink:
    """The link ``token`` names, if it is genuine, unexpired and unused; else a clear error."""
    try:
        link_id = signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        raise LinkInvalid("This link is not valid. It may have been copied wrongly or changed.") from None
    links = ActionLink.objects.select_related("referral", "connection", "organisation")
    if for_update:
        links = links.select_for_update(of=("self",))
    link = links.filter(pk=link_id).first()
    if link is None:
        raise LinkInvalid("This link is not valid. It may have been copied wrongly or changed.")
    if link.used_at is not None:
        raise LinkUsed("This link has already been used. Each link works once.")
    if link.is_expired:
        raise LinkExpired("This link has expired. Sign in to Signpost to see the referral, or ask the link worker.")
    return link
