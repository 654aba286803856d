"""Who may change GP practices and primary care networks: administrators.

Superusers may; so may anyone given Django's model permissions on practices and networks (an
"administrator" group a deployment makes). No staff group holds them: link workers, triage,
commissioners, moderators and providers read practices through the forms' picker and never change
them. Practices are never deleted, by anyone: residents and messages to the GP refer to them, and a
practice that closes is marked closed.
"""

from wagtail.permission_policies import ModelPermissionPolicy

# Loading the NHS's files creates and changes both.
LOAD_PERMISSIONS = (
    "primarycare.add_gppractice",
    "primarycare.change_gppractice",
    "primarycare.add_primarycarenetwork",
    "primarycare.change_primarycarenetwork",
)


def may_load_practice_files(user) -> bool:
    return bool(user and user.is_active and user.has_perms(LOAD_PERMISSIONS))


class NeverDeletedPolicy(ModelPermissionPolicy):
    """The model's permissions, except that nobody (not even a superuser) deletes one."""

    def user_has_permission(self, user, action):
        return action != "delete" and super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)

    def users_with_any_permission(self, actions):
        return super().users_with_any_permission([action for action in actions if action != "delete"])
