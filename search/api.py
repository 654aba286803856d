"""The JSON search API: GET /api/v1/activities/ (documented at /api/v1/schema/).

The same form reads the parameters as the web page does, and the same selector answers, so
the API and the page can never disagree. A bad parameter is an HTTP 400 that names it.
"""

from django.db import connection
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from search.forms import SearchForm
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


_PARAMETERS = [
    ("q", OpenApiTypes.STR, "Words to search for; synonyms from the needs taxonomy count."),
    ("postcode", OpenApiTypes.STR, "A UK postcode to search around, e.g. BH15 1AB."),
    ("latitude", OpenApiTypes.FLOAT, "Instead of a postcode: latitude (with longitude)."),
    ("longitude", OpenApiTypes.FLOAT, "Instead of a postcode: longitude (with latitude)."),
    ("radius_miles", OpenApiTypes.FLOAT, f"How far from the location, up to {MAX_RADIUS_MILES:g} miles. Default 3."),
    ("needs", OpenApiTypes.STR, "Needs taxonomy terms by id, ORUK id or slug, comma-separated or repeated; each includes its children."),
    ("day", OpenApiTypes.STR, "Days of the week: 0 (Monday) to 6, or names."),
    ("time", OpenApiTypes.STR, f"Times of day: {', '.join(t.value for t in TimeOfDay)}."),
    ("free", OpenApiTypes.BOOL, "Only free activities."),
    ("delivery", OpenApiTypes.STR, f"How it is run: {', '.join(m.value for m in DeliveryMode)}."),
    ("access", OpenApiTypes.STR, f"Venue features, all required: {', '.join(a.value for a in Accessibility)}."),
    ("age", OpenApiTypes.INT, "The person's age."),
    ("join", OpenApiTypes.STR, "How to join: self (no referral needed), drop_in, self_referral, referral_only."),
    ("capacity", OpenApiTypes.BOOL, "Only activities with places (capacity not recorded as 0)."),
    ("sort", OpenApiTypes.STR, f"{', '.join(s.value for s in Sort)} (nearest needs a location)."),
    ("page", OpenApiTypes.INT, "Page number, from 1."),
    ("page_size", OpenApiTypes.INT, f"Results a page, up to {MAX_PAGE_SIZE}. Default 20."),
]


class ActivitySearchApi(APIView):
    """Search publicly listed activities by need, words, distance and filters."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(
        operation_id="activities_search",
        parameters=[OpenApiParameter(name, kind, OpenApiParameter.QUERY, description=text) for name, kind, text in _PARAMETERS],
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
