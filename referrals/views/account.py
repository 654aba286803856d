"""account pages (being built)."""

from django.http import HttpResponse
from django.urls import path


def _todo(request, *args, **kwargs):
    return HttpResponse(status=501)


urlpatterns = [
    path("two-factor/set-up/", _todo, name="two_factor_setup"),
    path("two-factor/", _todo, name="two_factor_verify"),
]
