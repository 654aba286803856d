"""Templates ask the policy (``referrals.permissions``), never re-derive it from roles or states.

    {% load referrals_permissions %}
    {% if request.actor|may_see_reports %}...{% endif %}
"""

from django import template

from referrals import permissions

register = template.Library()


@register.filter
def may_see_reports(actor) -> bool:
    return actor is not None and permissions.may_see_reports(actor)


@register.filter
def may_refer_to_activities(actor) -> bool:
    return actor is not None and permissions.may_refer_to_activities(actor)


@register.filter
def may_export_resident(actor, resident) -> bool:
    return actor is not None and resident is not None and permissions.may_export_resident(actor, resident)


@register.filter
def may_erase_resident(actor, resident) -> bool:
    return actor is not None and resident is not None and permissions.may_erase_resident(actor, resident)


@register.filter
def may_see_care_plan(actor, referral) -> bool:
    return actor is not None and referral is not None and permissions.may_see_care_plan(actor, referral)
