"""Every example in openapi/openapi.json validates against the schema it illustrates.

A client generator, a linter or a reader trusts the examples as much as the schemas: an
example that fails its own schema (a required field FastAPI's export dropped because it was
null, say) is a defect of the spec. The walk covers schema ``examples`` (components and
every nested property), parameter, header and media-type ``example``/``examples``.
"""

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_FILE = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"
BASE = "urn:corpus-api:openapi"

# Keywords whose value is a schema, or a list or map of schemas (JSON Schema 2020-12).
ONE_SCHEMA = ("items", "additionalProperties", "not", "contains", "propertyNames")
SCHEMA_LIST = ("anyOf", "oneOf", "allOf", "prefixItems")
SCHEMA_MAP = ("properties", "patternProperties", "$defs")


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _schema_examples(schema: Any, pointer: str) -> Iterator[tuple[str, Any, str]]:
    """(schema pointer, example, where) for each example of ``schema`` and its subschemas."""
    if not isinstance(schema, dict):
        return
    for i, example in enumerate(schema.get("examples", [])):
        yield pointer, example, f"{pointer}/examples/{i}"
    for key in ONE_SCHEMA:
        if isinstance(schema.get(key), dict):
            yield from _schema_examples(schema[key], f"{pointer}/{key}")
    for key in SCHEMA_LIST:
        for i, sub in enumerate(schema.get(key, [])):
            yield from _schema_examples(sub, f"{pointer}/{key}/{i}")
    for key in SCHEMA_MAP:
        for name, sub in schema.get(key, {}).items():
            yield from _schema_examples(sub, f"{pointer}/{key}/{_escape(name)}")


def _object_examples(node: dict[str, Any], pointer: str) -> Iterator[tuple[str, Any, str]]:
    """Examples of a parameter, header or media type object, and those of its schema."""
    if "schema" not in node:
        return
    schema_pointer = f"{pointer}/schema"
    if "example" in node:
        yield schema_pointer, node["example"], f"{pointer}/example"
    for name, example in node.get("examples", {}).items():
        if "value" in example:
            yield schema_pointer, example["value"], f"{pointer}/examples/{_escape(name)}"
    yield from _schema_examples(node["schema"], schema_pointer)


def _content_examples(owner: dict[str, Any], pointer: str) -> Iterator[tuple[str, Any, str]]:
    for media_type, node in owner.get("content", {}).items():
        yield from _object_examples(node, f"{pointer}/content/{_escape(media_type)}")


def all_examples(spec: dict[str, Any]) -> Iterator[tuple[str, Any, str]]:
    """(pointer of the schema, example, pointer of the example) for every example in ``spec``."""
    for name, schema in spec.get("components", {}).get("schemas", {}).items():
        yield from _schema_examples(schema, f"#/components/schemas/{_escape(name)}")
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            at = f"#/paths/{_escape(path)}/{method}"
            for i, parameter in enumerate(operation.get("parameters", [])):
                yield from _object_examples(parameter, f"{at}/parameters/{i}")
            if "requestBody" in operation:
                yield from _content_examples(operation["requestBody"], f"{at}/requestBody")
            for status, response in operation["responses"].items():
                where = f"{at}/responses/{status}"
                yield from _content_examples(response, where)
                for header, node in response.get("headers", {}).items():
                    yield from _object_examples(node, f"{where}/headers/{_escape(header)}")


def example_errors(spec: dict[str, Any]) -> list[str]:
    """One line for each example of ``spec`` that fails its schema."""
    resource = Resource.from_contents(spec, default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(BASE, resource)
    failures = []
    for schema_pointer, example, where in all_examples(spec):
        validator = Draft202012Validator(
            {"$ref": BASE + schema_pointer},
            registry=registry,
            format_checker=Draft202012Validator.FORMAT_CHECKER,
        )
        failures += [f"{where}: {error.message}" for error in validator.iter_errors(example)]
    return failures


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return json.loads(SPEC_FILE.read_text(encoding="utf-8"))


def test_every_example_validates_against_its_schema(spec: dict[str, Any]) -> None:
    assert example_errors(spec) == []


def test_the_walk_reaches_the_examples_of_every_kind(spec: dict[str, Any]) -> None:
    where = [w for _schema, _example, w in all_examples(spec)]
    assert len(where) > 200
    assert any("/components/schemas/ArticlePublic/properties/" in w for w in where)
    assert any("/parameters/" in w for w in where)
    assert "#/paths/~1articles~1{id}/get/responses/200/content/application~1json/example" in where
    assert any("/requestBody/content/" in w for w in where)


def test_a_broken_example_is_caught(spec: dict[str, Any]) -> None:
    broken = copy.deepcopy(spec)
    ok = broken["paths"]["/articles/{id}"]["get"]["responses"]["200"]["content"]
    del ok["application/json"]["example"]["summary"]
    broken["components"]["schemas"]["SectionPublic"]["properties"]["index"]["examples"] = ["one"]
    errors = example_errors(broken)
    assert len(errors) == 2, errors
    assert "'summary' is a required property" in errors[0] + errors[1]
