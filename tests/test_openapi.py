"""The committed spec is the running app's, and the read API documents itself fully."""

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.main import create_app

SPEC_FILE = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"
READ_OPERATIONS = {
    ("get", "/articles"): "list_articles",
    ("get", "/articles/{id}"): "get_article",
    ("get", "/tags"): "list_tags",
    ("get", "/tags/{name}/articles"): "list_tag_articles",
}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    """The app's spec, as JSON would carry it."""
    return json.loads(json.dumps(create_app().openapi()))


def test_committed_spec_is_the_apps(spec: dict[str, Any]) -> None:
    committed = json.loads(SPEC_FILE.read_text(encoding="utf-8"))
    assert committed == spec, "openapi/openapi.json is stale: run `make openapi` and commit it"


def test_corpus_openapi_prints_the_spec(spec: dict[str, Any]) -> None:
    result = CliRunner().invoke(cli, ["openapi"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == spec


def test_operation_ids_are_stable_and_unique(spec: dict[str, Any]) -> None:
    ids = [op["operationId"] for ops in spec["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))
    for (method, path), operation_id in READ_OPERATIONS.items():
        assert spec["paths"][path][method]["operationId"] == operation_id


def test_read_routes_document_description_examples_and_errors(spec: dict[str, Any]) -> None:
    for method, path in READ_OPERATIONS:
        op = spec["paths"][path][method]
        assert op.get("summary") and op.get("description"), path
        ok = op["responses"]["200"]
        assert ok["content"]["application/json"].get("example"), path
        assert "ETag" in ok["headers"] and "Cache-Control" in ok["headers"], path
        for status in ("304", "422"):
            assert status in op["responses"], (path, status)
        for status, response in op["responses"].items():
            if status.startswith(("4", "5")):
                assert "application/problem+json" in response["content"], (path, status)
        for parameter in op.get("parameters", []):
            assert parameter.get("description"), (path, parameter["name"])
            assert parameter["schema"].get("examples") or parameter.get("example"), (
                path,
                parameter["name"],
            )
    for path in ("/articles/{id}", "/tags/{name}/articles"):
        assert "404" in spec["paths"][path]["get"]["responses"]


def _models_used(spec: dict[str, Any], node: Any, seen: set[str]) -> set[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            name = ref.rsplit("/", 1)[1]
            if name not in seen:
                seen.add(name)
                _models_used(spec, spec["components"]["schemas"][name], seen)
        for value in node.values():
            _models_used(spec, value, seen)
    elif isinstance(node, list):
        for value in node:
            _models_used(spec, value, seen)
    return seen


def test_models_of_the_read_api_have_descriptions_and_examples(spec: dict[str, Any]) -> None:
    seen: set[str] = set()
    for method, path in READ_OPERATIONS:
        ok = spec["paths"][path][method]["responses"]["200"]
        _models_used(spec, ok, seen)
    assert {"ArticleSummary", "ArticlePublic", "ArticlesPage", "TagsPage", "TagCount"} <= seen
    for name in seen:
        model = spec["components"]["schemas"][name]
        assert model.get("description"), name
        for field, schema in model.get("properties", {}).items():
            assert "$ref" in schema or schema.get("examples"), f"{name}.{field} has no example"


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m, p, op) for p, item in spec["paths"].items() for m, op in item.items()]


def test_every_error_is_documented_as_the_problem_json_it_is(spec: dict[str, Any]) -> None:
    # FastAPI's default 422 (HTTPValidationError, application/json) is what the server never
    # sends: every error leaves through the problem handlers.
    assert "HTTPValidationError" not in json.dumps(spec)
    problem = {"$ref": "#/components/schemas/Problem"}
    checked = 0
    for method, path, op in _operations(spec):
        for status, response in op["responses"].items():
            if status.startswith(("4", "5")):
                assert list(response["content"]) == ["application/problem+json"], (path, status)
                assert response["content"]["application/problem+json"]["schema"] == problem
                checked += 1
        if op.get("parameters") or "requestBody" in op:
            assert "422" in op["responses"], (method, path)
    assert checked > 30
    errors = spec["components"]["schemas"]["Problem"]["properties"]["errors"]
    assert errors["anyOf"][0]["items"] == {"$ref": "#/components/schemas/ProblemItem"}


def test_servers_license_and_public_operations(spec: dict[str, Any]) -> None:
    assert spec["servers"][0]["url"] == "/"
    assert spec["info"]["license"]["identifier"] == "MIT"
    public = [(m, p) for m, p, op in _operations(spec) if op["security"] == []]
    written = [(m, p) for m, p, op in _operations(spec) if op["security"] == [{"bearer": []}]]
    assert len(public) + len(written) == len(_operations(spec))
    assert ("get", "/articles") in public and ("get", "/healthz") in public
    assert sorted(written) == [
        ("delete", "/articles/{id}"),
        ("post", "/articles"),
        ("put", "/articles/{id}"),
    ]
