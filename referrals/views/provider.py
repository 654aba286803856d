"""Provider pages (being built)."""

from django.http import HttpResponse
from django.urls import path


def _todo(request, *args, **kwargs):
    return HttpResponse(status=501)


urlpatterns = [
    path("", _todo, name="provider_inbox"),
    path("link/<str:token>/", _todo, name="provider_link"),
]
