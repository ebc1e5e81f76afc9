"""The OpenAPI document: FastAPI's, plus the facts it cannot see on its own.

- Errors: every error leaves through ``app.api.problems`` as ``application/problem+json``;
  routes document them with ``problem_responses`` (no ``model``, so no false
  ``application/json`` twin), and the ``Problem`` schema is added to the components here.
- Outages: every operation but the liveness probe reads or writes the database, so it can
  answer 503 with ``Retry-After`` when the database is down or hung, and says so.
- Security: an operation that declares no security scheme (no ``WriteToken`` dependency) is
  public, and says so with ``security: []``; without it a reader of the spec (and linters)
  cannot tell "public" from "forgot to say".
- Rate limits: the middleware of ``app.api.rate_limits`` answers 429 on the operations it
  limits; it documents them here.
"""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from app.api.problems import problem_responses, problem_schemas
from app.api.rate_limits import document_rate_limits

HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}

# Relative first: Swagger UI at /docs then talks to the service that served it, wherever
# that is; the second entry is where `make run` and `corpus serve` listen by default.
SERVERS = [
    {"url": "/", "description": "The service that serves this document."},
    {"url": "http://127.0.0.1:8000", "description": "`make run` or `corpus serve` here."},
]
LICENSE = {"name": "MIT", "identifier": "MIT"}


def operations(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Every operation object of ``spec``."""
    return [
        operation
        for item in spec.get("paths", {}).values()
        for method, operation in item.items()
        if method in HTTP_METHODS
    ]


# The operations that touch no database (tests/faults/test_unavailable.py checks the claim).
NO_DATABASE = {"healthz"}


RETRY_AFTER_HEADER = {
    "Retry-After": {
        "description": "Seconds to wait before sending the request again.",
        "schema": {"type": "integer", "minimum": 1},
    }
}


def openapi_document(app: FastAPI) -> dict[str, Any]:
    """The app's OpenAPI document (built once, then cached on the app like FastAPI's own)."""
    if app.openapi_schema is not None:
        return app.openapi_schema
    spec = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        servers=app.servers,
        license_info=app.license_info,
    )
    spec.setdefault("components", {}).setdefault("schemas", {}).update(problem_schemas())
    spec["components"]["schemas"] = dict(sorted(spec["components"]["schemas"].items()))
    for operation in operations(spec):
        operation.setdefault("security", [])
    for operation in operations(spec):
        if operation.get("operationId") not in NO_DATABASE:
            # A route's own 503 (with its example) stays; it gains the header.
            response = operation["responses"].setdefault("503", problem_responses(503)[503])
            response["headers"] = RETRY_AFTER_HEADER
    document_rate_limits(spec)
    app.openapi_schema = spec
    return spec


def install_spec(app: FastAPI) -> None:
    """Serve ``openapi_document`` at ``/openapi.json`` (and from ``app.openapi()``)."""
    app.openapi = lambda: openapi_document(app)  # type: ignore[method-assign]
