"""The referral API in the OpenAPI schema at /api/v1/schema/: its paths, request bodies and token scheme."""

import pytest

from referrals.api.views import STEP_APIS

# Each step's request body, and the fields it must document.
STEP_BODIES = {
    "triage": {"tier", "link_worker", "priority", "note"},
    "choose-activity": {"activity", "note"},
    "decline": {"reason", "note"},
    "book-first-session": {"starts_at", "session", "note"},
    "cancel-first-session": {"note"},
    "close": {"outcome", "note"},
    "record-attendance": {"note"},
}


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
    # The search API is still there beside it.
    assert "/api/v1/activities/" in paths


def test_the_steps_document_their_request_bodies(schema):
    for segment, fields in STEP_BODIES.items():
        operation = schema["paths"][f"/api/v1/referrals/{{reference}}/{segment}/"]["post"]
        assert set(operation["requestBody"]["content"]) == {"application/json"}, segment
        assert set(_body(schema, operation)["properties"]) == fields, segment
    decline = _body(schema, schema["paths"]["/api/v1/referrals/{reference}/decline/"]["post"])
    assert decline["required"] == ["reason"]


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
    assert {"reference", "status", "snomed_code", "needs", "activity", "provider", "first_session", "time_stamps"} <= set(team)
    # The provider summary holds nothing clinical.
    assert not {"notes", "what_matters", "snomed_code", "consents", "referrer"} & set(provider)
    assert "nhs_number" not in components["ProviderResidentOutput"]["properties"]


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
