"""Schemathesis on the write endpoints, with a write token: whatever the body, never a 5xx,
never a status the spec does not document, and the documented shapes (both databases)."""

from collections.abc import Callable

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

WRITE_OPERATIONS = [("POST", "/articles"), ("PUT", "/articles/{id}"), ("DELETE", "/articles/{id}")]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 25


def _runner(
    case_strategy: st.SearchStrategy[schemathesis.Case], headers: dict[str, str]
) -> Callable[[], None]:
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=case_strategy)
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(checks=CHECKS, headers=headers)

    return run


@pytest.mark.parametrize(("method", "path"), WRITE_OPERATIONS)
def test_write_endpoint_conforms_to_its_spec(
    client: TestClient, seeded: list[str], auth: dict[str, str], method: str, path: str
) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    operation = schema[path][method]
    _runner(operation.as_strategy(generation_mode=GenerationMode.POSITIVE), auth)()
    _runner(operation.as_strategy(generation_mode=GenerationMode.POSITIVE), {})()
