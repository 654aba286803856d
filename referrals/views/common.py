"""What every referral page shares: who is asking, the second factor, refusals, finding a referral they may see.

``staff_view`` signs people in, makes staff who see residents' data prove a second
factor, lets in only the roles the page is for, and puts the ``Actor`` on the request; a step
the domain refuses them (``NotPermitted``) becomes a 403, as the API's exception handler does
(``refuses_with_403``). ``visible_referral`` returns a referral the actor may see (or 404:
someone else's referral does not exist for them) and writes the audit entry for the look.
"""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django_otp import user_has_device

from referrals.audit import audit_view
from referrals.errors import NotPermitted, ReferralError
from referrals.permissions import acts_as_any, must_prove_second_factor, referrals_visible_to
from referrals.roles import actor_for_user


def refuses_with_403(respond: Callable[[object, str], HttpResponse] | None = None):
    """Turn the domain's ``NotPermitted`` into a 403 for a page.

    By default the site's 403 page (``PermissionDenied``); ``respond(request, message)`` gives a
    page its own (a provider's pages say where to go instead). A transaction the view was in is
    rolled back, as the exception leaves it.
    """

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            try:
                return view(request, *args, **kwargs)
            except NotPermitted as error:
                if respond is None:
                    raise PermissionDenied(error.message) from None
                return respond(request, error.message)

        return wrapped

    return decorator


def staff_view(*roles, not_permitted: Callable[[object, str], HttpResponse] | None = None):
    """Only signed-in staff with one of ``roles`` (any staff role if none given), verified by a second factor.

    A step the domain refuses them is a 403 (``refuses_with_403``; ``not_permitted`` its page).
    """

    def decorator(view):
        refusing = refuses_with_403(not_permitted)(view)

        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            actor = actor_for_user(request.user)
            if must_prove_second_factor(actor) and not request.user.is_verified():
                return redirect(f"{two_factor_url(request.user)}?{urlencode({'next': request.get_full_path()})}")
            if roles and not acts_as_any(actor, roles):
                raise PermissionDenied
            request.actor = actor
            return refusing(request, *args, **kwargs)

        return wrapped

    return decorator


def two_factor_url(user) -> str:
    return reverse("referrals:two_factor_verify" if user_has_device(user) else "referrals:two_factor_setup")


def visible_referral(request, pk, *, what: str, queryset=None):
    """The referral ``pk`` if ``request.actor`` may see it (404 otherwise); the view is audited."""
    referral = referrals_visible_to(request.actor, queryset).filter(pk=pk).select_related("resident").first()
    if referral is None:
        raise Http404("No referral here.")
    audit_view(request.actor, what=what, referral=referral, request=request)
    return referral


def refusal_message(error: ReferralError) -> str:
    """What to tell the person about a refused step. A step they may not take at all is not theirs
    to correct: ``NotPermitted`` is raised on, and the page answers 403 (``staff_view``)."""
    if isinstance(error, NotPermitted):
        raise error
    return error.message


def add_domain_error(form, error: ReferralError) -> None:
    """Show a refused step on the form, beside its field when the error names one the form has
    (``NotPermitted`` is raised on: a 403, see ``refusal_message``)."""
    message = refusal_message(error)
    field = error.field if error.field in form.fields else None
    form.add_error(field, message)
