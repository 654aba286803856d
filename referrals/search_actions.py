"""Referrals' action on search results: from the link workers' search, refer to an activity.

Search imports this module once every app is loaded (``search.actions``): it shows the link
workers' search to the people this serves and puts the link on each result, without knowing
about referrals.
"""

from django.urls import reverse
from django.utils.translation import gettext as _

from referrals.permissions import may_refer_to_activities
from referrals.roles import actor_for_user
from search.actions import ResultAction, register_result_actions
from search.types import Hit


class ReferToActivity:
    """"Refer to this activity" on each result, for link workers."""

    def available_to(self, user) -> bool:
        return may_refer_to_activities(actor_for_user(user))

    def for_hit(self, request, hit: Hit) -> list[ResultAction]:
        url = f"{reverse('referrals:refer_to_activity')}?activity={hit.activity_id}"
        return [ResultAction(label=_("Refer to this activity"), url=url)]


register_result_actions(ReferToActivity())
