"""The practice chooser's type-ahead: open GP practices matching what was typed, as JSON.

Public, because residents referring themselves choose their practice too. It answers only what
the NHS publishes about a practice (name, ODS code, address, postcode): never anything about a
person, so it needs no sign-in and writes no audit.
"""

from __future__ import annotations

from django.http import JsonResponse
from django.urls import path
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from primarycare.selectors import MAX_QUERY_LENGTH, search_practices

# Enough to choose from as someone types; the page's "Find practice" shows as many.
TYPE_AHEAD_RESULTS = 10


def practice_json(practice) -> dict:
    return {
        "ods_code": practice.ods_code,
        "name": practice.name,
        "postcode": practice.postcode,
        "address": practice.address,
    }


@require_GET
@cache_control(public=True, max_age=300)
def practice_search(request):
    query = (request.GET.get("q") or "")[:MAX_QUERY_LENGTH]
    # No NUL characters reach the database (PostgreSQL refuses them in text).
    query = query.replace("\x00", "")
    results = search_practices(query, limit=TYPE_AHEAD_RESULTS) if len(query.strip()) >= 2 else []
    # Not what was asked: only practices, so no answer ever holds what someone typed.
    return JsonResponse({"results": [practice_json(practice) for practice in results]})


urlpatterns = [
    path("search/", practice_search, name="practice_search"),
]
