"""The message back to the GP and referrer through the API: GET /api/v1/referrals/{reference}/summary/, as JSON
(the content as kept, with how it went) and as a FHIR R4 document, read back with fhir.resources' models."""

import json

import pytest
from django.db import transaction
from django.test import Client
from fhir.resources.R4B.bundle import Bundle

from factories import referrals as factories
from factories.primarycare import make_practice
from factories.referrals import make_connection
from referrals import outcomes
from referrals.choices import (
    SNOMED_DECLINED,
    SNOMED_REFERRED,
    AuditAction,
    DischargeReason,
    WellbeingStage,
)
from referrals.choices import ConnectionStatus as C
from referrals.choices import ReferralStatus as S
from referrals.fhir import NHS_NUMBER, ODS_CODE, SNOMED, summary_bundle
from referrals.models import ApiToken, AuditEntry, GpMessage
from referrals.roles import actor_for_user
from tests.accounts import sign_in_verified

NHS = "9434765919"
BEFORE = {"life_satisfaction": 3, "worthwhile": 4, "happiness": 2, "anxiety": 8}
AFTER = {"life_satisfaction": 7, "worthwhile": 8, "happiness": 6, "anxiety": 3}


@pytest.fixture
def service_key(service):
    return ApiToken.issue(name="EMIS at Harbour Surgery", service=service)[1]


@pytest.fixture
def call(client):
    """``call("get", path, key=...)``: a GET with the token."""

    def _call(method: str, path: str, *, key: str):
        return getattr(client, method)(path, HTTP_AUTHORIZATION=f"Token {key}")

    return _call


def summary_path(referral) -> str:
    return f"/api/v1/referrals/{referral.reference}/summary/"


@pytest.fixture
def practice(db):
    return make_practice("Harbour Surgery", ods_code="J81001", postcode="BH15 1AA")


@pytest.fixture
def discharged(service, triage, link_worker, activity, practice):
    """Discharged with goals met: an activity attended, wellbeing before and after, a review."""
    resident = factories.make_resident(service=service, first_name="Zebedee", last_name="Quartermaine",
                                       nhs_number=NHS, practice=practice)
    referral = factories.make_referral(service=service, triage=triage, link_worker=link_worker, resident=resident,
                                       status=S.CONTACTED)
    make_connection(referral=referral, activity=activity, status=C.ATTENDED)
    worker = actor_for_user(link_worker)
    outcomes.wellbeing_record(referral=referral, actor=worker, stage=WellbeingStage.FIRST_CONVERSATION, scores=BEFORE)
    outcomes.wellbeing_record(referral=referral, actor=worker, stage=WellbeingStage.REVIEW, scores=AFTER)
    factories.hold_review(referral)
    return factories.discharge(referral, note="Walking twice a week & feels <less> alone.")


def fhir_document(response) -> Bundle:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("application/fhir+json")
    return Bundle.model_validate_json(response.content)


def resources(bundle: Bundle, kind: str) -> list:
    return [entry.resource for entry in bundle.entry if entry.resource.get_resource_type() == kind]


def snomed_codes(bundle: Bundle) -> set[str]:
    found = set()
    for entry in bundle.entry:
        code = getattr(entry.resource, "code", None)
        for coding in (code.coding or []) if code is not None else []:
            if coding.system == SNOMED:
                found.add(coding.code)
    return found


def test_a_discharged_referral_s_summary_as_json_is_the_message_as_kept(discharged, call, service_key):
    message = GpMessage.objects.filter(referral=discharged).order_by("-pk").first()

    response = call("get", summary_path(discharged), key=service_key)

    assert response.status_code == 200, response.json()
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert (body["reference"], body["kind"]) == (discharged.reference, "discharge")
    content = body["content"]
    assert message is not None  # the message at discharge is kept: exactly what the practice was sent
    assert content == message.content
    assert (body["delivery"]["route"], body["delivery"]["recipient"]) == ("nhsmail", message.recipient)
    # The final discharge summary's content, with the message's own keys.
    assert {key: content[key] for key in discharged.discharge_summary.content} == discharged.discharge_summary.content
    assert content["practice"]["ods_code"] == "J81001"
    assert {c["code"] for c in content["codes"]} == {SNOMED_REFERRED}
    assert [(row["measure"], row["before"], row["after"]) for row in content["wellbeing"]] == [
        (name, BEFORE[name], AFTER[name]) for name in BEFORE
    ]


@pytest.mark.parametrize("how", ["accept", "format"])
def test_the_summary_as_a_fhir_document(discharged, client, service_key, practice, how):
    headers = {"HTTP_AUTHORIZATION": f"Token {service_key}"}
    if how == "accept":
        response = client.get(summary_path(discharged), HTTP_ACCEPT="application/fhir+json", **headers)
    else:
        response = client.get(summary_path(discharged), {"format": "fhir"}, **headers)

    bundle = fhir_document(response)
    assert bundle.type == "document" and bundle.timestamp and bundle.identifier.value.startswith("urn:uuid:")
    composition = bundle.entry[0].resource
    assert composition.get_resource_type() == "Composition" and composition.status == "final"
    assert [(c.system, c.code) for c in composition.type.coding] == [(SNOMED, "373942005")]
    titles = [section.title for section in composition.section]
    assert titles == ["Person demographics", "Referral details", "What matters to me",
                      "Personalised care and support plan", "Activities and services", "Outcome measures",
                      "Discharge details"]
    # Every reference is to an entry of the document.
    urls = {entry.fullUrl for entry in bundle.entry}
    assert all(url.startswith("urn:uuid:") for url in urls)
    referenced = {ref.reference for section in composition.section for ref in section.entry or []}
    assert referenced <= urls and composition.subject.reference in urls
    # The person, their NHS number and their practice by its ODS code.
    [patient] = resources(bundle, "Patient")
    assert [(i.system, i.value) for i in patient.identifier] == [(NHS_NUMBER, NHS)]
    assert patient.name[0].text == "Zebedee Quartermaine"
    assert patient.address[0].postalCode == "BH15 1AB"
    gp = next(entry for entry in bundle.entry if entry.fullUrl == patient.generalPractitioner[0].reference).resource
    assert [(i.system, i.value) for i in gp.identifier] == [(ODS_CODE, "J81001")] and gp.name == "Harbour Surgery"
    # The referral coded in SNOMED CT; the person did not decline.
    assert SNOMED_REFERRED in snomed_codes(bundle) and SNOMED_DECLINED not in snomed_codes(bundle)
    # Each score before and after, as an Observation.
    scores = sorted((o.code.text, o.valueInteger) for o in resources(bundle, "Observation"))
    assert len(scores) == 8
    assert ("Overall, how satisfied are you with your life nowadays?", 3) in scores
    assert ("Overall, how satisfied are you with your life nowadays?", 7) in scores
    # The narrative is the record's words, escaped.
    discharge_text = composition.section[-1].text.div
    assert "Goals met" in discharge_text and "&lt;less&gt;" in discharge_text and "<less>" not in discharge_text
    activities = composition.section[4].text.div
    assert "Tuesday health walk" in activities and "attended" in activities


def test_the_same_message_is_the_same_document_every_time(discharged, call, service_key):
    first = call("get", summary_path(discharged) + "?format=fhir", key=service_key)
    again = call("get", summary_path(discharged) + "?format=fhir", key=service_key)
    assert first.content == again.content


def test_a_person_who_declined_is_coded_as_declined(service, triage, link_worker, call, service_key):
    referral = factories.make_referral(service=service, triage=triage, link_worker=link_worker, status=S.CONTACTED)
    factories.discharge(referral, reason=DischargeReason.PERSON_DECLINED, note="Not for them just now.")

    body = call("get", summary_path(referral), key=service_key).json()
    assert SNOMED_DECLINED in {c["code"] for c in body["content"]["codes"]}
    bundle = fhir_document(call("get", summary_path(referral) + "?format=fhir", key=service_key))
    assert {SNOMED_REFERRED, SNOMED_DECLINED} <= snomed_codes(bundle)
    declined = [o for o in resources(bundle, "Observation") if o.code.coding and o.code.coding[0].code == SNOMED_DECLINED]
    assert len(declined) == 1 and declined[0].status == "final"
    # No practice on record: the document still names the person, with no practice entry.
    [patient] = resources(bundle, "Patient")
    assert not patient.generalPractitioner or not patient.generalPractitioner[0].reference


def test_no_summary_before_discharge_is_a_clear_404_in_json(service, triage, link_worker, client, service_key):
    referral = factories.make_referral(service=service, triage=triage, link_worker=link_worker, status=S.CONTACTED)
    for extra in ({}, {"HTTP_ACCEPT": "application/fhir+json"}):
        response = client.get(summary_path(referral), HTTP_AUTHORIZATION=f"Token {service_key}", **extra)
        assert response.status_code == 404
        assert response["Content-Type"].startswith("application/json")
        assert "not been discharged" in response.json()["detail"]
    assert client.get(summary_path(referral), {"format": "xml"},
                      HTTP_AUTHORIZATION=f"Token {service_key}").json() == {
        "format": ["Ask for format=json or format=fhir."]}


def test_every_read_is_audited(discharged, call, service_key):
    call("get", summary_path(discharged), key=service_key)
    call("get", summary_path(discharged) + "?format=fhir", key=service_key)
    views = AuditEntry.objects.filter(referral_id=discharged.pk, action=AuditAction.VIEW, what="API: summary")
    assert list(views.values_list("actor_label", flat=True)) == ["API: EMIS at Harbour Surgery"] * 2
    assert views.filter(path__endswith="?format=fhir").count() == 1


def test_a_kept_message_is_served_as_it_was_kept(discharged, call, service_key):
    """What the practice was sent is what the API gives, even if the record has moved on since."""
    message = GpMessage.objects.get(referral=discharged, kind="discharge")
    content = {**message.content, "practice": {"ods_code": "Y99999", "name": "As it was sent", "address": "",
                                               "postcode": ""}}
    GpMessage.objects.filter(pk=message.pk).update(content=content)

    assert call("get", summary_path(discharged), key=service_key).json()["content"] == content
    bundle = fhir_document(call("get", summary_path(discharged) + "?format=fhir", key=service_key))
    assert "Y99999" in [i.value for o in resources(bundle, "Organization") for i in o.identifier or []]


def test_the_document_is_built_from_the_content_alone_and_escapes_it():
    """An acknowledgement, from a dict (as stored): valid FHIR, text escaped, with no discharge section."""
    content = {
        "kind": "acknowledgement", "title": "Social prescribing referral accepted",
        "person": {"name": "Ann <script>alert(1)</script>", "date_of_birth": "1950-02-03", "nhs_number": NHS,
                   "postcode": "BH15 1AB", "gp_practice": "Harbour Surgery"},
        "referral": {"reference": "SP-ABC2345", "received": "2026-12-01T09:30+00:00", "accepted": "2026-12-02T10:00+00:00",
                     "needs": ["Loneliness"], "link_worker": "Lee Worker", "referrer": "Dr A Patel"},
        "practice": {"ods_code": "J81001", "name": "Harbour Surgery", "address": "1 Quay Road", "postcode": "BH15 1AA"},
        "service": {"name": "Poole Social Prescribing", "email": "team@example.org", "phone": ""},
        "codes": [{"system": SNOMED, "code": SNOMED_REFERRED, "display": "Referral to social prescribing service"}],
        "prepared": "2026-12-02T10:00+00:00",
    }
    bundle = Bundle.model_validate_json(summary_bundle(content).model_dump_json(exclude_none=True))
    composition = bundle.entry[0].resource
    assert composition.title == "Social prescribing referral accepted" and not composition.type.coding
    assert composition.section[-1].title == "Referral accepted"
    assert [a.reference for a in composition.author][1] in {e.fullUrl for e in resources_with_urls(bundle, "Practitioner")}
    person = composition.section[0].text.div
    assert "&lt;script&gt;" in person and "<script>" not in person
    [request] = [r for r in resources(bundle, "ServiceRequest") if r.intent == "order"]
    assert request.status == "active" and request.code.coding[0].code == SNOMED_REFERRED
    assert str(request.authoredOn).startswith("2026-12-01")


def resources_with_urls(bundle: Bundle, kind: str) -> list:
    return [entry for entry in bundle.entry if entry.resource.get_resource_type() == kind]


# Who may read it -------------------------------------------------------------------------------------

# The provider whose activity the person attended sees the referral but not the summary (403); a provider with
# nothing on it, a colleague it is not allocated to and another service do not see the referral (404).
ALLOWED = {"link worker": 200, "triage": 200, "colleague": 404, "provider": 403, "other provider": 404,
           "other service": 404, "anonymous": 401}


def test_who_may_read_the_summary(discharged, service, other_service, organisation, other_organisation, triage,
                                  link_worker):
    def token(**scope):
        return Client(), {"HTTP_AUTHORIZATION": f"Token {ApiToken.issue(name='A system', **scope)[1]}"}

    callers = {
        "link worker": (sign_in_verified(Client(), link_worker), {}),
        "triage": (sign_in_verified(Client(), triage), {}),
        "colleague": (sign_in_verified(Client(), factories.make_link_worker(service=service, username="colleague")),
                      {}),
        "provider": token(organisation=organisation),
        "other provider": token(organisation=other_organisation),
        "other service": token(service=other_service),
        "anonymous": (Client(), {}),
    }
    failures = []
    for caller, (client, headers) in callers.items():
        for query in ("", "?format=fhir"):
            with transaction.atomic():
                response = client.get(summary_path(discharged) + query, **headers)
                transaction.set_rollback(True)
            if response.status_code != ALLOWED[caller]:
                failures.append(f"{caller}{query}: {response.status_code}, wanted {ALLOWED[caller]}")
            if response.status_code != 200 and NHS in response.content.decode():
                failures.append(f"{caller}{query}: shows the NHS number")
            if response.status_code >= 400 and not response["Content-Type"].startswith("application/json"):
                failures.append(f"{caller}{query}: an error as {response['Content-Type']}")
    assert not failures, "\n".join(failures)


def test_the_content_round_trips_through_json(discharged, call, service_key):
    """The JSON answer's content builds the same FHIR document as the API's own FHIR answer."""
    content = call("get", summary_path(discharged), key=service_key).json()["content"]
    served = call("get", summary_path(discharged) + "?format=fhir", key=service_key).content
    assert json.loads(summary_bundle(content).model_dump_json(exclude_none=True)) == json.loads(served)


def test_a_referral_discharged_before_messages_were_kept_has_its_summary_built_from_the_discharge_summary(
        discharged, call, service_key):
    GpMessage.objects.filter(referral=discharged).delete()

    body = call("get", summary_path(discharged), key=service_key).json()

    assert body["delivery"] is None and body["kind"] == "discharge"
    assert body["content"]["fingerprint"] == discharged.discharge_summary.content["fingerprint"]
    assert body["content"]["practice"]["ods_code"] == "J81001"
    bundle = fhir_document(call("get", summary_path(discharged) + "?format=fhir", key=service_key))
    assert bundle.timestamp is not None and SNOMED_REFERRED in snomed_codes(bundle)


def test_the_summary_is_in_the_schema_as_json_and_as_fhir(client, db):
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/referrals/{reference}/summary/"]["get"]
    assert operation["operationId"] == "referrals_summary"
    assert set(operation["responses"]["200"]["content"]) == {"application/json", "application/fhir+json"}
    assert operation["responses"]["200"]["content"]["application/fhir+json"]["schema"]["properties"]["type"][
        "enum"] == ["document"]
    # Errors are JSON only.
    for code in ("401", "403", "404"):
        assert set(operation["responses"][code]["content"]) == {"application/json"}, code
    [format_] = [p for p in operation["parameters"] if p["name"] == "format"]
    assert (format_["in"], sorted(format_["schema"]["enum"])) == ("query", ["fhir", "json"])
