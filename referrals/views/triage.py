"""triage pages (being built)."""

from django.http import HttpResponse
from django.urls import path


def _todo(request, *args, **kwargs):
    return HttpResponse(status=501)


urlpatterns = [
    path("", _todo, name="triage_queue"),
    path("new/", _todo, name="new_referral"),
]
