"""The search API's routes, and the OpenAPI schema of the whole public API (search and referrals)."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from search.api import ActivitySearchApi

urlpatterns = [
    path("api/v1/activities/", ActivitySearchApi.as_view(), name="api-activities"),
    path(
        "api/v1/schema/",
        # Only our own API: Wagtail's admin API views are not part of the public contract.
        SpectacularAPIView.as_view(
            urlconf=["search.api_urls", "referrals.api.urls"],
            custom_settings={"TITLE": "Signpost API", "VERSION": "1"},
        ),
        name="api-schema",
    ),
]
