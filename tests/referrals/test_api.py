"""The referral API as a clinical system and a provider use it: tokens, scopes, each step, errors, audit."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from factories import referrals as factories
from factories.referrals import first_session_held, only_connection
from referrals import services
from referrals.api.views import CONNECTION_STEP_APIS, STEP_APIS
from referrals.choices import SNOMED_REFERRED, AuditAction, ConsentMethod, ConsentPurpose
from referrals.choices import ConnectionStatus as C
from referrals.choices import ReferralStatus as S
from referrals.errors import ReferralError
from referrals.models import ApiToken, AuditEntry, Consent, Referral, ReferralEvent, Resident
from referrals.roles import actor_for_token, actor_for_user
from referrals.selectors import triage_queue

LIST = "/api/v1/referrals/"
CREATE = "/api/v1/referrals/create/"
NHS_NUMBER = "9434765919"
WHAT_MATTERS = "Getting out of the house and meeting people."


def detail(referral) -> str:
    return f"/api/v1/referrals/{referral.reference}/"


def step(referral, segment: str) -> str:
    return f"/api/v1/referrals/{referral.reference}/{segment}/"


def connection_step(referral, number: int, segment: str) -> str:
    return f"/api/v1/referrals/{referral.reference}/connections/{number}/{segment}/"


def every_change(referral) -> list[str]:
    """Every POST on a referral: its steps, its connections' steps, making a connection, discharge, closing."""
    return [
        *(step(referral, segment) for segment in STEP_APIS),
        *(connection_step(referral, 1, segment) for segment in CONNECTION_STEP_APIS),
        *(step(referral, segment) for segment in ("connections", "discharge/preview", "discharge", "close")),
    ]


@pytest.fixture
def call(client):
    """``call(method, path, key=..., data=...)``: a JSON request with the token (if any)."""

    def _call(method: str, path: str, *, key: str | None = None, data=None):
        headers = {"HTTP_AUTHORIZATION": f"Token {key}"} if key else {}
        if method == "get":
            return client.get(path, data or {}, **headers)
        return getattr(client, method)(path, data=data if data is not None else {}, content_type="application/json",
                                       **headers)

    return _call


@pytest.fixture
def service_key(service):
    return ApiToken.issue(name="EMIS at Harbour Surgery", service=service)[1]


@pytest.fixture
def other_service_key(other_service):
    return ApiToken.issue(name="SystmOne at Halton", service=other_service)[1]


@pytest.fixture
def provider_key(organisation):
    return ApiToken.issue(name="Poole Walking Friends system", organisation=organisation)[1]


@pytest.fixture
def other_provider_key(other_organisation):
    return ApiToken.issue(name="Harbour Lunch Club system", organisation=other_organisation)[1]


def new_referral_body(**changes) -> dict:
    body = {
        "resident": {
            "first_name": "Margaret",
            "last_name": "Oyelaran",
            "date_of_birth": "1948-03-02",
            "nhs_number": "943 476 5919",
            "address": "4 Quay Road, Poole",
            "postcode": "bh15 1ab",
            "phone": "07700 900456",
            "email": "margaret@example.net",
            "preferred_contact": "text",
            "language": "English",
            "accessibility_needs": "Uses a walking frame.",
            "gp_practice": "Harbour Surgery",
        },
        "source": "primary_care",
        "referrer": {"name": "Dr A Patel", "role": "GP", "organisation": "Harbour Surgery",
                     "email": "referrals@harbour-surgery.example.nhs.uk"},
        "needs": ["loneliness-and-isolation"],
        "what_matters": WHAT_MATTERS,
        "notes": "Recently bereaved.",
        "priority": "urgent",
        "consents": {"referral": True, "share_with_provider": True, "feedback_to_referrer": False, "method": "verbal"},
    }
    for path, value in changes.items():
        *parents, last = path.split(".")
        target = body
        for parent in parents:
            target = target[parent]
        if value is _DROP:
            target.pop(last)
        else:
            target[last] = value
    return body


_DROP = object()


def sent_referral(*, service, triage, link_worker, activity, status=C.SENT_TO_PROVIDER, **fields):
    """A referral in support with one connection, to ``activity``, in ``status``."""
    # One person, one record in a service: a second referral is the same person's.
    resident = (Resident.objects.filter(service=service, nhs_number=NHS_NUMBER).first()
                or factories.make_resident(service=service, nhs_number=NHS_NUMBER, date_of_birth="1950-01-01"))
    return factories.make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                                   resident=resident, status=status, **fields)


# Creating a referral ------------------------------------------------------------------------------


def test_a_service_token_makes_a_referral_that_lands_in_the_triage_queue(call, service, service_key, needs, triage):
    response = call("post", CREATE, key=service_key, data=new_referral_body())

    assert response.status_code == 201, response.json()
    body = response.json()
    referral = Referral.objects.get(reference=body["reference"])
    assert response["Location"] == detail(referral)
    assert body["status"] == "received"
    assert body["snomed_code"] == SNOMED_REFERRED
    assert body["view"] == "team"
    assert body["needs"] == [{"slug": "loneliness-and-isolation", "oruk_id": needs["loneliness"].oruk_id,
                              "name": "Loneliness and isolation"}]
    assert body["resident"]["nhs_number"] == NHS_NUMBER
    assert body["resident"]["postcode"] == "BH15 1AB"
    assert body["time_stamps"]["received_at"]
    assert body["connections"] == [] and body["discharge"] is None
    # In the service's triage queue, as if it had been keyed in.
    assert referral.service == service and referral.priority == "urgent"
    assert referral in triage_queue(actor=actor_for_user(triage))
    consents = {c.purpose: c for c in Consent.objects.filter(referral=referral)}
    assert {purpose: c.given for purpose, c in consents.items()} == {
        ConsentPurpose.REFERRAL: True, ConsentPurpose.SHARE_WITH_PROVIDER: True,
        ConsentPurpose.FEEDBACK_TO_REFERRER: False,
    }
    assert {c.method for c in consents.values()} == {ConsentMethod.VERBAL}
    event = referral.events.get()
    assert (event.action, event.actor_label) == ("create", "API: EMIS at Harbour Surgery")
    assert AuditEntry.objects.filter(referral_id=referral.pk, action=AuditAction.CREATE,
                                     actor_label="API: EMIS at Harbour Surgery").exists()


def test_needs_are_found_by_oruk_id_too(call, service_key, needs):
    response = call("post", CREATE, key=service_key, data=new_referral_body(needs=[needs["walking"].oruk_id]))

    assert response.status_code == 201, response.json()
    assert [need["slug"] for need in response.json()["needs"]] == [needs["walking"].slug]


def test_a_self_referral_needs_no_referrer_and_no_feedback_consent(call, service_key):
    body = new_referral_body(**{"source": "self", "referrer": _DROP, "consents.feedback_to_referrer": _DROP})

    response = call("post", CREATE, key=service_key, data=body)

    assert response.status_code == 201, response.json()
    assert response.json()["source"] == "self"


@pytest.mark.parametrize(
    "changes, expected",
    [
        ({"resident.nhs_number": "943 476 5918"}, {"resident": ["nhs_number"]}),
        ({"resident.nhs_number": "12345"}, {"resident": ["nhs_number"]}),
        ({"resident.first_name": _DROP}, {"resident": ["first_name"]}),
        ({"resident.preferred_contact": "email", "resident.email": ""}, {"resident": ["email"]}),
        ({"resident.email": "not an email"}, {"resident": ["email"]}),
        ({"resident.postcode": "NOT A POSTCODE"}, {"resident": ["postcode"]}),
        ({"resident.preferred_contact": "pigeon"}, {"resident": ["preferred_contact"]}),
        ({"resident.date_of_birth": "02/03/1948"}, {"resident": ["date_of_birth"]}),
        ({"needs": ["no-such-need"]}, ["needs"]),
        ({"consents.referral": False}, {"consents": ["referral"]}),
        ({"consents.share_with_provider": _DROP}, {"consents": ["share_with_provider"]}),
        ({"consents.feedback_to_referrer": _DROP}, {"consents": ["feedback_to_referrer"]}),
        ({"consents.method": "telepathy"}, {"consents": ["method"]}),
        ({"consents": _DROP}, ["consents"]),
        ({"source": "carrier_pigeon"}, ["source"]),
        ({"referrer.name": ""}, {"referrer": ["name"]}),
        ({"referrer.email": "nope"}, {"referrer": ["email"]}),
        ({"priority": "whenever"}, ["priority"]),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_nothing_is_saved(call, service_key, needs, changes, expected):
    response = call("post", CREATE, key=service_key, data=new_referral_body(**changes))

    assert response.status_code == 400
    body = response.json()
    if isinstance(expected, dict):
        ((outer, inner),) = expected.items()
        assert set(body) == {outer}, body
        assert set(body[outer]) == set(inner), body
        assert all(isinstance(message, str) and message for message in body[outer][inner[0]])
    else:
        assert set(body) == set(expected), body
    assert not Resident.objects.exists()
    assert not Referral.objects.exists()
    assert not Consent.objects.exists()


def test_a_failure_after_the_resident_is_saved_leaves_no_resident(call, service_key, needs, monkeypatch):
    # The last thing a referral does is record consent; make that fail, after the resident and
    # the referral rows have been written.
    def refuse(**kwargs):
        raise ReferralError("Consent could not be recorded.", field="consent_referral")

    monkeypatch.setattr(services, "consent_record", refuse)

    response = call("post", CREATE, key=service_key, data=new_referral_body())

    assert response.status_code == 400
    assert response.json() == {"consents": {"referral": ["Consent could not be recorded."]}}
    assert not Resident.objects.exists()
    assert not Referral.objects.exists()
    assert not ReferralEvent.objects.exists()


def test_a_provider_token_cannot_make_referrals(call, provider_key):
    response = call("post", CREATE, key=provider_key, data=new_referral_body())

    assert response.status_code == 403
    assert "service" in response.json()["detail"]
    assert not Resident.objects.exists()


# Who may call -----------------------------------------------------------------------------------


def test_no_token_is_a_401(call, service, triage):
    factories.make_referral(service=service, triage=triage)

    response = call("get", LIST)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_a_revoked_token_is_a_401(call, service, triage):
    referral = factories.make_referral(service=service, triage=triage)
    token, key = ApiToken.issue(name="Old system", service=service)
    token.revoked_at = timezone.now()
    token.save()

    for path in (LIST, detail(referral)):
        response = call("get", path, key=key)
        assert response.status_code == 401
        assert response.json()["detail"] == "This token has been revoked."
        assert referral.reference not in response.content.decode()
    assert call("post", step(referral, "triage"), key=key, data={}).status_code == 401


def test_an_unknown_token_is_a_401(call, service_key):
    assert call("get", LIST, key=service_key + "x").status_code == 401


def test_bearer_works_as_well_as_token(client, service, service_key):
    response = client.get(LIST, HTTP_AUTHORIZATION=f"Bearer {service_key}")

    assert response.status_code == 200


def test_last_used_is_recorded_at_most_once_a_minute(call, service):
    token, key = ApiToken.issue(name="EMIS", service=service)

    call("get", LIST, key=key)
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    call("get", LIST, key=key)
    token.refresh_from_db()
    assert token.last_used_at == first

    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=2))
    call("get", LIST, key=key)
    token.refresh_from_db()
    assert token.last_used_at > first


def test_signed_in_staff_use_the_api_with_their_second_factor(client, sign_in, service, triage):
    referral = factories.make_referral(service=service, triage=triage)

    sign_in(triage, verified=False)
    refused = client.get(detail(referral))
    assert refused.status_code == 403
    assert "second factor" in refused.json()["detail"]
    assert referral.reference not in refused.content.decode()

    client.logout()
    sign_in(triage)
    response = client.get(detail(referral))
    assert response.status_code == 200
    assert response.json()["resident"]["last_name"] == referral.resident.last_name
    entry = AuditEntry.objects.get(referral_id=referral.pk, action=AuditAction.VIEW)
    assert entry.actor == triage


def test_a_signed_in_link_worker_is_told_which_consent_is_missing(client, sign_in, service, triage, link_worker,
                                                                  activity):
    referral = factories.make_referral(
        service=service, triage=triage, link_worker=link_worker, activity=activity, status=C.ACTIVITY_CHOSEN,
        consents={ConsentPurpose.REFERRAL: True, ConsentPurpose.SHARE_WITH_PROVIDER: False},
    )
    sign_in(link_worker)

    response = client.post(step(referral, "send-to-provider"), data={}, content_type="application/json")

    assert response.status_code == 400
    assert list(response.json()) == ["consents"]
    assert list(response.json()["consents"]) == ["share_with_provider"]
    assert only_connection(referral).status == C.ACTIVITY_CHOSEN


def test_a_link_worker_walks_a_referral_through_the_api(client, sign_in, service, triage, link_worker, activity,
                                                        provider_key, call):
    referral = factories.make_referral(service=service, triage=triage, link_worker=link_worker, status=S.TRIAGED)
    sign_in(link_worker)

    def post(segment, data=None):
        response = client.post(step(referral, segment), data=data or {}, content_type="application/json")
        assert response.status_code == 200, response.json()
        return response.json()

    assert post("record-contact", {"note": "Spoke on the phone."})["status"] == "contacted"
    chosen = post("choose-activity", {"activity": activity.pk})
    assert chosen["status"] == "contacted"
    ((connection,),) = [chosen["connections"]]
    assert (connection["number"], connection["kind"], connection["status"]) == (1, "activity", "activity_chosen")
    assert connection["activity"] == {"id": activity.pk, "title": "Tuesday health walk"}
    assert connection["provider"] is None
    sent = post("send-to-provider")
    assert sent["connections"][0]["status"] == "sent_to_provider"
    assert sent["connections"][0]["provider"] == {"id": activity.organisation.pk, "name": "Poole Walking Friends"}
    assert sent["connections"][0]["time_stamps"]["sent_to_provider_at"]
    # Now the provider's system sees it.
    assert call("get", detail(referral), key=provider_key).status_code == 200


# Scope: another service, another organisation ------------------------------------------------------


def test_another_services_token_gets_404_on_read_and_on_every_step(call, service, triage, link_worker, activity,
                                                                   other_service_key):
    referral = sent_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=C.FIRST_SESSION_BOOKED)
    events = referral.events.count()

    assert call("get", detail(referral), key=other_service_key).status_code == 404
    for path in every_change(referral):
        response = call("post", path, key=other_service_key, data={"note": "x"})
        assert response.status_code == 404, path
        assert referral.resident.last_name not in response.content.decode()
    listing = call("get", LIST, key=other_service_key).json()
    assert listing["count"] == 0 and listing["results"] == []
    assert only_connection(referral).status == C.FIRST_SESSION_BOOKED
    assert referral.events.count() == events


def test_a_provider_token_sees_only_what_was_sent_to_its_organisation_as_a_summary(
    call, service, triage, link_worker, activity, other_activity, provider_key
):
    ours = sent_referral(service=service, triage=triage, link_worker=link_worker, activity=activity)
    not_yet_sent = sent_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                                 status=C.ACTIVITY_CHOSEN)
    someone_elses = sent_referral(service=service, triage=triage, link_worker=link_worker, activity=other_activity)

    listing = call("get", LIST, key=provider_key)

    assert listing.status_code == 200
    assert [item["reference"] for item in listing.json()["results"]] == [ours.reference]
    assert call("get", detail(not_yet_sent), key=provider_key).status_code == 404
    assert call("get", detail(someone_elses), key=provider_key).status_code == 404

    response = call("get", detail(ours), key=provider_key)
    assert response.status_code == 200
    body = response.json()
    assert body["view"] == "provider_summary"
    assert body["resident"]["first_name"] == ours.resident.first_name
    assert body["resident"]["contact_detail"] == ours.resident.email  # they agreed to share it
    assert [c["activity"] for c in body["connections"]] == [{"id": activity.pk, "title": "Tuesday health walk"}]
    for secret in ("notes", "what_matters", "snomed_code", "referrer", "consents", "discharge"):
        assert secret not in body
    assert "outcome_note" not in body["connections"][0]
    for secret in ("nhs_number", "date_of_birth", "address", "postcode", "gp_practice"):
        assert secret not in body["resident"]
    text = response.content.decode()
    for value in (NHS_NUMBER, WHAT_MATTERS, "Dr A Patel", ours.resident.address):
        assert value not in text


def test_the_service_token_sees_the_full_referral(call, service, triage, link_worker, activity, service_key):
    referral = sent_referral(service=service, triage=triage, link_worker=link_worker, activity=activity)

    body = call("get", detail(referral), key=service_key).json()

    assert body["view"] == "team"
    assert body["resident"]["nhs_number"] == NHS_NUMBER
    assert body["what_matters"] == WHAT_MATTERS
    assert body["link_worker"]["name"] == "Lee Worker"
    assert body["connections"][0]["provider"]["name"] == "Poole Walking Friends"
    assert {consent["purpose"] for consent in body["consents"]} == set(ConsentPurpose.values)


def test_another_organisations_token_gets_404_on_every_step(call, service, triage, link_worker, activity,
                                                            other_provider_key):
    referral = sent_referral(service=service, triage=triage, link_worker=link_worker, activity=activity)

    for path in every_change(referral):
        assert call("post", path, key=other_provider_key, data={}).status_code == 404, path
    assert only_connection(referral).status == C.SENT_TO_PROVIDER


# The provider's steps -------------------------------------------------------------------------------


def test_a_provider_token_accepts_books_and_records_attendance(call, service, triage, link_worker, activity,
                                                                provider_key):
    referral = sent_referral(service=service, triage=triage, link_worker=link_worker, activity=activity)
    starts = (timezone.now() + timedelta(days=5)).replace(microsecond=0)

    accepted = call("post", step(referral, "accept"), key=provider_key, data={"note": "Happy to welcome them."})
    assert accepted.status_code == 200, accepted.json()
    assert accepted.json()["view"] == "provider_summary"
    assert accepted.json()["connections"][0]["status"] == "accepted"

    booked = call("post", step(referral, "book-first-session"), key=provider_key,
                  data={"starts_at": starts.isoformat(), "note": "Meet at the café."})
    assert booked.status_code == 200, booked.json()
    assert booked.json()["connections"][0]["status"] == "first_session_booked"
    assert booked.json()["connections"][0]["first_session"]["note"] == "Meet at the café."
    assert only_connection(referral).first_session_at == starts

    # Before the session has started, whether the person came cannot be known.
    too_early = call("post", step(referral, "record-attendance"), key=provider_key, data={})
    assert too_early.status_code == 409
    assert "Record whether the person attended once it has started" in too_early.json()["detail"]
    assert only_connection(referral).status == C.FIRST_SESSION_BOOKED

    first_session_held(referral)
    attended = call("post", step(referral, "record-attendance"), key=provider_key, data={})
    assert attended.status_code == 200
    assert attended.json()["connections"][0]["status"] == "attended"

    labels = set(referral.events.filter(action__in=["provider_accept", "book_first_session", "record_attendance"])
                 .values_list("actor_label", flat=True))
    assert labels == {"API: Poole Walking Friends system"}


def test_a_provider_token_books_one_of_the_activitys_sessions(call, service, triage, link_worker, activity,
                                                              provider_key):
    referral = sent_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=C.ACCEPTED)
    session = activity.sessions.get()

    response = call("post", step(referral, "book-first-session"), key=provider_key, data={"session": session.pk})

    assert response.status_code == 200, response.json()
    connection = only_connection(referral)
    assert connection.first_session_id == session.pk
    assert connection.first_session_at > timezone.now()


def test_booking_needs_a_date_or_a_session(call, service, triage, link_worker, activity, other_activity,
                                          provider_key):
    referral = sent_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=C.ACCEPTED)

    nothing = call("post", step(referral, "book-first-session"), key=provider_key, data={})
    past = call("post", step(referral, "book-first-session"), key=provider_key,
                data={"starts_at": (timezone.now() - timedelta(days=1)).isoformat()})
    wrong_session = call("post", step(referral, "book-first-session"), key=provider_key,
                         data={"session": other_activity.sessions.get().pk})

    assert (nothing.status_code, list(nothing.json())) == (400, ["starts_at"])
    assert (past.status_code, list(past.json())) == (400, ["starts_at"])
    assert (wrong_session.status_code, list(wrong_session.json())) == (400, ["session"])
    assert only_connection(referral).status == C.ACCEPTED


def test_a_provider_token_declines_with_a_reason(call, service, triage, link_worker, activity, provider_key):
    referral = sent_referral(service=service, triage=triage, link_worker=link_worker, activity=activity)

    no_reason = call("post", step(referral, "decline"), key=provider_key, data={})
    other_without_note = call("post", step(referral, "decline"), key=provider_key, data={"reason": "other"})
    declined = call("post", step(referral, "decline"), key=provider_key, data={"reason": "full"})

    assert (no_reason.status_code, list(no_reason.json())) == (400, ["reason"])
    assert (other_without_note.status_code, list(other_without_note.json())) == (400, ["note"])
    assert declined.status_code == 200
    assert declined.json()["connections"][0]["status"] == "declined_by_provider"
    assert declined.json()["connections"][0]["provider_decline"]["reason"] == "full"


def test_recording_attendance_twice_is_200_both_times_and_one_event(call, service, triage, link_worker, activity,
                                                                     provider_key):
    referral = sent_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                             status=C.FIRST_SESSION_BOOKED)
    first_session_held(referral)

    first = call("post", step(referral, "record-attendance"), key=provider_key, data={})
    second = call("post", step(referral, "record-attendance"), key=provider_key, data={})

    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json()["connections"][0]["status"] == "attended"
    assert referral.events.filter(action="record_attendance").count() == 1


def test_a_step_the_referral_is_not_ready_for_is_a_409(call, service, triage, link_worker, activity, provider_key,
                                                       service_key):
    referral = sent_referral(service=service, triage=triage, link_worker=link_worker, activity=activity)

    too_soon = call("post", step(referral, "record-attendance"), key=provider_key, data={})
    triaged_again = call("post", step(referral, "triage"), key=service_key,
                         data={"tier": "one_to_one", "link_worker": "lee"})

    assert too_soon.status_code == 409
    assert "cannot be" in too_soon.json()["detail"]
    assert triaged_again.status_code == 409
    assert only_connection(referral).status == C.SENT_TO_PROVIDER


def test_a_step_the_caller_does_not_own_is_a_403_with_a_message(call, service, triage, link_worker, activity,
                                                                provider_key, service_key):
    sent = sent_referral(service=service, triage=triage, link_worker=link_worker, activity=activity)
    triaged = factories.make_referral(service=service, triage=triage, link_worker=link_worker, status=S.TRIAGED)

    # The provider cannot record that the person declined; the service's token cannot do the link worker's steps.
    provider = call("post", step(sent, "person-declines"), key=provider_key, data={})
    service_step = call("post", step(triaged, "record-contact"), key=service_key, data={})
    service_send = call("post", step(sent, "send-to-provider"), key=service_key, data={})
    provider_discharge = call("post", step(sent, "discharge"), key=provider_key, data={"reason": "nonsense"})

    assert provider.status_code == 403
    assert "You cannot do this step" in provider.json()["detail"]
    assert service_step.status_code == 403
    assert service_send.status_code == 403
    # Refused before its input is read.
    assert provider_discharge.status_code == 403
    sent.refresh_from_db()
    triaged.refresh_from_db()
    assert (sent.status, triaged.status) == (S.CONTACTED, S.TRIAGED)
    assert only_connection(sent).status == C.SENT_TO_PROVIDER


# The service's steps ---------------------------------------------------------------------------------


def test_a_service_token_triages_and_can_discharge(call, service, triage, link_worker, service_key):
    referral = factories.make_referral(service=service, triage=triage)

    unknown = call("post", step(referral, "triage"), key=service_key, data={"tier": "one_to_one", "link_worker": "nobody"})
    bad_tier = call("post", step(referral, "triage"), key=service_key, data={"tier": "gold", "link_worker": "lee"})
    triaged = call("post", step(referral, "triage"), key=service_key,
                   data={"tier": "one_to_one", "link_worker": "lee", "note": "Needs a call this week."})

    assert (unknown.status_code, list(unknown.json())) == (400, ["link_worker"])
    assert (bad_tier.status_code, list(bad_tier.json())) == (400, ["tier"])
    assert triaged.status_code == 200, triaged.json()
    assert triaged.json()["status"] == "triaged"
    assert triaged.json()["link_worker"]["name"] == "Lee Worker"

    declined = call("post", step(referral, "person-declines"), key=service_key, data={"note": "Not for them now."})
    assert declined.json()["snomed_code"] == "871711000000103"
    assert declined.json()["status"] == "declined_by_person"
    wanted = {"reason": "person_declined", "note": "Not for them now."}
    preview = call("post", step(referral, "discharge/preview"), key=service_key, data=wanted)
    assert preview.status_code == 200, preview.json()
    discharged = call("post", step(referral, "discharge"), key=service_key,
                      data={**wanted, "fingerprint": preview.json()["fingerprint"]})
    assert discharged.status_code == 200, discharged.json()
    assert discharged.json()["status"] == "discharged"
    assert discharged.json()["discharge"]["reason"] == "person_declined"


# The audit trail ---------------------------------------------------------------------------------------


def test_every_read_is_audited_with_the_tokens_name(call, service, triage, link_worker, activity, service_key,
                                                    provider_key):
    referral = sent_referral(service=service, triage=triage, link_worker=link_worker, activity=activity)
    other = factories.make_referral(service=service, triage=triage)
    before = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    call("get", detail(referral), key=service_key)
    call("get", detail(referral), key=provider_key)
    call("get", LIST, key=service_key)

    views = AuditEntry.objects.filter(action=AuditAction.VIEW, pk__gt=before)
    assert set(views.filter(what="API: referral detail").values_list("actor_label", "referral_id", "resident_id")) == {
        ("API: EMIS at Harbour Surgery", referral.pk, referral.resident_id),
        ("API: Poole Walking Friends system", referral.pk, referral.resident_id),
    }
    assert set(views.filter(what="API: referral list").values_list("referral_id", flat=True)) == {referral.pk, other.pk}
    assert views.filter(path=detail(referral)).count() == 2


def test_the_list_filters_by_status_and_names_a_bad_one(call, service, triage, service_key):
    received = factories.make_referral(service=service, triage=triage)
    factories.make_referral(service=service, triage=triage, status=S.TRIAGED)

    only_received = call("get", LIST, key=service_key, data={"status": "received"}).json()
    bad = call("get", LIST, key=service_key, data={"status": "lost"})

    assert [item["reference"] for item in only_received["results"]] == [received.reference]
    assert (bad.status_code, list(bad.json())) == (400, ["status"])


# Issuing tokens -----------------------------------------------------------------------------------------


def test_create_api_token_prints_a_key_that_works_once_shown(call, service, organisation):
    out = StringIO()
    call_command("create_api_token", "--name", "EMIS at Harbour Surgery", "--service", service.slug, stdout=out)

    key = out.getvalue().splitlines()[2].strip()
    token = ApiToken.objects.get(name="EMIS at Harbour Surgery")
    assert token.service == service and token.key_hash == ApiToken.hash_key(key)
    assert key not in str(token.__dict__)
    assert actor_for_token(token).service_ids == {service.pk}
    assert call("get", LIST, key=key).status_code == 200

    out = StringIO()
    call_command("create_api_token", "--name", "Walking Friends", "--organisation", str(organisation.pk), stdout=out)
    assert ApiToken.objects.get(name="Walking Friends").organisation_id == organisation.pk
    call_command("create_api_token", "--name", "By slug", "--organisation", organisation.slug, stdout=StringIO())
    assert ApiToken.objects.get(name="By slug").organisation_id == organisation.pk


def test_create_api_token_refuses_an_unknown_or_missing_scope(service):
    with pytest.raises(CommandError, match="No service"):
        call_command("create_api_token", "--name", "X", "--service", "nowhere", stdout=StringIO())
    with pytest.raises(CommandError, match="No organisation"):
        call_command("create_api_token", "--name", "X", "--organisation", "nowhere", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("create_api_token", "--name", "X", stdout=StringIO())
    assert not ApiToken.objects.exists()


def test_a_signed_in_provider_editor_gets_the_provider_summary(client, sign_in, service, triage, link_worker,
                                                               activity, provider_editor):
    referral = sent_referral(service=service, triage=triage, link_worker=link_worker, activity=activity)
    sign_in(provider_editor)

    response = client.get(detail(referral))

    assert response.status_code == 200
    assert response.json()["view"] == "provider_summary"
    assert NHS_NUMBER not in response.content.decode()


def test_ids_and_pages_too_large_for_the_database_are_a_400_naming_the_field(
    client, sign_in, service, triage, link_worker, activity
):
    referral = factories.make_referral(service=service, triage=triage, link_worker=link_worker, status=S.CONTACTED)
    sign_in(link_worker)
    chosen = client.post(step(referral, "choose-activity"), data={"activity": 12345678901234567890},
                         content_type="application/json")
    assert chosen.status_code == 400 and "activity" in chosen.json()
    made = client.post(step(referral, "connections"), data={"kind": "activity", "activity": 12345678901234567890},
                       content_type="application/json")
    assert made.status_code == 400 and "activity" in made.json()
    assert client.get(f"{detail(referral)}connections/{10**19}/").status_code == 404
    assert not referral.connections.exists()
    listed = client.get(LIST, {"page": "4611686018427387904"})
    assert listed.status_code == 400 and "page" in listed.json()
    assert Referral.objects.get(pk=referral.pk).status == S.CONTACTED


def test_an_expired_token_is_a_401_that_says_so(call, service, triage):
    referral = factories.make_referral(service=service, triage=triage)
    token, key = ApiToken.issue(name="Pilot system", service=service, expires_at=timezone.now() + timedelta(hours=1))
    assert call("get", LIST, key=key).status_code == 200

    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    for path in (LIST, detail(referral)):
        response = call("get", path, key=key)
        assert response.status_code == 401
        assert response.json()["detail"].startswith("This token expired on ")
        assert "Ask the Signpost administrators for a new one." in response.json()["detail"]
        assert referral.reference not in response.content.decode()
    assert call("post", step(referral, "triage"), key=key, data={}).status_code == 401


def test_create_api_token_with_an_expiry(call, service):
    out = StringIO()
    call_command("create_api_token", "--name", "Pilot", "--service", service.slug, "--expires", "2099-03-31",
                 stdout=out)

    token = ApiToken.objects.get(name="Pilot")
    assert timezone.localtime(token.expires_at).date().isoformat() == "2099-03-31"
    assert "it expires on 31 March 2099 at 00:00" in out.getvalue().splitlines()[0]
    assert call("get", LIST, key=out.getvalue().splitlines()[2].strip()).status_code == 200

    call_command("create_api_token", "--name", "Forever", "--service", service.slug, stdout=(out := StringIO()))
    assert ApiToken.objects.get(name="Forever").expires_at is None
    assert "it does not expire" in out.getvalue()


def test_create_api_token_refuses_an_expiry_that_is_not_a_future_date(service):
    with pytest.raises(CommandError, match="takes a date"):
        call_command("create_api_token", "--name", "X", "--service", service.slug, "--expires", "next week",
                     stdout=StringIO())
    with pytest.raises(CommandError, match="must be in the future"):
        call_command("create_api_token", "--name", "X", "--service", service.slug, "--expires", "2020-01-01",
                     stdout=StringIO())
    assert not ApiToken.objects.exists()


def test_an_empty_updated_since_is_a_400_that_says_what_it_takes(call, service_key):
    response = call("get", LIST, key=service_key, data={"updated_since": ""})

    assert response.status_code == 400
    assert response.json() == {"updated_since": ["Give a date and time (ISO 8601), e.g. 2026-01-31T09:00:00Z."]}
    for parameter in ("page", "page_size"):
        assert "A valid integer is required." in call("get", LIST, key=service_key, data={parameter: ""}).json()[parameter]


def test_text_must_be_a_string_without_nul_characters(call, service, service_key, triage):
    referral = factories.make_referral(service=service, triage=triage)

    as_number = call("post", step(referral, "person-declines"), key=service_key, data={"note": 0})
    with_nul = call("post", step(referral, "person-declines"), key=service_key, data={"note": "No\x00thanks"})

    assert as_number.status_code == 400 and as_number.json() == {"note": ["Give text (a JSON string)."]}
    assert with_nul.status_code == 400 and "note" in with_nul.json()
    referral.refresh_from_db()
    assert referral.status == S.RECEIVED
