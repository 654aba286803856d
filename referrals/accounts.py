"""Who may change who may do what: every grant of access needs a verified session, is recorded, and tells the administrators.

Access in Signpost is granted in many places: a user's groups, superuser or staff status and
active flag (the Wagtail admin's user pages), a group's permissions and page permissions (its
group pages), a staff membership (a snippet), an editor invitation (which adds a group). Rather
than guard each page, the models are watched (``connect``, from ``ReferralsConfig.ready``):

- made during a web request, a change needs a person who has proved their second factor in
  that session; anyone else (a password-only session, an anonymous request) is refused with
  ``PermissionDenied`` and nothing is saved. ``SecondFactorMiddleware`` already keeps
  half-signed-in sessions out of every page; this is the second lock, on the data itself.
- every change is a ``RoleChange`` row, kept for good, with who, whom, what and whether the
  session was verified;
- a change made by a person through the web emails the administrators (active superusers)
  once it commits. Changes made by a command or a job (``setup_site``, ``load_demo``) are
  recorded but not emailed: whoever runs those already administers the server.

Second factors: ``issue_recovery_codes`` (for a lost phone) and ``reset_second_factor`` (an
administrator's reset, itself a recorded and emailed change).
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from wagtail.models import GroupCollectionPermission, GroupPagePermission

from referrals import tasks
from referrals.models import RoleChange, StaffMembership

RECOVERY_CODE_COUNT = 10
RECOVERY_DEVICE_NAME = "Recovery codes"
NEEDS_VERIFIED_SESSION = (
    "Changing who may do what needs a signed-in administrator who has entered their security code. "
    "Sign in again and enter the code from your authenticator app."
)

# The request being served (set by ``SecondFactorMiddleware``), so a model change knows who made it.
_current_request: contextvars.ContextVar = contextvars.ContextVar("signpost_current_request", default=None)
_USER_ACCESS_FIELDS = {"is_superuser": "superuser", "is_staff": "staff status", "is_active": "active account"}


@contextmanager
def serving(request):
    """Within this block, access changes are made by ``request``'s user."""
    token = _current_request.set(request)
    try:
        yield
    finally:
        _current_request.reset(token)


def _author():
    """(user or None, label, verified, through the web) for the change being made now."""
    request = _current_request.get()
    if request is None:
        return None, "Signpost (command or job)", False, False
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None, "Anonymous", False, True
    verified = getattr(user, "is_verified", None)
    return user, user.get_full_name() or user.get_username(), bool(callable(verified) and verified()), True


def _refuse_unverified() -> None:
    _, _, verified, through_web = _author()
    if through_web and not verified:
        raise PermissionDenied(NEEDS_VERIFIED_SESSION)


def _label(user) -> str:
    if user is None:
        return ""
    name = user.get_full_name()
    return f"{name} ({user.get_username()})" if name else user.get_username()


def record_role_change(what: str, *, subject=None) -> RoleChange:
    """Record a change of access (and, made by a person through the web, email the administrators on commit)."""
    user, label, verified, through_web = _author()
    change = RoleChange.objects.create(
        changed_by=user,
        changed_by_label=label,
        subject=subject,
        subject_label=_label(subject),
        what=what[:500],
        verified=verified,
    )
    if through_web:
        transaction.on_commit(lambda: tasks.email_administrators_of_role_change.enqueue(change.pk))
    return change


# Users: superuser, staff, active ------------------------------------------------------------


def _user_before_save(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw:
        return
    if update_fields is not None and not set(update_fields) & set(_USER_ACCESS_FIELDS):
        return  # e.g. last_login at sign-in
    if instance.pk is None:
        before = dict.fromkeys(_USER_ACCESS_FIELDS, False) | {"is_active": True}
        instance._access_before = ("created", before)
    else:
        row = sender.objects.filter(pk=instance.pk).values(*_USER_ACCESS_FIELDS).first() or {}
        instance._access_before = ("changed", row)
    if _changed_access(instance):
        _refuse_unverified()


def _changed_access(instance) -> list[str]:
    _, before = getattr(instance, "_access_before", (None, {}))
    changes = []
    for field, name in _USER_ACCESS_FIELDS.items():
        if field in before and bool(before[field]) != bool(getattr(instance, field)):
            if field == "is_active":
                changes.append("account reactivated" if instance.is_active else "account deactivated")
            else:
                changes.append(f"{name} {'given' if getattr(instance, field) else 'removed'}")
    return changes


def _user_saved(sender, instance, created, raw=False, **kwargs):
    if raw or not hasattr(instance, "_access_before"):
        return
    changes = _changed_access(instance)
    del instance._access_before
    for change in changes:
        record_role_change(change, subject=instance)


# Groups and their permissions ----------------------------------------------------------------


def _membership_changed(sender, instance, action, reverse, model, pk_set, **kwargs):
    """``user.groups`` or ``group.user_set`` gained or lost members."""
    if action.startswith("pre_"):
        _refuse_unverified()
        if action == "pre_clear":
            # Before a clear the members are still there: note them, the post_clear has no pk_set.
            instance._cleared = list(instance.user_set.all() if reverse else instance.groups.all())
        return
    if action == "post_clear":
        pairs = getattr(instance, "_cleared", [])
        verb = "removed from group"
    else:
        pairs = list(model.objects.filter(pk__in=pk_set or ()))
        verb = "added to group" if action == "post_add" else "removed from group"
    for other in pairs:
        user, group = (other, instance) if reverse else (instance, other)
        record_role_change(f"{verb} “{group.name}”", subject=user)


def _group_permissions_changed(sender, instance, action, reverse, model, pk_set, **kwargs):
    if action.startswith("pre_"):
        _refuse_unverified()
        return
    if reverse or action == "post_clear":
        # A permission's groups (rare, code only), or every permission of a group cleared.
        record_role_change(f"permissions of group “{instance}” changed ({action.removeprefix('post_')})")
        return
    verb = "given" if action == "post_add" else "lost"
    for permission in model.objects.filter(pk__in=pk_set or ()).select_related("content_type"):
        record_role_change(f"group “{instance.name}” {verb} permission “{permission.name}”")


def _refuse(sender, instance, raw=False, **kwargs):
    if not raw:
        _refuse_unverified()


def _object_permission_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    target = getattr(instance, "page", None) or getattr(instance, "collection", None)
    verb = "given" if created else "changed"
    record_role_change(
        f"group “{instance.group.name}” {verb} permission “{instance.permission.name}” on “{target}”"
    )


def _object_permission_deleted(sender, instance, **kwargs):
    target = getattr(instance, "page", None) or getattr(instance, "collection", None)
    record_role_change(f"group “{instance.group.name}” lost permission “{instance.permission.name}” on “{target}”")


# Staff memberships ---------------------------------------------------------------------------


def _membership_before(sender, instance, raw=False, **kwargs):
    if raw:
        return
    _refuse_unverified()
    instance._service_before = (
        StaffMembership.objects.filter(pk=instance.pk).values_list("service_id", flat=True).first()
        if instance.pk
        else None
    )


def _membership_saved(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    before = getattr(instance, "_service_before", None)
    if created:
        record_role_change(f"staff membership at “{instance.service}” given", subject=instance.user)
    elif before != instance.service_id:
        record_role_change(f"staff membership moved to “{instance.service}”", subject=instance.user)


def _membership_deleted(sender, instance, **kwargs):
    record_role_change(f"staff membership at “{instance.service}” removed", subject=instance.user)


# Second factors ------------------------------------------------------------------------------


def issue_recovery_codes(user) -> list[str]:
    """New recovery codes for ``user`` (the old ones stop working); shown once, each works once."""
    with transaction.atomic():
        device, _ = StaticDevice.objects.get_or_create(user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True})
        device.token_set.all().delete()
        codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
        StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


@transaction.atomic
def reset_second_factor(user) -> RoleChange:
    """An administrator's reset for a lost phone: ``user``'s authenticator and recovery codes go.

    Their sessions stop being verified at once (django-otp finds no device); at their next
    sign-in they set up a new authenticator.
    """
    _refuse_unverified()
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    return record_role_change("second factor reset (authenticator and recovery codes removed)", subject=user)


def connect() -> None:
    User = get_user_model()
    pre_save.connect(_user_before_save, sender=User, dispatch_uid="accounts.user_before")
    post_save.connect(_user_saved, sender=User, dispatch_uid="accounts.user_saved")
    m2m_changed.connect(_membership_changed, sender=User.groups.through, dispatch_uid="accounts.groups")
    m2m_changed.connect(
        _group_permissions_changed, sender=Group.permissions.through, dispatch_uid="accounts.group_permissions"
    )
    for model in (GroupPagePermission, GroupCollectionPermission):
        pre_save.connect(_refuse, sender=model, dispatch_uid=f"accounts.{model.__name__}.before")
        post_save.connect(_object_permission_saved, sender=model, dispatch_uid=f"accounts.{model.__name__}.saved")
        pre_delete.connect(_refuse, sender=model, dispatch_uid=f"accounts.{model.__name__}.before_delete")
        post_delete.connect(
            _object_permission_deleted, sender=model, dispatch_uid=f"accounts.{model.__name__}.deleted"
        )
    pre_save.connect(_membership_before, sender=StaffMembership, dispatch_uid="accounts.membership_before")
    post_save.connect(_membership_saved, sender=StaffMembership, dispatch_uid="accounts.membership_saved")
    pre_delete.connect(_refuse, sender=StaffMembership, dispatch_uid="accounts.membership_before_delete")
    post_delete.connect(_membership_deleted, sender=StaffMembership, dispatch_uid="accounts.membership_deleted")
