from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache


@never_cache
def health(request):
    """For load balancers and container health checks: is the database answering?"""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return JsonResponse({"status": "ok", "database": "ok"})
    except Exception as error:  # any database failure means unhealthy, whatever its type
        return JsonResponse({"status": "error", "database": type(error).__name__}, status=503)
