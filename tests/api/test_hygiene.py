"""HTTP hygiene: HEAD wherever GET is, nosniff everywhere, CSP on the docs, problem+json CORS."""

import base64
import hashlib
import re

import pytest
from fastapi.testclient import TestClient

from api.conftest import Archive
from api.test_http import _get_urls

SAME_HEADERS = ("content-type", "content-length", "etag", "cache-control", "link")


def test_head_answers_every_get_route_as_get_would_without_a_body(
    client: TestClient, archive: Archive
) -> None:
    urls = _get_urls(client) + ["/export", "/articles/no-such-article", "/docs-assets/favicon.png"]
    for url in urls:
        get = client.get(url)
        head = client.head(url)
        assert head.status_code == get.status_code, url
        assert head.content == b"", url
        for name in SAME_HEADERS:
            assert head.headers.get(name) == get.headers.get(name), (url, name)


def test_head_honours_if_none_match(client: TestClient, archive: Archive) -> None:
    etag = client.get("/articles/gnews-0003").headers["etag"]
    head = client.head("/articles/gnews-0003", headers={"If-None-Match": etag})
    assert head.status_code == 304
    assert head.headers["etag"] == etag


def test_head_on_paths_outside_the_spec_and_unknown_ones(client: TestClient) -> None:
    assert client.head("/changes/digest").status_code == 200
    assert client.request("HEAD", "/openapi.json").status_code == 200
    assert client.head("/no/such/path").status_code == 404


def test_every_response_says_nosniff(client: TestClient, archive: Archive) -> None:
    responses = [client.get(url) for url in _get_urls(client)]
    responses += [
        client.get("/articles/no-such-article"),  # a problem
        client.get("/articles?limit=0"),  # a 422
        client.post("/articles"),  # a 401
        client.get("/docs-assets/swagger-ui.css"),
    ]
    for response in responses:
        assert response.headers["x-content-type-options"] == "nosniff", response.url


def _policy(header: str) -> dict[str, list[str]]:
    directives = [d.split() for d in header.split(";") if d.strip()]
    return {d[0]: d[1:] for d in directives}


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_have_a_strict_content_security_policy(client: TestClient, page: str) -> None:
    response = client.get(page)
    policy = _policy(response.headers["content-security-policy"])
    assert policy["default-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["connect-src"] == ["'self'"]
    # No other host anywhere, and scripts only from here or by the hash of the page's own.
    assert not [s for sources in policy.values() for s in sources if "://" in s or s == "*"]
    assert "'unsafe-inline'" not in policy["script-src"]
    assert "'unsafe-eval'" not in policy["script-src"]
    inline = re.findall(rb"<script>(.*?)</script>", response.content, re.DOTALL)
    hashes = [
        f"'sha256-{base64.b64encode(hashlib.sha256(body).digest()).decode()}'" for body in inline
    ]
    assert policy["script-src"] == ["'self'", *hashes]


def test_swagger_ui_needs_no_inline_style(client: TestClient) -> None:
    policy = _policy(client.get("/docs").headers["content-security-policy"])
    assert policy["style-src"] == ["'self'"]


def test_api_responses_carry_no_docs_policy(client: TestClient, archive: Archive) -> None:
    # The policy belongs to the HTML pages; JSON needs none (and nosniff keeps it JSON).
    assert "content-security-policy" not in client.get("/articles").headers


def test_a_refused_cors_preflight_is_a_problem(client: TestClient) -> None:
    refused = client.options(
        "/articles",
        headers={
            "Origin": "https://reader.example",
            "Access-Control-Request-Method": "DELETE",
        },
    )
    assert refused.status_code == 400
    assert refused.headers["content-type"] == "application/problem+json"
    body = refused.json()
    assert body["status"] == 400 and body["title"] == "Bad Request"
    assert "method" in body["detail"]
    assert refused.headers["x-content-type-options"] == "nosniff"
    allowed = client.options(
        "/articles",
        headers={"Origin": "https://reader.example", "Access-Control-Request-Method": "HEAD"},
    )
    assert allowed.status_code == 200
