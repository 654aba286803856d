from django.conf import settings
from django.conf.urls.static import static
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls

from directory import urls as directory_urls
from pages import views as pages_views
from pages import wagtail_urls as pages_wagtail_urls
from referrals import urls as referrals_urls
from reporting import urls as reporting_urls
from search import api_urls as search_api_urls
from search import urls as search_urls

urlpatterns = [
    path("healthz/", pages_views.health, name="health"),
    path(".well-known/security.txt", pages_views.security_txt, name="security_txt"),
    path("admin/", include(wagtailadmin_urls)),
    # Wagtail's document URLs and password forms, kept from answering any input with a 500.
    path("", include(pages_wagtail_urls)),
    path("", include(search_api_urls)),
    path(
        "api/v1/schema/",
        # The whole public API (search and referrals), and only ours: Wagtail's admin API views
        # are not part of the public contract.
        SpectacularAPIView.as_view(
            urlconf=["search.api_urls", "referrals.api.urls"],
            custom_settings={"TITLE": "Signpost API", "VERSION": "1"},
        ),
        name="api-schema",
    ),
    path("oruk/", include("search.oruk.urls")),
    path("", include("referrals.api.urls")),
    path("", include(referrals_urls)),
    path("", include(reporting_urls)),
    path("", include(directory_urls)),
    path("", include(search_urls)),
    # After every API route: the rest of /api/ is a JSON 404, never a page.
    re_path(r"^api/(?P<path>.*)$", pages_views.api_not_found, name="api_not_found"),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Wagtail's page serving catches everything else, so it comes last.
urlpatterns += [path("", include(wagtail_urls))]
