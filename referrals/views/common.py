"""What every referral page shares: who is asking, the second factor, finding a referral they may see.

``staff_view`` signs people in, makes staff who see residents' data prove a second
factor, and puts the ``Actor`` on the request. ``visible_referral`` returns a referral the
actor may see (or 404: someone else's referral does not exist for them) and writes the
audit entry for the look.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.utils.http import urlencode

from referrals.access import audit_view, referrals_visible_to
from referrals.errors import ReferralError
from referrals.roles import actor_for_user


def staff_view(*roles):
    """Only signed-in staff with one of ``roles`` (any staff role if none given), verified by a second factor."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            actor = actor_for_user(request.user)
            if actor.sees_resident_data and not request.user.is_verified():
                return redirect(f"{two_factor_url(request.user)}?{urlencode({'next': request.get_full_path()})}")
            if roles and not (actor.is_administrator or any(actor.has_role(role) for role in roles)):
                raise PermissionDenied
            request.actor = actor
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def two_factor_url(user) -> str:
    from django.urls import reverse
    from django_otp import user_has_device

    return reverse("referrals:two_factor_verify" if user_has_device(user) else "referrals:two_factor_setup")


def visible_referral(request, pk, *, what: str, queryset=None):
    """The referral ``pk`` if ``request.actor`` may see it (404 otherwise); the view is audited."""
    referral = referrals_visible_to(request.actor, queryset).filter(pk=pk).select_related("resident").first()
    if referral is None:
        raise Http404("No referral here.")
    audit_view(request.actor, what=what, referral=referral, request=request)
    return referral


def add_domain_error(form, error: ReferralError) -> None:
    """Show a refused step on the form, beside its field when the error names one the form has."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)
