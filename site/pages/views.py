from datetime import timedelta

from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.csrf import csrf_exempt


@never_cache
def health(request):
    """For load balancers and container health checks: is the database answering?"""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return JsonResponse({"status": "ok", "database": "ok"})
    except Exception as error:  # any database failure means unhealthy, whatever its type
        return JsonResponse({"status": "error", "database": type(error).__name__}, status=503)


@cache_control(max_age=86400, public=True)
def security_txt(request):
    """RFC 9116: where to report a vulnerability (``SECURITY_CONTACT``), valid for a year from today."""
    expires = (timezone.now() + timedelta(days=365)).replace(microsecond=0)
    lines = [
        f"Contact: {settings.SECURITY_CONTACT}",
        f"Expires: {expires.strftime('%Y-%m-%dT%H:%M:%SZ')}",
        "Preferred-Languages: en",
        f"Canonical: {request.build_absolute_uri()}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


@csrf_exempt
def api_not_found(request, path=""):
    """Any address under /api/ that no API route takes: a JSON 404, whatever the method.

    Without it the address would fall through to Wagtail's page serving: an HTML 404, or for a
    POST without a CSRF token an HTML 403, neither of which an API client expects.
    """
    return JsonResponse({"detail": "Not found."}, status=404)
