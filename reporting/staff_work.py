"""Reporting's part of each member of staff's work (``referrals.staff_work``): "Reports", for whoever may open them.

Found by ``referrals.staff_work`` the first time anyone's work is asked for, so referrals never names
reporting's pages.
"""

from django.urls import reverse
from django.utils.translation import gettext as _

from referrals.permissions import may_see_reports
from referrals.staff_work import WorkArea, WorkLink, register_work


def reports(actor, counted: bool):
    if not may_see_reports(actor):
        return
    yield WorkArea(
        key="reports",
        title=_("Reports"),
        main=WorkLink(_("Reports"), reverse("reporting:reports"), icon="table"),
        order=40,
        description=_("Referrals, first sessions and gaps in provision, for the period you choose."),
    )


register_work(reports)
