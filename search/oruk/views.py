"""The ORUK API's HTTP: anonymous GETs answered as JSON, open to any origin (CORS), with an
ETag so that a client may ask again conditionally (304), and errors as JSON too (400 naming
the parameter, 404, 405). What to answer is the selectors' business, not the views'.
"""

from __future__ import annotations

import logging
from functools import wraps

from django.core.signals import got_request_exception
from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_cache_control, set_response_etag
from django.views.decorators.csrf import csrf_exempt

from directory.oruk.schemas import load_schema
from search.oruk import selectors
from search.oruk.openapi import SERVED_SCHEMAS, openapi_document
from search.oruk.params import OrukQueryError, read_query

logger = logging.getLogger(__name__)

VERSION = "HSDS-UK-3.0"
PROFILE_URL = "https://github.com/openreferral/uk-profile"
ALLOWED_METHODS = "GET, HEAD, OPTIONS"
# Public data that changes when an editor publishes: a minute's caching spares the database.
MAX_AGE_SECONDS = 60


def _json(data, *, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})


def _error(status: int, detail: str, errors: dict | None = None) -> JsonResponse:
    return _json({"detail": detail} | ({"errors": errors} if errors else {}), status=status)


def _open_to_any_origin(response: HttpResponse) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Expose-Headers"] = "ETag"
    return response


def oruk_endpoint(view):
    """An endpoint of the API: GET and HEAD (and OPTIONS for CORS preflight); every answer, an
    error too, open to any origin; a 200 with an ETag and answered 304 when it still holds."""

    @csrf_exempt
    @wraps(view)
    def endpoint(request, *args, **kwargs):
        if request.method == "OPTIONS":
            response = HttpResponse(status=204)
            response["Access-Control-Allow-Methods"] = ALLOWED_METHODS
            response["Access-Control-Allow-Headers"] = request.headers.get(
                "Access-Control-Request-Headers", "Accept, If-None-Match, If-Modified-Since"
            )
            response["Access-Control-Max-Age"] = "86400"
            response["Allow"] = ALLOWED_METHODS
            return _open_to_any_origin(response)
        if request.method not in ("GET", "HEAD"):
            response = _error(405, f"This API is read-only: use GET, not {request.method}.")
            response["Allow"] = ALLOWED_METHODS
            return _open_to_any_origin(response)
        try:
            response = view(request, *args, **kwargs)
        except OrukQueryError as error:
            response = _error(400, f"{error.parameter}: {error.message}", {error.parameter: error.message})
        except Exception:
            # Told to Django's error reporting (and re-raised by the test client), but the
            # caller still gets JSON it may read from any origin.
            logger.exception("ORUK API error on %s", request.get_full_path())
            got_request_exception.send(sender=None, request=request)
            response = _error(500, "Something went wrong on our side. Please try again later.")
        if response.status_code == 200:
            patch_cache_control(response, public=True, max_age=MAX_AGE_SECONDS)
            set_response_etag(response)
            response = get_conditional_response(request, etag=response["ETag"], response=response)
        return _open_to_any_origin(response)

    return endpoint


def _not_found(kind: str, oruk_id: str) -> JsonResponse:
    return _error(404, f"The public directory lists no {kind} with id {oruk_id[:100]!r}.")


def _detail(found, kind: str, oruk_id: str) -> JsonResponse:
    return _json(found) if found is not None else _not_found(kind, oruk_id)


@oruk_endpoint
def api_details(request):
    return _json({
        "version": VERSION,
        "profile": PROFILE_URL,
        "openapi_url": request.build_absolute_uri(reverse("oruk:openapi")),
    })


@oruk_endpoint
def openapi(request):
    base = request.build_absolute_uri(reverse("oruk:details")).rstrip("/")
    return _json(openapi_document(
        base_url=base,
        schema_url=lambda name: request.build_absolute_uri(reverse("oruk:schema", args=[name])),
    ))


@oruk_endpoint
def schema(request, name: str):
    if name not in SERVED_SCHEMAS:
        return _error(404, f"There is no schema called {name[:100]!r} here.")
    return _json(load_schema(name))


@oruk_endpoint
def services(request):
    return _json(selectors.services_page(read_query(request.GET)).as_json())


@oruk_endpoint
def service(request, oruk_id: str):
    return _detail(selectors.service_detail(oruk_id), "service", oruk_id)


@oruk_endpoint
def service_at_locations(request):
    return _json(selectors.service_at_locations_page(read_query(request.GET, locations=True)).as_json())


@oruk_endpoint
def service_at_location(request, oruk_id: str):
    return _detail(selectors.service_at_location_detail(oruk_id), "service at a location", oruk_id)


@oruk_endpoint
def taxonomies(request):
    return _json(selectors.taxonomies_page(read_query(request.GET, filters=False)).as_json())


@oruk_endpoint
def taxonomy(request, oruk_id: str):
    return _detail(selectors.taxonomy_detail(oruk_id), "taxonomy", oruk_id)


@oruk_endpoint
def taxonomy_terms(request):
    return _json(selectors.taxonomy_terms_page(read_query(request.GET, filters=False)).as_json())


@oruk_endpoint
def taxonomy_term(request, oruk_id: str):
    return _detail(selectors.taxonomy_term_detail(oruk_id), "taxonomy term", oruk_id)


@oruk_endpoint
def not_found(request, rest: str = ""):
    return _error(404, "There is no such endpoint in this API: see openapi_url at /oruk/.")


