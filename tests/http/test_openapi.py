"""Schemathesis fuzzes every operation of the OpenAPI document: no 5xx, no undocumented responses."""

from __future__ import annotations

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.http.live_server import LiveServer


def test_every_operation_is_documented(server: LiveServer) -> None:
    paths = httpx.get(f"{server.url}/openapi.json").json()["paths"]
    assert set(paths) >= {
        "/v1/generators",
        "/v1/generations",
        "/v1/generations/{generation_id}",
        "/v1/generations/pending/{ticket}",
        "/v1/generations/stream",
        "/v1/requests/{request_id}",
        "/v1/artifacts/{artifact_id}",
        "/v1/feedback",
        "/healthz",
        "/metrics",
    }
    assert all(
        "429" in op["responses"]
        for path, ops in paths.items()
        if path.startswith("/v1")
        for op in ops.values()
    )


def test_api_conforms_to_its_schema(server: LiveServer) -> None:
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def conforms(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=server.auth("admin"), checks=checks)

        conforms()
