"""The ORUK API's OpenAPI document: the profile's (``directory/oruk/schema/openapi.json``),
adapted to say what this API is and does. The changes, and why:

- ``servers`` is this site's ``/oruk`` (the profile's document names none).
- ``openapi`` is 3.1.0: the document declares ``jsonSchemaDialect`` and its schemas are JSON
  Schema 2020-12, which are OpenAPI 3.1's; as 3.0.0 a client reads them in the wrong dialect.
- Its ``$ref``s to the profile's schemas on GitHub point to this site's copies of them
  (``/oruk/schema/<name>``), so the document and what the API is checked against are one.
- ``GET /service_at_locations/{id}`` answers a service_at_location
  (``compiled/service_at_location.json``); the profile's document names ``compiled/service.json``,
  which no service_at_location can satisfy (it requires a service's ``name`` and ``status``).
- Each parameter's schema states what the API accepts, and its description our reading of the
  profile's words: ``start_time`` and ``end_time`` were ``type: time`` (not a JSON Schema type),
  ``proximity`` a string, ``modified_after`` of format ``datetime`` (not a format; it is
  ``date-time``) and offered by no operation: /services and /service_at_locations take it.
- Every operation documents its 400 (a parameter the API cannot read, named) and, by id, its
  404, with the shape of the error; conditional requests can be answered 304.
- The profile's parameters that no operation here takes (``minimal``, ``full``, ``format``, ...)
  are left out.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from common.bounds import MAX_PAGE
from common.patterns import NO_NUL
from directory.oruk.schemas import load_schema
from search.oruk.params import (
    DEFAULT_PER_PAGE,
    MAX_AGE,
    MAX_ID,
    MAX_PER_PAGE,
    MAX_PROXIMITY_METRES,
    MAX_TEXT,
    TIME_PATTERN,
)

PROFILE_SCHEMAS = "https://raw.githubusercontent.com/openreferral/uk-profile/main/schema/"
# The profile's schemas this API serves (vendored in directory/oruk/schema, flat).
SERVED_SCHEMAS = (
    "service.json",
    "service_list.json",
    "service_at_location.json",
    "service_at_location_list.json",
    "taxonomy.json",
    "taxonomy_term.json",
)
_DAY = r"\s*(MO|TU|WE|TH|FR|SA|SU|[Mm][Oo][Nn][Dd][Aa][Yy]|[Tt][Uu][Ee][Ss][Dd][Aa][Yy]|[Ww][Ee][Dd][Nn][Ee][Ss][Dd][Aa][Yy]" \
       r"|[Tt][Hh][Uu][Rr][Ss][Dd][Aa][Yy]|[Ff][Rr][Ii][Dd][Aa][Yy]|[Ss][Aa][Tt][Uu][Rr][Dd][Aa][Yy]|[Ss][Uu][Nn][Dd][Aa][Yy])?\s*"
_TEXT = {"type": "string", "maxLength": MAX_TEXT, "pattern": NO_NUL}
_ID = {"type": "string", "maxLength": MAX_ID, "pattern": NO_NUL}

PARAMETERS = {
    "page": ({"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
             "Page number of paginated result, from 1."),
    "per_page": ({"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": DEFAULT_PER_PAGE},
                 f"Number of results requested in a single page: {DEFAULT_PER_PAGE} unless asked, at most {MAX_PER_PAGE}."),
    "search": (_TEXT, "Full text search, as on Signpost's search page: the words in a service's name, summary, "
                      "description or conditions, or a need's name or synonym."),
    "taxonomy_term_id": (_ID, "Services with this taxonomy term, or a term below it in the taxonomy."),
    "taxonomy_id": (_ID, "Services with any term of this taxonomy."),
    "minimum_age": ({"type": "number", "minimum": 0, "maximum": MAX_AGE},
                    "Services whose minimum age is at least this (a service with no minimum counts as 0)."),
    "maximum_age": ({"type": "number", "minimum": 0, "maximum": MAX_AGE},
                    "Services whose maximum age is this or below (a service with no maximum has none below it)."),
    "start_time": ({"type": "string", "pattern": TIME_PATTERN},
                   "Services with a session starting at or after this time of day (HH:MM, UK time)."),
    "end_time": ({"type": "string", "pattern": TIME_PATTERN},
                 "Services with a session ending at or before this time of day (HH:MM, UK time). With `day` and "
                 "`start_time`, one session must satisfy them all."),
    "day": ({"type": "string", "maxLength": 100, "pattern": rf"^{_DAY}(,{_DAY})*$"},
            "Services with a session on this day: MO, TU, WE, TH, FR, SA or SU (or the day's name); "
            "several, comma-separated, for any of them. Sessions that have ended do not count."),
    "postcode": ({"type": "string", "maxLength": 16, "pattern": NO_NUL},
                 "A UK postcode: services at locations within `proximity` of its centre, nearest first."),
    "proximity": ({"type": "number", "minimum": 1, "maximum": MAX_PROXIMITY_METRES},
                  f"Metres from the centre of `postcode` (which it needs); without it, {MAX_PROXIMITY_METRES:,} (50 miles)."),
    "modified_after": ({"type": "string", "format": "date-time", "maxLength": 40},
                       "Services changed (their page or their organisation's published) on or after this "
                       "date and time (ISO 8601; without an offset, UK time): for incremental harvesting."),
}
_ERROR = {
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": {"type": "string"},
                   "description": "What is wrong with each parameter at fault, by name."},
    },
}


def _error_response(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _point_refs(node, schema_url: Callable[[str], str]):
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(PROFILE_SCHEMAS):
            node["$ref"] = schema_url(ref.rsplit("/", 1)[1])
        for value in node.values():
            _point_refs(value, schema_url)
    elif isinstance(node, list):
        for value in node:
            _point_refs(value, schema_url)


def openapi_document(*, base_url: str, schema_url: Callable[[str], str]) -> dict:
    """The document for the API at ``base_url``; ``schema_url(name)`` is where this site serves
    the profile's schema ``name``."""
    document = copy.deepcopy(load_schema("openapi.json"))
    document["openapi"] = "3.1.0"
    document["info"]["description"] = (
        "Signpost's public directory as Open Referral UK 3.0 (HSDS-UK-3.0): read-only, no sign-in, "
        "open to any origin (CORS). Only what the public directory shows. Lists are paginated (page, per_page)."
    )
    document["servers"] = [{"url": base_url}]
    paths = document["paths"]
    paths["/service_at_locations/{id}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] = {
        "$ref": PROFILE_SCHEMAS + "compiled/service_at_location.json"
    }
    for path in ("/services", "/service_at_locations"):
        paths[path]["get"]["parameters"].append({"$ref": "#/components/parameters/modified_after"})
    for path, item in paths.items():
        responses = item["get"]["responses"]
        responses["304"] = {"description": "Not modified: the ETag given in If-None-Match is still the answer's."}
        if path != "/":
            responses["400"] = _error_response("A parameter the API cannot read; `errors` says what is wrong with it.")
        if "{id}" in path:
            responses["404"] = _error_response("Nothing the public directory lists has this id.")
    components = document["components"]
    components["schemas"]["Error"] = _ERROR
    for name, parameter in list(components["parameters"].items()):
        if name not in PARAMETERS:
            del components["parameters"][name]
            continue
        parameter["schema"], parameter["description"] = copy.deepcopy(PARAMETERS[name])
    _point_refs(document, schema_url)
    return document
