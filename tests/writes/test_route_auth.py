"""Walks every route of the OpenAPI spec: reads need no token, writes all need one."""

import re

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from writes.articles import article_bytes, gnews_path, multipart_body

WRITE_METHODS = {"post", "put", "delete", "patch"}


def _operations() -> list[tuple[str, str]]:
    spec = create_app(Settings(database_url="sqlite://")).openapi()
    return [
        (method, path)
        for path, item in spec["paths"].items()
        for method in item
        if method != "parameters"
    ]


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "gnews-101", path)


def test_the_spec_has_reads_and_writes() -> None:
    methods = {m for m, _ in _operations()}
    assert "get" in methods and {"post", "put", "delete"} <= methods


@pytest.mark.parametrize(("method", "path"), [op for op in _operations() if op[0] == "get"])
def test_every_read_works_without_a_token(
    client: TestClient, seeded: list[str], method: str, path: str
) -> None:
    params = {"q": "测试"} if path == "/search" else {}
    r = client.get(_concrete(path), params=params)
    assert r.status_code not in (401, 403), (path, r.status_code, r.text)
    assert r.status_code < 500, (path, r.status_code, r.text)


@pytest.mark.parametrize(("method", "path"), [op for op in _operations() if op[0] in WRITE_METHODS])
def test_every_write_needs_a_token(client: TestClient, method: str, path: str) -> None:
    body, ctype = multipart_body([("file", gnews_path(1), article_bytes(1))])
    r = client.request(
        method.upper(), _concrete(path), content=body, headers={"Content-Type": ctype}
    )
    assert r.status_code == 401, (method, path, r.status_code)
    assert r.headers["www-authenticate"].startswith("Bearer")


def test_writes_document_their_security_and_errors() -> None:
    spec = create_app(Settings(database_url="sqlite://")).openapi()
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    for method, path in _operations():
        if method in WRITE_METHODS:
            operation = spec["paths"][path][method]
            assert {"bearer": []} in operation["security"], (method, path)
            assert {"401", "403"} <= set(operation["responses"]), (method, path)
