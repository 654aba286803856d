"""The search API's routes (the whole public API's OpenAPI schema is site-wide: ``config.urls``)."""

from django.urls import path

from search.api import ActivitySearchApi

urlpatterns = [
    path("api/v1/activities/", ActivitySearchApi.as_view(), name="api-activities"),
]
