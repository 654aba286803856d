"""The role home: each member of staff's work after signing in, one card per area (``referrals.staff_work``).

It shows only counts (how many open alerts, referrals waiting, changes to review), never a person's
details, so a look at it is not audited; the pages it leads to are.
"""

from django.shortcuts import render
from django.urls import path
from django.views.decorators.cache import never_cache

from referrals.staff_work import work_for
from referrals.views.common import staff_view


@never_cache
@staff_view()
def staff_home(request):
    return render(request, "referrals/staff_home.html", {"areas": work_for(request.actor, counted=True)})


urlpatterns = [
    path("", staff_home, name="staff_home"),
]
