"""Schemathesis against the app's own spec: the read endpoints never answer 5xx, never answer
a status the spec does not document, and always answer what the spec says (both databases)."""

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

from app.schemas import EXAMPLE_ID

READ_OPERATIONS = [
    ("GET", "/articles"),
    ("GET", "/articles/{id}"),
    ("GET", "/tags"),
    ("GET", "/tags/{name}/articles"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
]
WITH_QUERY_PARAMETERS = {"/articles", "/tags", "/tags/{name}/articles"}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Bounded so the whole file runs in seconds; derandomised so a run can be repeated exactly.
EXAMPLES_PER_OPERATION = 25


def _seed(client: TestClient) -> None:
    # The spec's own examples name these, so example-driven cases find real articles and tags.
    from api.factory import ArticleSpec, add_articles, when

    add_articles(
        client.app.state.engine,  # type: ignore[attr-defined]
        [
            ArticleSpec(
                id=EXAMPLE_ID,
                published_at=when(4, 8),
                authors=["水星"],
                tags=[("美国", "entity"), ("TikTok", "entity")],
            ),
            ArticleSpec(id="gnews-2", published_at=None, tags=[("美国", "meta")]),
            ArticleSpec(
                id="gnews-3", published_at=when(5), is_empty=True, tags=[("美国", "entity")]
            ),
        ],
    )


def _runner(case_strategy: st.SearchStrategy[schemathesis.Case]) -> Callable[[], None]:
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=case_strategy)
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(checks=CHECKS)

    return run


@pytest.mark.parametrize(("method", "path"), READ_OPERATIONS)
def test_read_endpoint_conforms_to_its_spec(client: TestClient, method: str, path: str) -> None:
    _seed(client)
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    operation = schema[path][method]
    _runner(operation.as_strategy(generation_mode=GenerationMode.POSITIVE))()
    if path in WITH_QUERY_PARAMETERS:  # a path segment alone cannot be made invalid over HTTP
        _runner(operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))()
