"""schemathesis over every API Signpost serves, as every kind of caller: no server error, and every
answer as the served schema (/api/v1/schema/) says: a documented status, content type and body.

The referral API is called as each principal: nobody, a service's token, a provider organisation's
token, and a signed-in link worker and triage member (second factor verified, CSRF token sent, as
a browser would). The data are real: referrals of the caller's service in each of its own states
and with a connection in most of a connection's (and one of another service), so the steps, on the
referral and on a connection named by its number, get past the permission and state checks and
move referrals along as the run goes. The public search API is called once, with no one signed in.

Each operation gets schemathesis's coverage phase (every parameter and field at and beyond its
documented limits, as valid and as invalid input) and then a short fuzzing run, derandomized so a
run is repeatable. Beyond the response checks:
- invalid input (as the schema has it) must be refused (``negative_data_rejection``): the API
  accepts nothing the schema rules out;
- valid input (as the schema has it) must not be refused as bad input (a 400 or 422), except where
  a field's rule cannot be written as JSON Schema and its description states it (``DOCUMENTED``):
  so the schema states every rule the API enforces.
Failures are collected, not raised at the first, so one run reports every defect it met.

Calls go straight into Django's WSGI application (no server), inside the test's transaction.
"""

from __future__ import annotations

import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
import schemathesis
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation.drivers import CoverageGenerator
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.generation.overrides import Override
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from factories import referrals as factories
from factories.directory import (
    make_activity,
    make_need,
    make_organisation,
    make_postcode,
    make_venue,
)
from pages.setup import ensure_site
from referrals.api.views import CONNECTION_STEP_APIS, NEW_CONNECTION_STEPS, STEP_APIS
from referrals.choices import ConnectionStatus as C
from referrals.choices import ReferralStatus as S
from referrals.models import ApiToken
from referrals.workflow import ALL_STEPS

SCHEMA_URL = "/api/v1/schema/?format=json"
# Fuzzing examples per operation and caller, after the coverage phase. With the coverage phase
# this is ~1,000 requests a caller; the whole file takes about a minute and a half on SQLite.
FUZZ_EXAMPLES = 15
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
BAD_INPUT = {400, 422}

# Rules that JSON Schema cannot state, each stated in its field's or operation's description: the
# only fields a schema-valid request may be refused for (a 400 naming them), by operation.
DOCUMENTED = {
    # Needs must exist; the NHS number's check digit; a real postcode; a contact detail for the
    # chosen route; a referrer's name and the feedback consent unless it is a self-referral; the
    # Idempotency-Key reused for another request (422).
    "POST /api/v1/referrals/create/": {"resident", "needs", "referrer", "consents", "Idempotency-Key", "detail"},
    # A link worker of the referral's service, by username.
    "POST /api/v1/referrals/{reference}/triage/": {"link_worker"},
    # An activity that is listed (and whose provider takes referrals), not one the person is already
    # being connected to.
    "POST /api/v1/referrals/{reference}/choose-activity/": {"activity"},
    "POST /api/v1/referrals/{reference}/connections/": {"activity"},
    "POST /api/v1/referrals/{reference}/connections/{number}/change-activity/": {"activity"},
    # A reason of 'other' needs a note.
    "POST /api/v1/referrals/{reference}/decline/": {"note"},
    "POST /api/v1/referrals/{reference}/connections/{number}/decline/": {"note"},
    # starts_at or a session of the connection's activity, not both; in the future, within a year.
    "POST /api/v1/referrals/{reference}/book-first-session/": {"starts_at", "session"},
    "POST /api/v1/referrals/{reference}/connections/{number}/book-first-session/": {"starts_at", "session"},
    # Goals met needs a review; "could not be contacted" the service's number of failed attempts; no
    # reason while a connection is with a provider.
    "POST /api/v1/referrals/{reference}/discharge/preview/": {"reason"},
    "POST /api/v1/referrals/{reference}/discharge/": {"reason"},
    # An action's goal is one of the plan's own goals; review and due dates are today or later, within 2 years.
    "POST /api/v1/referrals/{reference}/plan/goals/": {"review_on"},
    "POST /api/v1/referrals/{reference}/plan/goals/{goal_id}/": {"review_on"},
    "POST /api/v1/referrals/{reference}/plan/actions/": {"goal", "due_on"},
    "POST /api/v1/referrals/{reference}/plan/actions/{action_id}/": {"goal", "due_on"},
    # Triage's other answers: another service by its slug, or one outside Signpost by name (one of the
    # two); a not-eligible reason of 'other' needs a note.
    "POST /api/v1/referrals/{reference}/redirect/": {"to_service", "to_name"},
    "POST /api/v1/referrals/{reference}/decline-not-eligible/": {"note"},
    # A booked contact is in the future (within a year); a held one is not, and not before the referral.
    "POST /api/v1/referrals/{reference}/contacts/": {"at", "duration_minutes"},
    # A postcode that exists; latitude and longitude together; needs in the taxonomy.
    "GET /api/v1/activities/": {"postcode", "latitude", "longitude", "needs"},
}


# The world the callers act in -----------------------------------------------------------------


@dataclass
class World:
    references: dict[str, str]  # by status, the caller's service's referrals; plus one of another service
    link_worker: str
    activity_id: int
    session_id: int
    headers: dict[str, dict[str, str]] = field(default_factory=dict)  # by principal
    cookies: dict[str, dict[str, str]] = field(default_factory=dict)  # by principal


def _build_world() -> World:
    ensure_site()
    loneliness = make_need("Loneliness and isolation", synonyms="lonely, isolated")
    make_postcode("BH15 1AB", 50.715400, -1.987100)
    service = factories.make_service("Poole Social Prescribing", prefixes="BH")
    other_service = factories.make_service("Halton Social Prescribing", prefixes="WA7")
    triage = factories.make_triage(service=service, username="tina")
    link_worker = factories.make_link_worker(service=service, username="lee")
    organisation = make_organisation("Poole Walking Friends", email="hello@poole-walking.example.org")
    activity = make_activity(organisation, "Tuesday health walk", needs=[loneliness], venue=make_venue("Poole Park Café"))
    references = {}
    for status in (S.RECEIVED, S.TRIAGED, S.CONTACTED, S.DECLINED_BY_PERSON, C.ACTIVITY_CHOSEN, C.SENT_TO_PROVIDER,
                   C.ACCEPTED, C.FIRST_SESSION_BOOKED, C.RESIDENT_NOTIFIED, C.DID_NOT_ATTEND, S.DISCHARGED):
        referral = factories.make_referral(service=service, status=status, triage=triage, link_worker=link_worker,
                                           activity=activity)
        references[str(status)] = referral.reference
    # A first session that has started, so attendance can be recorded.
    held = factories.make_referral(service=service, status=C.RESIDENT_NOTIFIED, triage=triage,
                                   link_worker=link_worker, activity=activity)
    factories.first_session_held(held)
    references["held"] = held.reference
    signposted = factories.make_referral(service=service, status=S.CONTACTED, triage=triage, link_worker=link_worker)
    factories.make_signpost(referral=signposted)
    references[str(C.SIGNPOSTED)] = signposted.reference
    references["other service"] = factories.make_referral(service=other_service).reference
    world = World(references=references, link_worker=link_worker.username, activity_id=activity.pk,
                  session_id=activity.sessions.get().pk)
    service_key = ApiToken.issue(name="EMIS at Harbour Surgery", service=service)[1]
    provider_key = ApiToken.issue(name="Poole Walking Friends system", organisation=organisation)[1]
    world.headers = {
        "anonymous": {},
        "service token": {"Authorization": f"Token {service_key}"},
        "provider token": {"Authorization": f"Bearer {provider_key}"},
    }
    for principal, user in (("link worker", link_worker), ("triage", triage)):
        world.headers[principal], world.cookies[principal] = _signed_in(user)
    return world


def _signed_in(user) -> tuple[dict[str, str], dict[str, str]]:
    """A browser's headers and cookies for ``user``, signed in with a verified second factor: the
    session, and a CSRF token as cookie and header (the API's session authentication checks it)."""
    client = Client()
    client.force_login(user)
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="Phone", defaults={"confirmed": True})
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    csrf = "fuzzcsrf" * 4  # 32 characters, as Django's CSRF tokens are
    return {"X-CSRFToken": csrf}, {settings.SESSION_COOKIE_NAME: session.session_key, settings.CSRF_COOKIE_NAME: csrf}


# Calling the application ---------------------------------------------------------------------


class _CountingApp:
    """Django's WSGI application, counting requests. While it runs, a finished request does not
    close the database connection (it holds the test's transaction), as Django's test client does."""

    def __init__(self):
        self.handler = WSGIHandler()
        self.requests = 0

    def __call__(self, environ, start_response):
        self.requests += 1
        response = self.handler(environ, start_response)
        try:
            return [b"".join(response)]
        finally:
            response.close()


@contextmanager
def _connection_kept():
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def app(db):
    with _connection_kept():
        yield _CountingApp()


@pytest.fixture
def api_schema(app):
    return schemathesis.openapi.from_wsgi(SCHEMA_URL, app)


@dataclass
class Run:
    app: _CountingApp
    headers: dict[str, str]
    cookies: dict[str, str] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)

    def send(self, case) -> None:
        response = case.call(app=self.app, headers=self.headers, cookies=self.cookies)
        self.statuses[response.status_code] += 1
        label = case.operation.label
        try:
            case.validate_response(response, checks=CHECKS, headers=self.headers, transport_kwargs={"app": self.app})
        except FailureGroup as group:
            self.failures.append(f"{label}: {group.exceptions[0].title}\n{case.as_curl_command()}\n"
                                 f"-> {response.status_code} {response.text[:300]}")
            return
        meta = case.meta
        if meta is not None and meta.generation.mode.is_positive and response.status_code in BAD_INPUT:
            refused = _fields_named(response)
            documented = DOCUMENTED.get(label, set())
            if response.status_code == 422 and "Idempotency-Key" in (case.headers or {}):
                # The generated key was used before for another request (422, as the header's description says).
                documented = documented | {"detail"}
            if not refused or not refused <= documented:
                self.failures.append(f"{label}: valid input (as documented) refused\n{case.as_curl_command()}\n"
                                     f"-> {response.status_code} {response.text[:300]}")


def _fields_named(response) -> set[str]:
    try:
        body = response.json()
    except ValueError:
        return set()
    if not isinstance(body, dict):
        return set()
    if "errors" in body and isinstance(body["errors"], dict):  # the search API's shape
        return set(body["errors"])
    return set(body)


def _coverage(operation, *, path_parameters: dict) -> list:
    config = operation.schema.config.generation_for(operation=operation, phase="coverage")
    return list(
        CoverageGenerator(
            operation=operation,
            generation_modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
            generation_config=config,
            auth_storage=None,
            override=Override(path_parameters=path_parameters),
            feedback=FeedbackSources(),
        )
    )


def _fuzz(operation, run: Run, *, references: list[str], known: dict) -> None:
    """``FUZZ_EXAMPLES`` generated requests, valid and invalid, on real referrals; valid bodies
    sometimes carry a real link worker, activity or session instead of a made-up one."""
    number = {"number": 1} if "{number}" in operation.path else {}
    by_reference = {
        reference: st.one_of(
            # Valid requests name connection 1 (a made-up number is mostly a 404); invalid ones any number.
            operation.as_strategy(GenerationMode.POSITIVE, path_parameters={"reference": reference, **number}),
            operation.as_strategy(GenerationMode.NEGATIVE, path_parameters={"reference": reference}),
        )
        for reference in references
    } if references else {None: st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                                           operation.as_strategy(GenerationMode.NEGATIVE))}

    @st.composite
    def cases(draw):
        case = draw(st.sampled_from(sorted(by_reference, key=str)).flatmap(by_reference.__getitem__))
        if known and case.meta.generation.mode.is_positive and isinstance(case.body, dict) and draw(st.booleans()):
            case.body.update(known)
        return case

    @hypothesis_settings(
        max_examples=FUZZ_EXAMPLES, derandomize=True, database=None, deadline=None,
        phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
    )
    @given(case=cases())
    def fuzz(case):
        run.send(case)

    fuzz()


def _exercise(api_schema, run: Run, world: World | None, *, paths: tuple[str, ...]) -> None:
    for result in api_schema.get_all_operations():
        operation = result.ok()
        if not operation.path.startswith(paths):
            continue
        if "{reference}" in operation.path:
            # Coverage on a referral the step can be taken from (its connection 1); fuzzing on any of them.
            ready = {"reference": _ready_for(operation.path, world)}
            if "{number}" in operation.path:
                ready["number"] = 1
            cases = _coverage(operation, path_parameters=ready)
            references = [*world.references.values(), "SP-NONE000"]
        else:
            cases = _coverage(operation, path_parameters={})
            references = []
        for case in cases:
            run.send(case)
        _fuzz(operation, run, references=references, known=_known(operation.path, world))


def _ready_for(path: str, world: World) -> str:
    segment = path.rstrip("/").rsplit("/", 1)[1]
    if "{number}" in path and segment in CONNECTION_STEP_APIS:
        action = CONNECTION_STEP_APIS[segment].step.action
    elif segment in STEP_APIS:
        action = STEP_APIS[segment].action
    elif path.endswith(("/discharge/", "/discharge/preview/")):
        action = "discharge"
    elif segment == "connections":
        return world.references[S.CONTACTED]
    elif segment in ("discharge-summary", "summary"):
        return world.references[S.DISCHARGED]
    else:  # reading a referral, its casework or plan
        return world.references[S.TRIAGED]
    if action in ("record_attendance", "record_did_not_attend", "cancel_first_session"):
        return world.references["held"]
    if action in NEW_CONNECTION_STEPS:
        return world.references[S.CONTACTED]
    sources = ALL_STEPS[action].sources
    return next(reference for status, reference in world.references.items() if status in sources)


def _known(path: str, world: World | None) -> dict:
    if world is None:
        return {}
    return {
        "triage": {"link_worker": world.link_worker},
        "choose-activity": {"activity": world.activity_id},
        "change-activity": {"activity": world.activity_id},
        "connections": {"activity": world.activity_id},
        "book-first-session": {"session": world.session_id, "starts_at": None},
    }.get(path.rstrip("/").rsplit("/", 1)[-1], {})


def _report(failures: list[str]) -> str:
    """Each kind of failure (operation and check) once, with its first example."""
    first = {}
    for failure in failures:
        first.setdefault(failure.split("\n", 1)[0], failure)
    return f"{len(failures)} failures of {len(first)} kinds:\n\n" + "\n\n".join(first.values())


# The tests ------------------------------------------------------------------------------------

PRINCIPALS = ["anonymous", "service token", "provider token", "link worker", "triage"]


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_the_referral_api_as_each_caller(principal, app, api_schema):
    world = _build_world()
    run = Run(app=app, headers=world.headers[principal], cookies=world.cookies.get(principal, {}))
    started, before = time.monotonic(), app.requests
    _exercise(api_schema, run, world, paths=("/api/v1/referrals/",))
    print(f"\n{principal}: {app.requests - before} requests in {time.monotonic() - started:.1f} s; "
          f"statuses {dict(sorted(run.statuses.items()))}")
    assert not run.failures, _report(run.failures)
    # The steps were exercised past their checks: some requests succeeded, not only refusals.
    if principal != "anonymous":
        assert run.statuses[200] > 0


def test_the_search_api(app, api_schema):
    ensure_site()
    loneliness = make_need("Loneliness and isolation", synonyms="lonely, isolated")
    make_postcode("BH15 1AB", 50.715400, -1.987100)
    organisation = make_organisation("Poole Walking Friends")
    make_activity(organisation, "Tuesday health walk", needs=[loneliness], venue=make_venue("Poole Park Café"))
    run = Run(app=app, headers={})
    started = time.monotonic()
    _exercise(api_schema, run, None, paths=("/api/v1/activities/",))
    print(f"\nsearch: {app.requests} requests in {time.monotonic() - started:.1f} s; "
          f"statuses {dict(sorted(run.statuses.items()))}")
    assert not run.failures, _report(run.failures)
    assert run.statuses[200] > 0
