"""Schemathesis on the write endpoints, with a write token: whatever the body, never a 5xx,
never a status the spec does not document, and the documented shapes (both databases)."""

import pytest
import schemathesis
from fastapi.testclient import TestClient
from schemathesis import GenerationMode
from spec_fuzzing import conformance_runner

WRITE_OPERATIONS = [("POST", "/articles"), ("PUT", "/articles/{id}"), ("DELETE", "/articles/{id}")]


@pytest.mark.parametrize(("method", "path"), WRITE_OPERATIONS)
def test_write_endpoint_conforms_to_its_spec(
    client: TestClient, seeded: list[str], auth: dict[str, str], method: str, path: str
) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    operation = schema[path][method]
    conformance_runner(operation.as_strategy(generation_mode=GenerationMode.POSITIVE), auth)()
    conformance_runner(operation.as_strategy(generation_mode=GenerationMode.POSITIVE), {})()
