"""Who may use the API's connection and discharge operations: each one, as each kind of caller.

A referral in support with two connections, each sent to a different organisation: connection 1
to Poole Walking Friends, connection 2 to Harbour Lunch Club. Each operation on connection 1 (and
each referral-wide one) is called by the allocated link worker, a colleague of the same service
it is not allocated to, triage, the token of connection 1's organisation, the token of the other
organisation (whose connection is on the same referral), another service's token, and nobody.
Each call runs in a transaction rolled back afterwards, so every caller meets the same referral.
Beyond the answer, no provider ever sees the other organisation's connection or the team's notes.
"""

from dataclasses import dataclass

import pytest
from django.db import transaction
from django.test import Client

from factories import referrals as factories
from factories.referrals import make_connection
from referrals.api.views import CONNECTION_STEP_APIS, CONNECTION_STEPS
from referrals.choices import ConnectionStatus as C
from referrals.choices import ReferralStatus as S
from referrals.models import ApiToken
from referrals.workflow import ALL_STEPS, LINK_WORKER, PROVIDER, TRIAGE
from tests.accounts import sign_in_verified

TEAM_NOTES = "Recently bereaved; struggles with stairs."

ALLOWED, REFUSED, HIDDEN, ANONYMOUS = "allowed", "refused (403)", "hidden (404)", "anonymous (401)"
CALLERS = ["link worker", "colleague", "triage", "provider", "other provider", "other service", "anonymous"]
# Which owner of a step each caller is (a service's token acts as its triage).
OWNER_OF = {"link worker": LINK_WORKER, "triage": TRIAGE, "provider": PROVIDER}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # after /api/v1/referrals/<reference>/
    # By caller, what the operation answers (callers not named: see ``expected``).
    answers: dict


def _step_answers(action: str, *, on_referral: bool) -> dict:
    """A connection's step on connection 1: its owners get past the checks; others who see the referral are
    refused. The other provider does not see connection 1 (404), but the step on the referral means its own
    connection 2, which it owns if providers own the step."""
    owners = ALL_STEPS[action].owners
    answers = {caller: ALLOWED if owner in owners else REFUSED for caller, owner in OWNER_OF.items()}
    if on_referral:
        answers["other provider"] = answers["provider"]
    else:
        answers["other provider"] = HIDDEN
    return answers


SEES_ALL = {"link worker": ALLOWED, "triage": ALLOWED, "provider": ALLOWED, "other provider": ALLOWED}
DISCHARGE = {"link worker": ALLOWED, "triage": ALLOWED, "provider": REFUSED, "other provider": REFUSED}

OPERATIONS = [
    Operation("get", "connections/", SEES_ALL),
    Operation("post", "connections/", {"link worker": ALLOWED, "triage": REFUSED, "provider": REFUSED,
                                       "other provider": REFUSED}),
    Operation("get", "connections/1/", {**SEES_ALL, "other provider": HIDDEN}),
    *[Operation("post", f"connections/1/{step.segment}/", _step_answers(step.action, on_referral=False))
      for step in CONNECTION_STEPS],
    *[Operation("post", f"{step.segment}/", _step_answers(step.action, on_referral=True))
      for step in CONNECTION_STEPS if step.on_referral],
    Operation("post", "discharge/preview/", DISCHARGE),
    Operation("post", "discharge/", DISCHARGE),
    Operation("get", "discharge-summary/", DISCHARGE),
    Operation("get", "summary/", DISCHARGE),  # the message back to the GP (JSON; FHIR shares the checks)
    # Gone, for anyone who can see the referral.
    Operation("post", "close/", SEES_ALL),
]


def expected(operation: Operation, caller: str) -> str:
    if caller == "anonymous":
        return ANONYMOUS
    if caller in ("colleague", "other service"):
        return HIDDEN  # the referral does not exist for them
    return operation.answers[caller]


def classify(response) -> str:
    if response.status_code == 401:
        return ANONYMOUS
    if response.status_code == 403:
        return REFUSED
    detail = response.json().get("detail", "") if response.status_code == 404 else ""
    if response.status_code == 404 and detail.startswith(("No referral with this reference", "No connection with")):
        return HIDDEN
    # Past the permission checks: done, bad input, not now (409), gone (410), or nothing final to read yet.
    return ALLOWED


@pytest.fixture
def case(service, triage, link_worker, activity, other_activity):
    resident = factories.make_resident(service=service, first_name="Zebedee", last_name="Quartermaine")
    referral = factories.make_referral(service=service, triage=triage, link_worker=link_worker, resident=resident,
                                       status=S.CONTACTED)
    referral.notes = TEAM_NOTES
    referral.save(update_fields=["notes"])
    make_connection(referral=referral, activity=activity, status=C.SENT_TO_PROVIDER)
    make_connection(referral=referral, activity=other_activity, status=C.SENT_TO_PROVIDER)
    return referral


@pytest.fixture
def callers(service, other_service, organisation, other_organisation, link_worker, triage):
    def token(**scope):
        return {"HTTP_AUTHORIZATION": f"Token {ApiToken.issue(name='A system', **scope)[1]}"}

    def signed_in(user):
        return sign_in_verified(Client(), user), {}

    return {
        "link worker": signed_in(link_worker),
        "colleague": signed_in(factories.make_link_worker(service=service, username="colleague")),
        "triage": signed_in(triage),
        "provider": (Client(), token(organisation=organisation)),
        "other provider": (Client(), token(organisation=other_organisation)),
        "other service": (Client(), token(service=other_service)),
        "anonymous": (Client(), {}),
    }


def test_every_connection_and_discharge_operation_as_every_caller(case, callers, activity, other_activity):
    failures = []
    for operation in OPERATIONS:
        path = f"/api/v1/referrals/{case.reference}/{operation.path}"
        for caller in CALLERS:
            client, headers = callers[caller]
            with transaction.atomic():
                if operation.method == "get":
                    response = client.get(path, **headers)
                else:
                    response = client.post(path, data={}, content_type="application/json", **headers)
                transaction.set_rollback(True)
            got, wanted = classify(response), expected(operation, caller)
            if got != wanted:
                failures.append(f"{caller} {operation.method.upper()} {operation.path}: {got}, wanted {wanted} "
                                f"({response.status_code} {response.content[:200]!r})")
            text = response.content.decode(errors="replace")
            if caller in ("provider", "other provider", "other service", "colleague", "anonymous") and TEAM_NOTES in text:
                failures.append(f"{caller} {operation.method.upper()} {operation.path}: shows the team's notes")
            not_theirs = {"provider": other_activity.title, "other provider": activity.title}.get(caller)
            if not_theirs and not_theirs in text:
                failures.append(f"{caller} {operation.method.upper()} {operation.path}: shows another organisation's "
                                "connection")
            if caller in ("colleague", "other service", "anonymous") and case.reference in text:
                failures.append(f"{caller} {operation.method.upper()} {operation.path}: shows the referral")
    assert not failures, "\n".join(failures)
    # Every connection step named by its number was tried.
    assert {op.path.split("/")[2] for op in OPERATIONS if op.path.startswith("connections/1/") and op.method == "post"} == set(
        CONNECTION_STEP_APIS)
    case.refresh_from_db()
    assert case.status == S.CONTACTED
    assert [c.status for c in case.connections.order_by("number")] == [C.SENT_TO_PROVIDER, C.SENT_TO_PROVIDER]
