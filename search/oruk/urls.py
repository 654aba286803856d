"""The ORUK API's URLs, under ``/oruk/`` (the API's base URL). Paths as the profile writes them,
without a trailing slash (one is tolerated); anything else under /oruk/ is a JSON 404."""

from django.urls import path, re_path

from search.oruk import views

app_name = "oruk"

urlpatterns = [
    path("", views.api_details, name="details"),
    path("openapi.json", views.openapi, name="openapi"),
    re_path(r"^schema/(?P<name>[a-z_]+\.json)$", views.schema, name="schema"),
    re_path(r"^services/?$", views.services, name="services"),
    re_path(r"^services/(?P<oruk_id>[^/]+)/?$", views.service, name="service"),
    re_path(r"^service_at_locations/?$", views.service_at_locations, name="service_at_locations"),
    re_path(r"^service_at_locations/(?P<oruk_id>[^/]+)/?$", views.service_at_location, name="service_at_location"),
    re_path(r"^taxonomies/?$", views.taxonomies, name="taxonomies"),
    re_path(r"^taxonomies/(?P<oruk_id>[^/]+)/?$", views.taxonomy, name="taxonomy"),
    re_path(r"^taxonomy_terms/?$", views.taxonomy_terms, name="taxonomy_terms"),
    re_path(r"^taxonomy_terms/(?P<oruk_id>[^/]+)/?$", views.taxonomy_term, name="taxonomy_term"),
    re_path(r"^(?P<rest>.*)$", views.not_found),
]
