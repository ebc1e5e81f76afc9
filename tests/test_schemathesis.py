"""Schemathesis against the app's own spec: every read operation never answers 5xx, never
a status the spec does not document, and always what the spec says (both databases).
The writes are fuzzed with a token in tests/writes/test_write_fuzz.py."""

import pytest
import schemathesis
from fastapi.testclient import TestClient
from schemathesis import GenerationMode
from spec_fuzzing import conformance_runner

from app.config import Settings
from app.main import create_app
from app.schemas import EXAMPLE_ID

WRITE_METHODS = {"post", "put", "delete", "patch"}


def _operations() -> list[tuple[str, str, bool]]:
    """Every read operation of the spec, and whether it takes query parameters."""
    spec = create_app(Settings(database_url="sqlite://")).openapi()
    return [
        (method.upper(), path, any(p["in"] == "query" for p in op.get("parameters", [])))
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method not in WRITE_METHODS
    ]


READ_OPERATIONS = _operations()


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


def test_every_read_operation_is_fuzzed() -> None:
    paths = {path for _, path, _ in READ_OPERATIONS}
    assert {"/search", "/changes", "/export", "/feeds/search.atom", "/metrics"} <= paths


@pytest.mark.parametrize(("method", "path", "has_query"), READ_OPERATIONS)
def test_read_endpoint_conforms_to_its_spec(
    client: TestClient, method: str, path: str, has_query: bool
) -> None:
    _seed(client)
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    operation = schema[path][method]
    conformance_runner(operation.as_strategy(generation_mode=GenerationMode.POSITIVE))()
    if has_query:  # a path segment alone cannot be made invalid over HTTP
        conformance_runner(operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))()
