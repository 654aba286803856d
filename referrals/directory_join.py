"""Referrals' section on an activity's page: "Join this activity" through Signpost.

Residents ask to join (the self-referral, started with the activity, and the postcode and needs of
the search that found it); link workers refer someone from their caseload. The directory imports this module once every app is loaded
(``directory.joining``) and shows the section on its activity pages without knowing about referrals.
"""

from django.http import QueryDict
from django.template.loader import render_to_string
from django.urls import reverse

from directory.joining import register_join_section
from referrals.intake import prefill_from
from referrals.permissions import may_refer_to_activities
from referrals.roles import actor_for_user


class JoinThroughSignpost:
    def render(self, request, activity) -> str:
        actor = actor_for_user(getattr(request, "user", None))
        context = {"page": activity, "refers": may_refer_to_activities(actor),
                   "self_referral_url": self_referral_url(request, activity)}
        return render_to_string("referrals/activity_join.html", context, request=request)


register_join_section(JoinThroughSignpost())


def self_referral_url(request, activity) -> str:
    """The self-referral, started with this activity and what the search that found it knew (its
    postcode and needs, from the page's own address): only what validates is carried."""
    known = prefill_from(getattr(request, "GET", None) or QueryDict())
    carried = QueryDict(mutable=True)
    carried["activity"] = str(activity.pk)
    if "postcode" in known:
        carried["postcode"] = known["postcode"]
    if "needs" in known:
        carried.setlist("needs", known["needs"])
    return f"{reverse('referrals:self_referral')}?{carried.urlencode()}"
