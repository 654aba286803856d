"""Who is calling the referral API: a clinical system's token, or a signed-in member of staff.

A token (``Authorization: Token <key>`` or ``Bearer <key>``) acts for its service (as its
referrer and triage team) or for its provider organisation; only the key's SHA-256 hash is
stored, so the key is looked up by its hash. A revoked token, or one past its expiry, is refused. Staff signed in to Signpost may use the API
from the browser too, with their own roles, and, as on the pages, a verified second factor
if they can see residents' data.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, SessionAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission

from referrals.models import ApiToken
from referrals.permissions import must_prove_second_factor
from referrals.roles import actor_for_token, actor_for_user

_KEYWORDS = (b"token", b"bearer")
# Writing last_used_at on every call would make each read a write; a minute is precise enough.
LAST_USED_PRECISION = timedelta(minutes=1)


class ApiTokenAuthentication(BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in _KEYWORDS:
            return None  # not ours: the session (or nobody) may still answer
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Give the token as 'Authorization: Token <key>', with no spaces in the key.")
        try:
            key = parts[1].decode()
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("This token is not valid.") from None
        token = (
            ApiToken.objects.select_related("service", "organisation")
            .filter(key_hash=ApiToken.hash_key(key))
            .first()
        )
        if token is None:
            raise exceptions.AuthenticationFailed("This token is not valid.")
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed("This token has been revoked.")
        if token.has_expired():
            raise exceptions.AuthenticationFailed(
                f"This token expired on {timezone.localtime(token.expires_at):%-d %B %Y at %H:%M}. "
                "Ask the Signpost administrators for a new one."
            )
        _note_use(token)
        # No user: the token acts through its Actor, which the permission below puts on the request.
        return AnonymousUser(), token

    def authenticate_header(self, request):
        # Makes a missing or bad token a 401 (with WWW-Authenticate), not a 403.
        return self.keyword


def _note_use(token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


class ActsForSomeone(BasePermission):
    """Puts the caller's ``Actor`` on the request: a token's service or organisation, or a member of staff.

    Staff who can see residents' data must have proved their second factor in this session.
    """

    message = "Sign in, or send an API token."

    def has_permission(self, request, view) -> bool:
        if isinstance(request.auth, ApiToken):
            request.actor = actor_for_token(request.auth)
            return True
        user = request.user
        if user is None or not user.is_authenticated:
            return False
        actor = actor_for_user(user)
        if not actor.roles:
            raise exceptions.PermissionDenied("Your account does not work with referrals.")
        is_verified = getattr(user, "is_verified", None)
        if must_prove_second_factor(actor) and not (callable(is_verified) and is_verified()):
            raise exceptions.PermissionDenied(
                "Sign in with your second factor (your authenticator app) before using the referral API."
            )
        request.actor = actor
        return True


# The API's authentication, token first: its header makes an unauthenticated call a 401.
AUTHENTICATION_CLASSES = [ApiTokenAuthentication, SessionAuthentication]


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """Documents the token in the OpenAPI schema (drf-spectacular finds this subclass by its target)."""

    target_class = "referrals.api.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "An API token for a social prescribing service or a provider organisation, sent as "
                "`Authorization: Token <key>` (or `Bearer <key>`). Ask the Signpost administrators for one "
                "(`manage.py create_api_token`, with `--expires` for a token that stops working on a date); the key "
                "is shown once. A revoked or expired token is refused with a 401 that says which."
            ),
        }
