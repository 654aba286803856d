"""The API's connections and discharge: several activities and services on one referral, each named by its
number; the steps from before several connections; checking the discharge summary, then discharging."""

import pytest

from factories import referrals as factories
from factories.referrals import first_session_held, make_connection, make_signpost
from referrals.choices import AuditAction, DischargeReason
from referrals.choices import ConnectionStatus as C
from referrals.choices import ReferralStatus as S
from referrals.models import ApiToken, AuditEntry, Connection
from tests.referrals.test_api import (  # noqa: F401 (fixtures)
    call,
    connection_step,
    detail,
    provider_key,
    service_key,
    step,
)


@pytest.fixture
def in_support(service, triage, link_worker):
    return factories.make_referral(service=service, triage=triage, link_worker=link_worker, status=S.CONTACTED)


@pytest.fixture
def worker(client, sign_in, link_worker):
    """The link worker, signed in: ``worker(method, path, data=..., **headers)``."""
    sign_in(link_worker)

    def _call(method, path, data=None, **headers):
        if method == "get":
            return client.get(path, **headers)
        return client.post(path, data=data or {}, content_type="application/json", **headers)

    return _call


def connections_path(referral) -> str:
    return f"{detail(referral)}connections/"


# Two connections on one referral ------------------------------------------------------------------


def test_an_old_style_step_is_refused_when_two_connections_could_be_meant_and_the_named_one_works(
    in_support, activity, other_activity, worker
):
    first = make_connection(referral=in_support, activity=activity)
    second = make_connection(referral=in_support, activity=other_activity)

    ambiguous = worker("post", step(in_support, "send-to-provider"))

    assert ambiguous.status_code == 409
    assert "name the connection" in ambiguous.json()["detail"] and "(1, 2)" in ambiguous.json()["detail"]
    assert {c.status for c in in_support.connections.all()} == {C.ACTIVITY_CHOSEN}

    named = worker("post", connection_step(in_support, 2, "send-to-provider"), {"note": "Sent today."})

    assert named.status_code == 200, named.json()
    body = named.json()
    assert (body["view"], body["number"], body["status"]) == ("team", 2, "sent_to_provider")
    assert body["provider"]["name"] == other_activity.organisation.title
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (C.ACTIVITY_CHOSEN, C.SENT_TO_PROVIDER)
    assert in_support.events.get(action="send_to_provider").connection_id == second.pk

    # Still two it could mean (sending the second again is a harmless repeat): each is named.
    assert worker("post", step(in_support, "send-to-provider")).status_code == 409
    assert worker("post", connection_step(in_support, 1, "send-to-provider")).status_code == 200
    assert [c["status"] for c in worker("get", detail(in_support)).json()["connections"]] == [
        "sent_to_provider", "sent_to_provider"]


def test_a_provider_s_old_style_step_means_its_own_connection_and_it_never_learns_of_the_other(
    call, in_support, activity, other_activity, provider_key
):
    ours = make_connection(referral=in_support, activity=activity, status=C.SENT_TO_PROVIDER)
    make_connection(referral=in_support, activity=other_activity, status=C.SENT_TO_PROVIDER)

    accepted = call("post", step(in_support, "accept"), key=provider_key, data={})

    assert accepted.status_code == 200, accepted.json()
    body = accepted.json()
    assert body["view"] == "provider_summary"
    assert [(c["number"], c["status"]) for c in body["connections"]] == [(1, "accepted")]
    assert other_activity.title not in accepted.content.decode()
    ours.refresh_from_db()
    assert ours.status == C.ACCEPTED
    assert in_support.connections.get(number=2).status == C.SENT_TO_PROVIDER
    # The other organisation's connection is not there for it.
    assert call("get", f"{connections_path(in_support)}2/", key=provider_key).status_code == 404
    assert call("post", connection_step(in_support, 2, "accept"), key=provider_key).status_code == 404
    listed = call("get", connections_path(in_support), key=provider_key).json()
    assert [c["number"] for c in listed["results"]] == [1]


# Making connections, and their own steps ------------------------------------------------------------


def test_the_link_worker_connects_to_an_activity_and_a_signpost_and_works_each(in_support, activity, other_activity,
                                                                             worker):
    made = worker("post", connections_path(in_support), {"kind": "activity", "activity": activity.pk})
    signposted = worker("post", connections_path(in_support),
                        {"kind": "signpost", "service_name": "Citizens Advice Poole", "service_contact": "0800 144 8848",
                         "note": "Debt advice."})

    assert made.status_code == 201, made.json()
    assert made["Location"] == f"{connections_path(in_support)}1/"
    assert (made.json()["number"], made.json()["kind"], made.json()["status"]) == (1, "activity", "activity_chosen")
    assert signposted.status_code == 201, signposted.json()
    assert signposted.json()["service"] == {"name": "Citizens Advice Poole", "contact": "0800 144 8848"}
    assert (signposted.json()["number"], signposted.json()["status"]) == (2, "signposted")

    changed = worker("post", connection_step(in_support, 1, "change-activity"), {"activity": other_activity.pk})
    assert changed.status_code == 200, changed.json()
    assert changed.json()["activity"]["id"] == other_activity.pk

    took_up = worker("post", connection_step(in_support, 2, "record-signpost-outcome"),
                     {"outcome": "took_up", "note": "Seen on Tuesday."})
    assert took_up.status_code == 200, took_up.json()
    assert (took_up.json()["status"], took_up.json()["outcome_note"]) == ("took_up", "Seen on Tuesday.")

    no_reason = worker("post", connection_step(in_support, 1, "withdraw"), {})
    withdrawn = worker("post", connection_step(in_support, 1, "withdraw"), {"note": "Found a closer group."})
    assert (no_reason.status_code, list(no_reason.json())) == (400, ["note"])
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert withdrawn.json()["time_stamps"]["ended_at"]

    listed = worker("get", connections_path(in_support)).json()
    assert [(c["number"], c["kind"], c["status"]) for c in listed["results"]] == [
        (1, "activity", "withdrawn"), (2, "signpost", "took_up")]
    referral = worker("get", detail(in_support)).json()
    assert [c["status"] for c in referral["connections"]] == ["withdrawn", "took_up"]
    assert referral["status"] == "contacted"


def test_making_a_connection_names_what_is_wrong(in_support, activity, worker, service, triage, link_worker):
    no_kind = worker("post", connections_path(in_support), {"activity": activity.pk})
    no_activity = worker("post", connections_path(in_support), {"kind": "activity"})
    no_service = worker("post", connections_path(in_support), {"kind": "signpost", "service_name": "  "})
    assert (no_kind.status_code, list(no_kind.json())) == (400, ["kind"])
    assert (no_activity.status_code, list(no_activity.json())) == (400, ["activity"])
    assert (no_service.status_code, list(no_service.json())) == (400, ["service_name"])

    assert worker("post", connections_path(in_support), {"kind": "activity", "activity": activity.pk}).status_code == 201
    twice = worker("post", connections_path(in_support), {"kind": "activity", "activity": activity.pk})
    assert (twice.status_code, list(twice.json())) == (400, ["activity"])

    # Before the first contact, the person is not in support yet.
    triaged = factories.make_referral(service=service, triage=triage, link_worker=link_worker, status=S.TRIAGED)
    too_soon = worker("post", connections_path(triaged), {"kind": "signpost", "service_name": "Talking Therapies"})
    assert too_soon.status_code == 409
    assert not triaged.connections.exists()
    assert in_support.connections.count() == 1


def test_attendance_at_a_first_session_in_the_future_is_a_409_for_that_connection(
    call, in_support, activity, other_activity, provider_key
):
    make_connection(referral=in_support, activity=other_activity, status=C.FIRST_SESSION_BOOKED)
    make_connection(referral=in_support, activity=activity, status=C.FIRST_SESSION_BOOKED)

    for segment in ("record-attendance", "record-did-not-attend"):
        early = call("post", connection_step(in_support, 2, segment), key=provider_key, data={})
        assert early.status_code == 409, segment
        assert "Record whether the person attended once it has started" in early.json()["detail"]
    assert in_support.connections.get(number=2).status == C.FIRST_SESSION_BOOKED

    first_session_held(in_support.connections.get(number=2))
    attended = call("post", connection_step(in_support, 2, "record-attendance"), key=provider_key, data={})
    assert attended.status_code == 200
    assert (attended.json()["view"], attended.json()["status"]) == ("provider_summary", "attended")
    assert "outcome_note" not in attended.json()
    assert in_support.connections.get(number=1).status == C.FIRST_SESSION_BOOKED


def test_every_read_of_a_connection_is_audited(call, in_support, activity, service_key, provider_key):
    make_connection(referral=in_support, activity=activity, status=C.SENT_TO_PROVIDER)
    before = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    call("get", connections_path(in_support), key=service_key)
    call("get", f"{connections_path(in_support)}1/", key=provider_key)

    views = AuditEntry.objects.filter(action=AuditAction.VIEW, pk__gt=before, referral_id=in_support.pk)
    assert set(views.values_list("what", "actor_label")) == {
        ("API: connections", "API: EMIS at Harbour Surgery"),
        ("API: connection 1: detail", "API: Poole Walking Friends system"),
    }


# Discharge -------------------------------------------------------------------------------------------


def test_the_link_worker_checks_the_summary_then_discharges_and_reads_the_final_summary(
    in_support, activity, worker, provider_key, call
):
    make_connection(referral=in_support, activity=activity, status=C.ATTENDED)
    factories.hold_review(in_support)
    wanted = {"reason": "goals_met", "note": "Walking twice a week and feels less alone."}

    assert worker("get", f"{detail(in_support)}discharge-summary/").status_code == 404
    preview = worker("post", step(in_support, "discharge/preview"), wanted)

    assert preview.status_code == 200, preview.json()
    content = preview.json()["content"]
    assert preview.json()["fingerprint"] == content["fingerprint"]
    assert content["discharge"]["reason"] == "goals_met"
    assert content["connections"][0]["attended_first_session"] is True
    assert content["contacts"]["reviewed"] is True
    in_support.refresh_from_db()
    assert in_support.status == S.CONTACTED  # a preview changes nothing

    discharged = worker("post", step(in_support, "discharge"), {**wanted, "fingerprint": preview.json()["fingerprint"]})

    assert discharged.status_code == 200, discharged.json()
    body = discharged.json()
    assert body["status"] == "discharged"
    summary_path = f"{detail(in_support)}discharge-summary/"
    assert body["discharge"]["reason"] == "goals_met" and body["discharge"]["summary"] == summary_path
    assert body["discharge"]["note"] == wanted["note"] and body["time_stamps"]["discharged_at"]

    summary = worker("get", summary_path)
    assert summary.status_code == 200
    assert summary.json()["content"] == content
    assert (summary.json()["reason"], summary.json()["reason_label"]) == ("goals_met", "Goals met")
    assert AuditEntry.objects.filter(referral_id=in_support.pk, action=AuditAction.VIEW,
                                     what="API: discharge summary").exists()
    # Repeating the discharge is harmless; previewing again says where the summary is.
    assert worker("post", step(in_support, "discharge"), {**wanted, "fingerprint": "x"}).status_code == 200
    again = worker("post", step(in_support, "discharge/preview"), wanted)
    assert again.status_code == 409 and summary_path in again.json()["detail"]
    # The provider sees neither the summary nor the discharge.
    assert call("get", summary_path, key=provider_key).status_code == 403
    assert "discharge" not in call("get", detail(in_support), key=provider_key).json()


def test_a_summary_that_changed_since_it_was_checked_is_a_409(in_support, activity, worker):
    wanted = {"reason": "other", "note": "Moving to live with family."}
    preview = worker("post", step(in_support, "discharge/preview"), wanted).json()
    make_signpost(referral=in_support)  # recorded meanwhile

    refused = worker("post", step(in_support, "discharge"), {**wanted, "fingerprint": preview["fingerprint"]})

    assert refused.status_code == 409
    assert "changed since you checked it" in refused.json()["detail"]
    in_support.refresh_from_db()
    assert in_support.status == S.CONTACTED


def test_discharge_names_a_reason_the_record_does_not_support(in_support, activity, worker):
    make_connection(referral=in_support, activity=activity, status=C.SENT_TO_PROVIDER)

    with_provider = worker("post", step(in_support, "discharge/preview"), {"reason": "other"})
    no_review = worker("post", step(in_support, "discharge/preview"), {"reason": "goals_met"})
    not_a_reason = worker("post", step(in_support, "discharge/preview"), {"reason": "closed"})

    assert (with_provider.status_code, list(with_provider.json())) == (400, ["reason"])
    assert "provider is still working" in with_provider.json()["reason"][0]
    assert (no_review.status_code, list(no_review.json())) == (400, ["reason"])
    assert (not_a_reason.status_code, list(not_a_reason.json())) == (400, ["reason"])


def test_closing_is_gone_and_says_how_to_discharge(call, in_support, service_key, other_service):
    other_key = ApiToken.issue(name="Other service", service=other_service)[1]

    gone = call("post", step(in_support, "close"), key=service_key, data={"outcome": "other"})
    outsider = call("post", step(in_support, "close"), key=other_key, data={"outcome": "other"})

    assert gone.status_code == 410
    assert f"{detail(in_support)}discharge/preview/" in gone.json()["detail"]
    assert f"{detail(in_support)}discharge/" in gone.json()["detail"]
    assert outsider.status_code == 404
    in_support.refresh_from_db()
    assert in_support.status == S.CONTACTED and in_support.discharge_reason == ""


def test_a_discharged_referral_in_the_list_shows_its_reason_and_connections(call, service, triage, link_worker,
                                                                           activity, service_key):
    referral = factories.make_referral(service=service, triage=triage, link_worker=link_worker, activity=activity,
                                       status=S.DISCHARGED, discharge_reason=DischargeReason.GOALS_MET)

    listed = call("get", "/api/v1/referrals/", key=service_key, data={"status": "discharged"}).json()

    (item,) = listed["results"]
    assert item["reference"] == referral.reference
    assert item["discharge"]["reason"] == "goals_met"
    assert [c["status"] for c in item["connections"]] == ["attended"]
    assert Connection.objects.filter(referral=referral).count() == 1
