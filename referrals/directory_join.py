"""Referrals' section on an activity's page: "Join this activity" through Signpost.

Residents ask to join (the self-referral form, with the activity named); link workers refer
someone from their caseload. The directory imports this module once every app is loaded
(``directory.joining``) and shows the section on its activity pages without knowing about referrals.
"""

from django.template.loader import render_to_string

from directory.joining import register_join_section
from referrals.permissions import may_refer_to_activities
from referrals.roles import actor_for_user


class JoinThroughSignpost:
    def render(self, request, activity) -> str:
        actor = actor_for_user(getattr(request, "user", None))
        context = {"page": activity, "refers": may_refer_to_activities(actor)}
        return render_to_string("referrals/activity_join.html", context, request=request)


register_join_section(JoinThroughSignpost())
