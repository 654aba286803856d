"""Demo logins: one user per role, each in the group that role works through.

The staff groups ("Link workers", "Triage", "Commissioners") belong to the referrals app.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from directory.permissions import MODERATORS_GROUP, organisation_sync_editor_permissions
from referrals.roles import COMMISSIONERS_GROUP, LINK_WORKERS_GROUP, TRIAGE_GROUP, ensure_staff_groups

DEMO_PASSWORD = "signpost-demo"


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    first_name: str
    last_name: str
    groups: tuple[str, ...] = ()
    superuser: bool = False

    @property
    def email(self) -> str:
        return f"{self.username}@example.org"


def demo_users(*, editor_group: str) -> tuple[DemoUser, ...]:
    return (
        DemoUser("moderator", "Directory moderator", "Morgan", "Reid", (MODERATORS_GROUP,)),
        DemoUser("editor", "Organisation editor", "Sam", "Okafor", (editor_group,)),
        DemoUser("linkworker", "Link worker", "Priya", "Sharma", (LINK_WORKERS_GROUP,)),
        DemoUser("triage", "Triage (single point of access)", "Tom", "Walsh", (TRIAGE_GROUP,)),
        DemoUser("commissioner", "Commissioner", "Helen", "Carter", (COMMISSIONERS_GROUP,)),
        DemoUser("admin", "Administrator (superuser)", "Alex", "Morgan", superuser=True),
    )


@transaction.atomic
def ensure_demo_users(*, editor_organisation) -> list[DemoUser]:
    """Create the demo users (with ``DEMO_PASSWORD``) and their groups; leave existing users' passwords.

    Setting a password takes a deliberately slow hash, so it happens only when a user is
    created: the second `make demo` stays quick. The editor joins ``editor_organisation``'s
    editors group.
    """
    ensure_staff_groups()
    editors = editor_organisation.editors or organisation_sync_editor_permissions(organisation=editor_organisation)
    User = get_user_model()
    users = demo_users(editor_group=editors.name)
    for spec in users:
        user, created = User.objects.get_or_create(
            username=spec.username,
            defaults={
                "first_name": spec.first_name,
                "last_name": spec.last_name,
                "email": spec.email,
                "is_superuser": spec.superuser,
                "is_staff": spec.superuser,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        user.groups.add(*Group.objects.filter(name__in=spec.groups))
    return list(users)


def demo_user(username: str):
    return get_user_model().objects.get(username=username)
