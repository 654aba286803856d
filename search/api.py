"""The JSON search API: GET /api/v1/activities/ (documented at /api/v1/schema/).

The same form reads the parameters as the web page does, and the same selector answers, so
the API and the page can never disagree. A bad parameter is an HTTP 400 that names it.
"""

from django.db import connection
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from common.bounds import MAX_PAGE
from common.patterns import NO_NUL, any_case, comma_separated
from directory.choices import Weekday
from search.forms import (
    DEFAULT_RADIUS_MILES,
    FLAG_VALUES,
    JOIN_CHOICES,
    MAX_AGE,
    MIN_AGE,
    MIN_RADIUS_MILES,
    UK_LATITUDES,
    UK_LONGITUDES,
    SearchForm,
)
from search.selectors import search_activities
from search.types import MAX_PAGE_SIZE, MAX_RADIUS_MILES, Accessibility, DeliveryMode, Sort, TimeOfDay


class NeedOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()


class VenueOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    town = serializers.CharField()
    postcode = serializers.CharField()
    latitude = serializers.FloatField(allow_null=True)
    longitude = serializers.FloatField(allow_null=True)
    accessibility = serializers.ListField(child=serializers.CharField())


class NextSessionOutput(serializers.Serializer):
    starts = serializers.DateTimeField()
    ends = serializers.DateTimeField()
    venue = serializers.CharField(source="venue_name")


class ActivityOutput(serializers.Serializer):
    id = serializers.IntegerField(source="activity_id")
    name = serializers.CharField(source="title")
    summary = serializers.CharField()
    url = serializers.SerializerMethodField()
    organisation = serializers.SerializerMethodField()
    venue = VenueOutput(allow_null=True)
    distance_miles = serializers.FloatField(allow_null=True, help_text="Great-circle miles to the nearest qualifying venue.")
    next_session = NextSessionOutput(allow_null=True)
    needs = NeedOutput(many=True)
    is_free = serializers.BooleanField()
    how_to_join = serializers.CharField()
    delivery = serializers.ListField(child=serializers.CharField())
    capacity_per_session = serializers.IntegerField(allow_null=True)

    def get_url(self, hit) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(hit.url) if request and hit.url else hit.url

    @extend_schema_field(inline_serializer("Organisation", fields={"id": serializers.IntegerField(), "name": serializers.CharField()}))
    def get_organisation(self, hit) -> dict:
        return {"id": hit.organisation_id, "name": hit.organisation}


FacetOutput = inline_serializer("Facet", fields={"value": serializers.CharField(), "label": serializers.CharField(), "count": serializers.IntegerField()})

SearchOutput = inline_serializer(
    "ActivitySearchResults",
    fields={
        "count": serializers.IntegerField(),
        "page": serializers.IntegerField(),
        "num_pages": serializers.IntegerField(),
        "results": ActivityOutput(many=True),
        "facets": serializers.DictField(child=serializers.ListField(child=FacetOutput)),
        "degraded": serializers.BooleanField(help_text="True when the search engine was down and the database answered."),
    },
)

ErrorOutput = inline_serializer(
    "ActivitySearchError",
    fields={
        "detail": serializers.CharField(),
        "errors": serializers.DictField(child=serializers.ListField(child=serializers.CharField())),
    },
)


# What each parameter takes, stated as JSON Schema so the schema says every rule the form enforces.
# Text may not hold NUL characters (refused as on every form); a multiple-value parameter is
# comma-separated (empty items are ignored) or repeated; an empty parameter is the same as none
# (the search page's form sends its empty fields: ``allowEmptyValue``, added by ``_SearchSchema``).
def _text(max_length: int) -> dict:
    return {"type": "string", "maxLength": max_length, "pattern": NO_NUL}


def _flag() -> dict:
    return {"type": "string", "enum": sorted(FLAG_VALUES)}


_DAYS = [str(value) for value in Weekday.values] + [any_case(label) for label in Weekday.labels]
_PARAMETERS = [
    ("q", _text(200), "Words to search for; synonyms from the needs taxonomy count."),
    ("postcode", _text(16), "A UK postcode to search around, e.g. BH15 1AB; it must be one Signpost knows."),
    ("latitude", {"type": "number", "minimum": UK_LATITUDES[0], "maximum": UK_LATITUDES[1]},
     "Instead of a postcode: latitude, in the UK (give longitude too)."),
    ("longitude", {"type": "number", "minimum": UK_LONGITUDES[0], "maximum": UK_LONGITUDES[1]},
     "Instead of a postcode: longitude, in the UK (give latitude too)."),
    ("radius_miles", {"type": "number", "minimum": MIN_RADIUS_MILES, "maximum": MAX_RADIUS_MILES},
     f"How far from the location, from {MIN_RADIUS_MILES:g} up to {MAX_RADIUS_MILES:g} miles. Default {DEFAULT_RADIUS_MILES}."),
    ("needs", {"type": "string", "pattern": NO_NUL},
     "Needs taxonomy terms by id, ORUK id or slug, comma-separated or repeated; each includes its children. "
     "Each must be a term of the taxonomy."),
    ("day", {"type": "string", "pattern": comma_separated(_DAYS)}, "Days of the week: 0 (Monday) to 6, or names; comma-separated."),
    ("time", {"type": "string", "pattern": comma_separated(t.value for t in TimeOfDay)},
     f"Times of day, comma-separated: {', '.join(t.value for t in TimeOfDay)}."),
    ("free", _flag(), "Only free activities: true or false (a checkbox's 'on' is true)."),
    ("delivery", {"type": "string", "pattern": comma_separated(m.value for m in DeliveryMode)},
     f"How it is run, comma-separated: {', '.join(m.value for m in DeliveryMode)}."),
    ("access", {"type": "string", "pattern": comma_separated(a.value for a in Accessibility)},
     f"Venue features, all required, comma-separated: {', '.join(a.value for a in Accessibility)}."),
    ("age", {"type": "integer", "minimum": MIN_AGE, "maximum": MAX_AGE}, "The person's age."),
    ("join", {"type": "string", "pattern": comma_separated(value for value, _ in JOIN_CHOICES)},
     "How to join, comma-separated: self (no referral needed), drop_in, self_referral, referral_only."),
    ("capacity", _flag(), "Only activities with places (capacity not recorded as 0): true or false."),
    ("sort", {"type": "string", "enum": [s.value for s in Sort]}, f"{', '.join(s.value for s in Sort)} (nearest needs a location)."),
    ("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}, f"Page number, from 1 to {MAX_PAGE:,}."),
    ("page_size", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE}, f"Results a page, from 1 to {MAX_PAGE_SIZE}. Default 20."),
]


class _SearchSchema(AutoSchema):
    """Every parameter may be sent empty, meaning not given (``allowEmptyValue``), as the search
    page's form sends its empty fields; drf-spectacular has no option for it."""

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        for parameter in (operation or {}).get("parameters", []):
            if parameter["in"] == "query":
                parameter["allowEmptyValue"] = True
        return operation


class ActivitySearchApi(APIView):
    """Search publicly listed activities by need, words, distance and filters."""

    permission_classes = [AllowAny]
    authentication_classes = []
    schema = _SearchSchema()

    @extend_schema(
        operation_id="activities_search",
        description=(
            "Publicly listed activities, best match first. A parameter that breaks its rule is refused with "
            "a 400 naming it; so is a postcode Signpost does not know, a need that is not in the taxonomy, "
            "or a latitude without a longitude (or the other way round)."
        ),
        parameters=[OpenApiParameter(name, schema, OpenApiParameter.QUERY, description=text) for name, schema, text in _PARAMETERS],
        responses={200: SearchOutput, 400: ErrorOutput},
    )
    def get(self, request):
        form = SearchForm(request.query_params, require_location=False)
        query, errors = form.query_or_errors()
        if query is None:
            first = next(iter(errors))
            return Response({"detail": f"{first}: {errors[first][0]}", "errors": errors}, status=400)
        queries = _QueryCounter()
        with connection.execute_wrapper(queries):
            results = search_activities(query=query)
        response = Response(
            {
                "count": results.total,
                "page": query.page,
                "num_pages": results.num_pages,
                "results": [_activity_output(hit, request) for hit in results.hits],
                "facets": {name: [{"value": f.value, "label": f.label, "count": f.count} for f in counts] for name, counts in results.facets.items()},
                "degraded": results.degraded,
            }
        )
        # For operators and `make bench-search`: who answered, how long the engine took, SQL cost.
        response["X-Search-Backend"] = results.backend
        response["X-SQL-Queries"] = str(queries.count)
        if results.took_ms is not None:
            response["X-Search-Took-Ms"] = str(results.took_ms)
        return response


_DATETIME = serializers.DateTimeField()


def _activity_output(hit, request) -> dict:
    """What ``ActivityOutput`` gives for a hit (which the schema documents), without the
    serializer machinery: a page of hits is serialised on every request."""
    venue = hit.venue
    session = hit.next_session
    return {
        "id": int(hit.activity_id),
        "name": str(hit.title),
        "summary": str(hit.summary),
        "url": request.build_absolute_uri(hit.url) if hit.url else hit.url,
        "organisation": {"id": hit.organisation_id, "name": hit.organisation},
        "venue": None if venue is None else {
            "id": int(venue.id),
            "name": str(venue.name),
            "town": str(venue.town),
            "postcode": str(venue.postcode),
            "latitude": None if venue.latitude is None else float(venue.latitude),
            "longitude": None if venue.longitude is None else float(venue.longitude),
            "accessibility": [str(feature) for feature in venue.accessibility],
        },
        "distance_miles": None if hit.distance_miles is None else float(hit.distance_miles),
        "next_session": None if session is None else {
            "starts": _DATETIME.to_representation(session.starts),
            "ends": _DATETIME.to_representation(session.ends),
            "venue": str(session.venue_name),
        },
        "needs": [{"id": int(need.id), "name": str(need.name), "slug": str(need.slug)} for need in hit.needs],
        "is_free": bool(hit.is_free),
        "how_to_join": str(hit.how_to_join),
        "delivery": [str(mode) for mode in hit.delivery],
        "capacity_per_session": None if hit.capacity_per_session is None else int(hit.capacity_per_session),
    }


class _QueryCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)
