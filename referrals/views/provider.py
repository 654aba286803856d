"""Provider pages (being built)."""

from django.http import HttpResponse
from django.urls import path


def provider_link(request, token):
    return HttpResponse(status=501)


urlpatterns = [path("link/<str:token>/", provider_link, name="provider_link")]
