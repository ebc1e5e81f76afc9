"""Planned routes (app.api.solving) answer every request exactly as FastAPI's solver does."""

from urllib.parse import quote

import pytest
from fastapi import Request
from fastapi.testclient import TestClient

from api.conftest import Archive
from app.api import articles, tags
from app.api.pages import next_page_link
from app.api.solving import PlannedRoute, planned

# Valid, invalid and odd parameters of the planned routes: every answer, values and errors
# alike, must be the one FastAPI's own solver gives.
REQUESTS = [
    "/articles",
    "/articles?limit=20",
    "/articles?limit=3&sort=published_at&fields=id,title&fields=collection",
    "/articles?tag=美国&tag=新闻&collection=gnews&include_empty=true&total=true",
    "/articles?author=水星&published_after=2024-01-02&published_before=2024-01-09T00:00:00Z",
    "/articles?facets=collection,year&facet_size=2&total=1",
    "/articles?limit=0",
    "/articles?limit=201&sort=sideways&include_empty=maybe",
    "/articles?limit=abc&cursor=nonsense",
    "/articles?limit=2.5&facet_size=0&facets=bogus",
    "/articles?published_after=yesterday&fields=nope",
    "/articles?published_after=0001-01-01T00:00:00%2B14:00",
    "/articles?tag=" + "&tag=".join(str(n) for n in range(11)),
    "/articles?tag=&collection=",
    "/articles?collection=%00",
    "/articles?limit=%2B5&limit=7",
    "/articles/gnews-1001",
    "/articles/no-such-article",
    "/articles/gnews-1001/related?limit=3",
    "/articles/gnews-1001/related?limit=51",
    "/tags?limit=2&total=true",
    "/tags?kind=entity&sort=-count&limit=0",
    f"/tags/{quote('美国')}/articles?limit=2&total=true&facets=tag",
    f"/tags/{quote('美国')}/articles?limit=x",
    "/search?q=news&limit=2",
    "/search?limit=2",
    "/search?q=news&facets=month&facet_size=101",
    "/authors?limit=2",
]


def test_the_hot_routes_are_planned() -> None:
    """The list and article routes have a plan (a change that loses it is a slowdown)."""
    routes = {getattr(r, "path", None): r for r in [*articles.router.routes, *tags.router.routes]}
    for path in ("/articles", "/articles/{id}", "/tags/{name:path}/articles"):
        assert isinstance(routes[path], PlannedRoute)
        assert planned(routes[path]), path


@pytest.mark.parametrize("path", REQUESTS)
def test_a_planned_route_answers_as_fastapi_does(
    client: TestClient, archive: Archive, path: str
) -> None:
    """Status, body and headers, whether the plan or FastAPI's solver answers."""
    fast = client.get(path)
    # Any override sends every request to FastAPI's own solver.
    client.app.dependency_overrides[test_a_planned_route_answers_as_fastapi_does] = lambda: None  # type: ignore[attr-defined]
    try:
        slow = client.get(path)
    finally:
        client.app.dependency_overrides.clear()  # type: ignore[attr-defined]
    assert (fast.status_code, fast.json()) == (slow.status_code, slow.json())
    drop = {"x-request-id", "date"}
    assert {k: v for k, v in fast.headers.items() if k not in drop} == {
        k: v for k, v in slow.headers.items() if k not in drop
    }


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/articles", b"limit=20"),
        ("/articles", b""),
        ("/articles", b"cursor=old&limit=2&cursor=older&tag=%E7%BE%8E&tag=&x=a+b%26c"),
        ("/tags/美国/articles", b"limit=2&fields=id,title"),
        ("/tags/a?b#c\\d/articles", b"limit=2&"),
    ],
)
def test_the_next_link_is_the_url_with_the_cursor_replaced(path: str, query: bytes) -> None:
    """``next_page_link`` gives what ``request.url.include_query_params`` gave."""
    scope = {
        "type": "http",
        "path": path,
        "query_string": query,
        "headers": [(b"host", b"example.org")],
    }
    request = Request(scope)
    url = request.url.include_query_params(cursor="eyJ2Ijox.c2ln")
    path_part = quote(url.path, safe="/:@!$&'()*+,;=-._~")
    expected = f'<{path_part}?{url.query}>; rel="next"'
    assert next_page_link(request, "eyJ2Ijox.c2ln") == expected
