"""Routing by first segment answers every request as the whole router does."""

import re

import pytest
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute

from api.conftest import Archive
from app.http.route_index import (
    ANY_SEGMENT,
    RouteIndex,
    first_segment,
    segments_of,
    template_segment,
)

METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]
# Values for the templates' parameters: an article of the designed archive, a tag, a hash.
VALUES = {"id": "gnews-0003", "name": "美国", "content_hash": "0" * 64}
MORE_PATHS = [
    "/",
    "/docs",
    "/docs/",
    "/redoc",
    "/docs-assets/swagger-ui.css",
    "/docs-assets/no-such-file",
    "/docs-assets",
    "/reader-assets/",
    "/reader-assets",
    "/openapi.json/",
    "/no/such/path",
    "/no-such-path/",
    "/Articles",
    "//articles",
    "/articles//",
    "/articles/no-such-article",
    "/articles/gnews-0003/related/",
    "/tags/美国/articles/",
    "/%61rticles",
]


def _index(client: TestClient) -> RouteIndex:
    index = client.app.router.middleware_stack  # type: ignore[attr-defined]
    assert isinstance(index, RouteIndex)
    return index


def _paths(routes: list[BaseRoute]) -> list[str]:
    """Every route template of the app with its parameters filled in, and with a slash added."""
    templates = set()
    for route in routes:
        contexts = getattr(route, "effective_route_contexts", None)
        found = [c.path for c in contexts()] if contexts else [getattr(route, "path", "")]
        templates.update(found)
    paths = [re.sub(r"{(\w+)(:\w+)?}", lambda m: VALUES[m[1]], t) for t in templates if t]
    return sorted({*paths, *(p + "/" for p in paths), *MORE_PATHS})


def _answer(client: TestClient, method: str, path: str) -> tuple[int, list[tuple[str, str]], bytes]:
    response = client.request(
        method,
        path,
        headers={"X-Request-ID": "same", "Origin": "https://reader.example"},
        follow_redirects=False,
    )
    headers = [(k, v) for k, v in response.headers.multi_items() if k != "date"]
    return response.status_code, headers, response.content


def _shape(answer: tuple[int, list[tuple[str, str]], bytes]) -> tuple[int, list[str]]:
    return answer[0], [name for name, _ in answer[1]]


def test_every_route_method_and_miss_answers_as_the_whole_router(
    client: TestClient, archive: Archive
) -> None:
    index = _index(client)
    paths = _paths(client.app.router.routes)  # type: ignore[attr-defined]
    assert "/articles/gnews-0003" in paths and "/docs-assets/swagger-ui.css" in paths
    seen_statuses = set()
    for path in paths:
        for method in METHODS:
            indexed = _answer(client, method, path)
            client.app.router.middleware_stack = index.whole  # type: ignore[attr-defined]
            try:
                whole = _answer(client, method, path)
            finally:
                client.app.router.middleware_stack = index  # type: ignore[attr-defined]
            if path.startswith("/metrics"):  # its counts move with every request: the shape
                indexed, whole = _shape(indexed), _shape(whole)
            assert indexed == whole, (method, path)
            seen_statuses.add(indexed[0])
    # The comparison covered answers, refusals, misses, wrong methods and redirects.
    assert {200, 304, 401, 404, 405, 307} - {304} <= seen_statuses


def test_a_first_segment_reaches_only_the_routes_that_can_match_it(client: TestClient) -> None:
    client.get("/healthz")
    index = _index(client)
    for segment in ("articles", "healthz", "docs-assets", "tags"):
        view = index.views[segment]
        assert 0 < len(view.routes) < len(client.app.router.routes)  # type: ignore[attr-defined]
        for route in view.routes:
            assert segment in segments_of(route) or ANY_SEGMENT in segments_of(route)
    article_routes = {t for r in index.views["articles"].routes for t in segments_of(r)}
    assert article_routes == {"articles"}  # the health, feed and tag routers are left out


def test_routes_added_after_the_app_was_built_are_indexed(client: TestClient) -> None:
    assert client.get("/late").status_code == 404

    @client.app.get("/late")  # type: ignore[attr-defined, untyped-decorator]
    async def late() -> dict[str, bool]:
        return {"late": True}

    assert client.get("/late").json() == {"late": True}


@pytest.mark.parametrize(
    ("template", "segment"),
    [
        ("/articles", "articles"),
        ("/articles/{id}", "articles"),
        ("/tags/{name:path}/articles", "tags"),
        ("/docs-assets", "docs-assets"),
        ("/feeds/articles.atom", "feeds"),
        ("/", ""),
        ("", ANY_SEGMENT),
        ("/{id}", ANY_SEGMENT),
        ("/item-{id}/x", ANY_SEGMENT),
    ],
)
def test_template_segment(template: str, segment: str | None) -> None:
    assert template_segment(template) == segment


@pytest.mark.parametrize(
    ("path", "segment"),
    [
        ("/articles", "articles"),
        ("/articles/", "articles"),
        ("/articles/x/y", "articles"),
        ("/", None),
        ("", None),
        ("//articles", None),
    ],
)
def test_first_segment(path: str, segment: str | None) -> None:
    assert first_segment(path) == segment
