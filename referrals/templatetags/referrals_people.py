"""The person's other referrals and the re-referral flag, on the referral page, without its view knowing:

    {% load referrals_people %}{% person_history %}

The page is already audited (``visible_referral``); the history is of the same person, and links only
to the referrals the viewer may open (``referrals.people.history_context``).
"""

from django import template

from referrals import people

register = template.Library()


@register.inclusion_tag("referrals/includes/person_history.html", takes_context=True)
def person_history(context):
    referral, request = context.get("referral"), context.get("request")
    actor = getattr(request, "actor", None)
    if referral is None or actor is None:
        return {"earlier_referrals": [], "rereferral": None}
    return people.history_context(referral, actor=actor)
