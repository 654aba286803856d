"""Roles, and who is acting: a signed-in person, an API token, a provider's emailed link, or Signpost itself.

Every service function takes an ``Actor``, so the pages, the API, the emailed links and the
scheduled jobs are held to the same rules. What an actor may do is ``referrals.permissions``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import Group, Permission

from directory.permissions import MODERATORS_GROUP, organisations_edited_by
from referrals.choices import StaffRole

LINK_WORKERS_GROUP = "Link workers"
TRIAGE_GROUP = "Triage"
COMMISSIONERS_GROUP = "Commissioners"
# The person themselves, answering questions through the link sent to them (``referrals.outcomes``).
RESIDENT_LINK = "resident_link"

# Staff in these groups sign in to the admin (Signpost's staff pages sit beside it).
STAFF_GROUPS = {
    LINK_WORKERS_GROUP: [("wagtailadmin", "access_admin")],
    TRIAGE_GROUP: [("wagtailadmin", "access_admin")],
    COMMISSIONERS_GROUP: [("wagtailadmin", "access_admin")],
}


def ensure_staff_groups() -> dict[str, Group]:
    groups = {}
    for name, permissions in STAFF_GROUPS.items():
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, codename in permissions:
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        groups[name] = group
    return groups


@dataclass(frozen=True)
class Actor:
    label: str
    user: object | None = None
    roles: frozenset[str] = frozenset()
    service_ids: frozenset[int] = frozenset()
    organisation_ids: frozenset[int] = frozenset()
    # An emailed link may do one thing to one referral, and nothing else.
    only_referral_id: int | None = None
    # ... and, for a provider's link, to one connection of it.
    only_connection_id: int | None = None
    only_actions: frozenset[str] = field(default_factory=frozenset)

    @property
    def user_id(self):
        return getattr(self.user, "pk", None)

    def has_role(self, role: str) -> bool:
        return role in self.roles

    @property
    def is_administrator(self) -> bool:
        return StaffRole.ADMINISTRATOR in self.roles


SYSTEM = Actor(label="Signpost", roles=frozenset({"system"}))


def actor_for_user(user) -> Actor:
    """The actor for a signed-in person, with their roles, service and organisations (cached on the user)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Actor(label="Anonymous")
    cached = getattr(user, "_signpost_actor", None)
    if cached is not None:
        return cached
    group_names = set(user.groups.values_list("name", flat=True))
    roles = set()
    if LINK_WORKERS_GROUP in group_names:
        roles.add(StaffRole.LINK_WORKER)
    if TRIAGE_GROUP in group_names:
        roles.add(StaffRole.TRIAGE)
    if COMMISSIONERS_GROUP in group_names:
        roles.add(StaffRole.COMMISSIONER)
    if MODERATORS_GROUP in group_names:
        roles.add(StaffRole.MODERATOR)
    if user.is_superuser:
        roles.add(StaffRole.ADMINISTRATOR)
    organisation_ids = frozenset(organisations_edited_by(user).values_list("pk", flat=True))
    if organisation_ids:
        roles.add(StaffRole.PROVIDER)
    membership = getattr(user, "staff_membership", None) if hasattr(user, "staff_membership") else None
    service_ids = frozenset({membership.service_id}) if membership is not None else frozenset()
    actor = Actor(
        label=user.get_full_name() or user.get_username(),
        user=user,
        roles=frozenset(roles),
        service_ids=service_ids,
        organisation_ids=organisation_ids,
    )
    user._signpost_actor = actor
    return actor


def actor_for_token(token) -> Actor:
    """An API token acts for its service (as triage and referrer) or its provider organisation."""
    if token.service_id is not None:
        return Actor(
            label=f"API: {token.name}",
            roles=frozenset({StaffRole.TRIAGE, "api_referrer"}),
            service_ids=frozenset({token.service_id}),
        )
    return Actor(
        label=f"API: {token.name}",
        roles=frozenset({StaffRole.PROVIDER}),
        organisation_ids=frozenset({token.organisation_id}),
    )


# A link to confirm attendance records whichever happened: attended, or did not attend.
LINK_ALSO_PERMITS = {"record_attendance": frozenset({"record_did_not_attend"})}


def actor_for_link(link) -> Actor:
    return Actor(
        label="Provider (emailed link)",
        roles=frozenset({StaffRole.PROVIDER}),
        organisation_ids=frozenset({link.organisation_id}),
        only_referral_id=link.referral_id,
        only_connection_id=link.connection_id,
        only_actions=frozenset({link.action}) | LINK_ALSO_PERMITS.get(link.action, frozenset()),
    )
