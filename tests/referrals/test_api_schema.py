"""The referral API in the OpenAPI schema at /api/v1/schema/: its paths, request bodies and token scheme."""

import re

import pytest

from referrals.api.views import CONNECTION_STEP_APIS, STEP_APIS

# Each step's request body, and the fields it must document.
STEP_BODIES = {
    "triage": {"tier", "link_worker", "priority", "note"},
    "choose-activity": {"activity", "note"},
    "decline": {"reason", "note"},
    "book-first-session": {"starts_at", "session", "note"},
    "cancel-first-session": {"note"},
    "discharge/preview": {"reason", "note"},
    "discharge": {"reason", "note", "fingerprint"},
    "record-attendance": {"note"},
    "mark-resident-notified": {"note"},
}
CONNECTION_STEP_BODIES = {
    "change-activity": {"activity", "note"},
    "decline": {"reason", "note"},
    "book-first-session": {"starts_at", "session", "note"},
    "record-signpost-outcome": {"outcome", "note"},
    "withdraw": {"note"},
}
CONNECTION = "/api/v1/referrals/{reference}/connections/{number}/"


@pytest.fixture
def schema(client, db):
    response = client.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def _body(schema, operation) -> dict:
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]


def test_every_referral_operation_is_in_the_schema(schema):
    paths = schema["paths"]
    assert set(paths["/api/v1/referrals/"]) == {"get"}
    assert set(paths["/api/v1/referrals/create/"]) == {"post"}
    assert set(paths["/api/v1/referrals/{reference}/"]) == {"get"}
    for segment in STEP_APIS:
        operation = paths[f"/api/v1/referrals/{{reference}}/{segment}/"]["post"]
        assert operation["operationId"].startswith("referrals_")
        assert {"200", "400", "401", "403", "404", "409"} <= set(operation["responses"]), segment
        assert [p["name"] for p in operation["parameters"] if p["in"] == "path"] == ["reference"]
    for segment in CONNECTION_STEP_APIS:
        operation = paths[f"{CONNECTION}{segment}/"]["post"]
        assert operation["operationId"].startswith("referrals_connections_"), segment
        assert {"200", "400", "401", "403", "404", "409"} <= set(operation["responses"]), segment
        assert sorted(p["name"] for p in operation["parameters"] if p["in"] == "path") == ["number", "reference"]
    assert set(paths["/api/v1/referrals/{reference}/connections/"]) == {"get", "post"}
    assert set(paths[CONNECTION]) == {"get"}
    for path in ("discharge/preview/", "discharge/"):
        assert set(paths[f"/api/v1/referrals/{{reference}}/{path}"]) == {"post"}
    assert set(paths["/api/v1/referrals/{reference}/discharge-summary/"]) == {"get"}
    # Each operation has its own, clear id.
    ids = [op["operationId"] for path, ops in paths.items() if path.startswith("/api/v1/referrals/") for op in ops.values()]
    assert len(ids) == len(set(ids))
    assert {"referrals_connections_list", "referrals_connections_create", "referrals_connections_retrieve",
            "referrals_connections_withdraw", "referrals_connections_change_activity",
            "referrals_connections_record_signpost_outcome", "referrals_discharge_preview", "referrals_discharge",
            "referrals_discharge_summary", "referrals_contacts_list", "referrals_plan_retrieve"} <= set(ids)
    # The search API is still there beside it.
    assert "/api/v1/activities/" in paths


def test_the_steps_document_their_request_bodies(schema):
    for segment, fields in STEP_BODIES.items():
        operation = schema["paths"][f"/api/v1/referrals/{{reference}}/{segment}/"]["post"]
        assert set(operation["requestBody"]["content"]) == {"application/json"}, segment
        assert set(_body(schema, operation)["properties"]) == fields, segment
    for segment, fields in CONNECTION_STEP_BODIES.items():
        operation = schema["paths"][f"{CONNECTION}{segment}/"]["post"]
        assert set(_body(schema, operation)["properties"]) == fields, segment
    decline = _body(schema, schema["paths"]["/api/v1/referrals/{reference}/decline/"]["post"])
    assert decline["required"] == ["reason"]
    discharge = _body(schema, schema["paths"]["/api/v1/referrals/{reference}/discharge/"]["post"])
    assert set(discharge["required"]) == {"reason", "fingerprint"}


def test_creating_a_referral_documents_the_resident_consents_and_needs(schema):
    operation = schema["paths"]["/api/v1/referrals/create/"]["post"]
    body = _body(schema, operation)
    assert {"resident", "source", "referrer", "needs", "consents", "what_matters", "priority"} <= set(body["properties"])
    assert {"resident", "source", "consents"} <= set(body["required"])
    components = schema["components"]["schemas"]
    assert {"first_name", "last_name", "nhs_number", "preferred_contact", "postcode"} <= set(
        components["ResidentInput"]["properties"]
    )
    assert {"referral", "share_with_provider", "feedback_to_referrer", "method"} <= set(
        components["ConsentsInput"]["properties"]
    )
    assert "201" in operation["responses"]


def test_a_referral_is_documented_in_both_its_views(schema):
    components = schema["components"]["schemas"]
    team, provider = components["ReferralOutput"]["properties"], components["ProviderReferralOutput"]["properties"]
    assert {"reference", "status", "snomed_code", "needs", "connections", "discharge", "time_stamps"} <= set(team)
    assert {"number", "kind", "status", "activity", "service", "provider", "first_session", "provider_decline",
            "outcome_note", "time_stamps"} <= set(components["ConnectionOutput"]["properties"])
    assert {"reason", "note", "discharged_at", "summary"} <= set(components["DischargeOutput"]["properties"])
    # The provider summary holds nothing clinical, and a connection as a provider sees it none of the team's notes.
    assert not {"notes", "what_matters", "snomed_code", "consents", "referrer", "discharge"} & set(provider)
    assert "nhs_number" not in components["ProviderResidentOutput"]["properties"]
    assert not {"outcome_note", "service"} & set(components["ProviderConnectionOutput"]["properties"])


def test_connections_are_named_by_a_bounded_number_and_made_as_an_activity_or_a_signpost(schema):
    paths = schema["paths"]
    number = _parameters(schema, CONNECTION)["number"]["schema"]
    assert (number["type"], number["minimum"], number["maximum"]) == ("integer", 1, 9999)
    made = paths["/api/v1/referrals/{reference}/connections/"]["post"]
    body = schema["components"]["schemas"][made["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                                           .rsplit("/", 1)[1]]
    assert body["discriminator"]["propertyName"] == "kind"
    assert set(body["discriminator"]["mapping"]) == {"activity", "signpost"}
    signpost = schema["components"]["schemas"]["SignpostConnectionInput"]
    assert set(signpost["required"]) == {"kind", "service_name"}
    assert "201" in made["responses"]


def test_closing_is_documented_as_gone_and_every_change_takes_an_idempotency_key(schema):
    close = schema["paths"]["/api/v1/referrals/{reference}/close/"]["post"]
    assert close["deprecated"] is True and "410" in close["responses"]
    assert "discharge" in close["description"]
    for path, operations in schema["paths"].items():
        changes = path.startswith("/api/v1/referrals/") and (
            path.startswith(CONNECTION[:-9]) or path.rstrip("/").rsplit("/", 1)[1] in {*STEP_APIS, "discharge"})
        if changes and "post" in operations:
            parameters = {p["name"] for p in operations["post"]["parameters"]}
            assert "Idempotency-Key" in parameters, path
            assert "422" in operations["post"]["responses"], path


def test_the_token_security_scheme_is_documented(schema):
    scheme = schema["components"]["securitySchemes"]["apiToken"]
    assert scheme == {**scheme, "type": "apiKey", "in": "header", "name": "Authorization"}
    assert "Token <key>" in scheme["description"]
    detail = schema["paths"]["/api/v1/referrals/{reference}/"]["get"]
    assert {"apiToken": []} in detail["security"]
    # No anonymous access: unlike the public search, every referral operation needs a token or a session.
    for path, operations in schema["paths"].items():
        if path.startswith("/api/v1/referrals/"):
            for operation in operations.values():
                assert {} not in operation["security"], path


# Every rule the API enforces is in the schema ------------------------------------------------------


def _parameters(schema, path: str, method: str = "get") -> dict:
    return {parameter["name"]: parameter for parameter in schema["paths"][path][method]["parameters"]}


def _pattern(parameter_schema: dict) -> str:
    """The pattern of a parameter or field (drf-spectacular wraps a blank-allowing one in oneOf)."""
    if "oneOf" in parameter_schema:
        return next(option["pattern"] for option in parameter_schema["oneOf"] if "pattern" in option)
    return parameter_schema["pattern"]


def test_the_referral_list_states_its_bounds_statuses_and_date(schema):
    parameters = _parameters(schema, "/api/v1/referrals/")
    assert {key: parameters["page"]["schema"][key] for key in ("minimum", "maximum")} == {"minimum": 1, "maximum": 10_000}
    assert {key: parameters["page_size"]["schema"][key] for key in ("minimum", "maximum")} == {"minimum": 1, "maximum": 100}
    # A date and time, not "a date and time or nothing": an empty value is refused.
    assert parameters["updated_since"]["schema"] == {"type": "string", "format": "date-time"}
    status = re.compile(_pattern(parameters["status"]["schema"]))
    assert status.match("received") and status.match("triaged, discharged")
    assert not status.match("lost") and not status.match("received,lost")


def test_text_fields_state_that_nul_characters_and_blanks_are_refused(schema):
    components = schema["components"]["schemas"]
    note = components["ReferralCancelFirstSessionInput"]["properties"]["note"]  # required: not blank
    assert re.match(note["pattern"], "Venue closed") and not re.match(note["pattern"], "   ")
    assert not re.match(note["pattern"], "Venue\x00closed")
    optional_note = components["ReferralAcceptInput"]["properties"]["note"]
    assert re.match(optional_note["pattern"], "") and not re.match(optional_note["pattern"], "\x00")
    for name in ("first_name", "last_name", "address", "gp_practice"):
        assert "pattern" in components["ResidentInput"]["properties"][name], name


def test_the_idempotency_key_states_its_format(schema):
    header = _parameters(schema, "/api/v1/referrals/create/", "post")["Idempotency-Key"]
    assert header["in"] == "header"
    pattern = re.compile(header["schema"]["pattern"])
    assert pattern.match("3f1c2a9e-6a7b-4c1d-9e8f-0a1b2c3d4e5f")
    assert not pattern.match("") and not pattern.match("with space") and not pattern.match("x" * 256)
    assert "422" in schema["paths"]["/api/v1/referrals/create/"]["post"]["responses"]


def test_the_search_api_states_its_bounds(schema):
    parameters = _parameters(schema, "/api/v1/activities/")

    def bounds(name):
        return parameters[name]["schema"]["minimum"], parameters[name]["schema"]["maximum"]

    assert bounds("page") == (1, 10_000)
    assert bounds("page_size") == (1, 100)
    assert bounds("radius_miles") == (0.1, 50)
    # The UK: Scilly to Shetland, County Fermanagh to Lowestoft.
    assert bounds("latitude") == (49.8, 60.9)
    assert bounds("longitude") == (-8.7, 1.8)
    assert bounds("age") == (0, 120)
    assert parameters["sort"]["schema"]["enum"] == ["best", "nearest", "soonest"]
    assert set(parameters["free"]["schema"]["enum"]) == {"true", "false", "1", "0", "on"}
    day = re.compile(parameters["day"]["schema"]["pattern"])
    assert day.match("0,6") and day.match("Monday, tuesday") and not day.match("7") and not day.match("Mon")
    assert not re.match(parameters["q"]["schema"]["pattern"], "walk\x00")
    # The search page's form sends its empty fields: an empty parameter means "not given".
    assert all(parameter["allowEmptyValue"] for parameter in parameters.values())


def test_a_new_connection_s_body_is_required(schema):
    """Its body is one kind or the other (oneOf on ``kind``): a request without one is refused,
    so the schema must not call the body optional (as drf-spectacular would for a oneOf)."""
    operation = schema["paths"]["/api/v1/referrals/{reference}/connections/"]["post"]
    assert operation["requestBody"]["required"] is True
