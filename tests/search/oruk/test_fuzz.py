"""schemathesis over the ORUK API's OpenAPI document as it is served (/oruk/openapi.json), with
the profile's schemas it refers to read from the vendored copies (inlined: nothing is fetched):
no server error, and every answer a documented status, content type and body.

Each operation gets schemathesis's coverage phase (every parameter at and beyond its documented
limits) and a short derandomized fuzzing run, by ids that exist and ids that do not. Calls go
straight into Django's WSGI application, inside the test's transaction.
"""

from __future__ import annotations

import json
import time
from collections import Counter

import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
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
    response_schema_conformance,
    status_code_conformance,
)

from directory.oruk.schemas import load_schema

FUZZ_EXAMPLES = 12
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
SCHEMA_PREFIX = "http://testserver/oruk/schema/"


def _inlined(document: dict) -> dict:
    """The document with each schema it refers to on this site placed in its components."""
    schemas = document["components"]["schemas"]

    def point(node):
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and (ref.startswith(SCHEMA_PREFIX) or ref.endswith(".json")):
                name = ref.rsplit("/", 1)[-1]
                key = "oruk_" + name.removesuffix(".json")
                if key not in schemas:
                    schemas[key] = {}
                    schemas[key].update(point(json.loads(json.dumps(load_schema(name)))))
                node["$ref"] = f"#/components/schemas/{key}"
            for value in node.values():
                point(value)
        elif isinstance(node, list):
            for value in node:
                point(value)
        return node

    point(document["paths"])
    return document


class _App:
    def __init__(self):
        self.handler = WSGIHandler()

    def __call__(self, environ, start_response):
        response = self.handler(environ, start_response)
        try:
            return [b"".join(response)]
        finally:
            response.close()


def _coverage(operation, path_parameters: dict) -> list:
    config = operation.schema.config.generation_for(operation=operation, phase="coverage")
    return list(CoverageGenerator(
        operation=operation, generation_modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        generation_config=config, auth_storage=None, override=Override(path_parameters=path_parameters),
        feedback=FeedbackSources(),
    ))


def test_the_oruk_api_against_its_openapi_document(client, directory):
    document = _inlined(client.get("/oruk/openapi.json").json())
    schema = schemathesis.openapi.from_dict(document)
    known = {
        "/services/{id}": directory["activities"]["walk"].oruk_id,
        "/service_at_locations/{id}": client.get("/oruk/service_at_locations").json()["contents"][0]["id"],
        "/taxonomies/{id}": client.get("/oruk/taxonomies").json()["contents"][0]["id"],
        "/taxonomy_terms/{id}": directory["needs"]["walking"].oruk_id,
    }
    app, failures, statuses = _App(), [], Counter()

    def send(case):
        response = case.call(app=app)
        statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS, transport_kwargs={"app": app})
        except FailureGroup as group:
            failures.append(f"{case.operation.label}: {group.exceptions[0].title}\n{case.as_curl_command()}\n"
                            f"-> {response.status_code} {response.text[:300]}")

    started = time.monotonic()
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        for result in schema.get_all_operations():
            operation = result.ok()
            ids = {"id": known[operation.path]} if operation.path in known else {}
            for case in _coverage(operation, ids):
                send(case)
            strategies = [operation.as_strategy(mode, path_parameters=ids or None)
                          for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)]
            if ids:  # and made-up ids too
                strategies += [operation.as_strategy(GenerationMode.POSITIVE)]

            @hypothesis_settings(max_examples=FUZZ_EXAMPLES, derandomize=True, database=None, deadline=None,
                                 phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            @given(case=st.one_of(strategies))
            def fuzz(case):
                send(case)

            fuzz()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    print(f"\nORUK API: {sum(statuses.values())} requests in {time.monotonic() - started:.1f} s; "
          f"statuses {dict(sorted(statuses.items()))}")
    first = {}
    for failure in failures:
        first.setdefault(failure.split("\n", 1)[0], failure)
    assert not failures, f"{len(failures)} failures of {len(first)} kinds:\n\n" + "\n\n".join(first.values())
    assert statuses[200] > 0 and statuses[400] > 0
