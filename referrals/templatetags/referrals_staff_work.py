"""The staff menu on Signpost's pages, from ``referrals.staff_work`` (the Wagtail admin's menu uses the same list).

    {% load referrals_staff_work %}
    {% staff_menu request.actor as links %}
"""

from django import template

from referrals.staff_work import menu_for

register = template.Library()


@register.simple_tag
def staff_menu(actor):
    return menu_for(actor) if actor is not None else []
