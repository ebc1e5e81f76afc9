"""/collections, /authors, an author's articles and related articles, against Python oracles."""

import math
from collections import Counter
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.conftest import Archive, walk
from api.factory import ArticleSpec, add_articles, when


def _names(client: TestClient, url: str, params: dict[str, Any]) -> list[tuple[str, int]]:
    """Every (name, count) of every page of a name list, following `next`."""
    out: list[tuple[str, int]] = []
    query = dict(params)
    while True:
        r = client.get(url, params=query)
        assert r.status_code == 200, r.text
        body = r.json()
        out += [(i["name"], i["count"]) for i in body["items"]]
        if body["next"] is None:
            return out
        query["cursor"] = body["next"]


def _by_count(counts: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


FILTERS: list[dict[str, Any]] = [
    {},
    {"include_empty": "true"},
    {"tag": "美国"},
    {"collection": "transcript"},
    {"published_before": "2024-03-04T00:00:00Z"},
]


@pytest.mark.parametrize("params", FILTERS)
def test_collections_and_authors_count_what_the_list_holds(
    client: TestClient, archive: Archive, params: dict[str, Any]
) -> None:
    ids = walk(client, "/articles", {**params, "limit": 200})
    specs = [archive.specs[i] for i in ids]
    collections = Counter(s.collection for s in specs)
    authors = Counter(a for s in specs for a in set(s.authors))
    for limit in (1, 200):
        got = _names(client, "/collections", {**params, "limit": limit})
        assert got == _by_count(collections)
        assert _names(client, "/authors", {**params, "limit": limit}) == _by_count(authors)
    by_name = _names(client, "/authors", {**params, "sort": "name", "limit": 1})
    assert by_name == sorted(authors.items())
    body = client.get("/authors", params={**params, "total": "true", "limit": 1}).json()
    assert body["total"] == len(authors)
    body = client.get("/collections", params={**params, "total": "true"}).json()
    assert body["total"] == len(collections)


def test_authors_prefix(client: TestClient, archive: Archive) -> None:
    assert [n for n, _ in _names(client, "/authors", {"prefix": "水"})] == ["水星"]
    assert _names(client, "/authors", {"prefix": "无此"}) == []


def test_an_authors_articles_list_like_the_author_filter(
    client: TestClient, archive: Archive
) -> None:
    expected = walk(client, "/articles", {"author": "路德", "tag": "新闻"})
    assert expected
    assert walk(client, "/authors/路德/articles", {"tag": "新闻", "limit": 3}) == expected
    body = client.get("/authors/路德/articles", params={"total": "true", "facets": "author"}).json()
    assert body["total"] == len(walk(client, "/articles", {"author": "路德"}))
    assert body["facets"]["author"][0] == {"value": "路德", "count": body["total"]}


def test_an_unknown_author_is_404_and_a_second_author_422(
    client: TestClient, archive: Archive
) -> None:
    r = client.get("/authors/无名氏/articles")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    assert client.get("/authors/路德/articles", params={"author": "水星"}).status_code == 422
    assert client.get("/authors/路德/articles", params={"author": "路德"}).status_code == 200


def test_a_names_cursor_is_bound_to_its_list(client: TestClient, archive: Archive) -> None:
    first = client.get("/authors", params={"limit": 1}).json()
    r = client.get("/collections", params={"limit": 1, "cursor": first["next"]})
    assert r.status_code == 422
    r = client.get("/authors", params={"limit": 1, "sort": "name", "cursor": first["next"]})
    assert r.status_code == 422


def test_related_articles_weigh_rare_tags_most(client: TestClient) -> None:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    common = [("美国", "entity")]
    ids = add_articles(
        engine,
        [
            ArticleSpec(
                id="gnews-1",
                published_at=when(1),
                tags=[*common, ("罕见", "entity"), ("新闻", "meta")],
            ),
            ArticleSpec(id="gnews-2", published_at=when(2), tags=[*common, ("罕见", "entity")]),
            ArticleSpec(id="gnews-3", published_at=when(3), tags=common),
            ArticleSpec(id="gnews-4", published_at=when(4), tags=[("新闻", "meta")]),
            ArticleSpec(
                id="gnews-5", published_at=when(5), tags=[("罕见", "entity")], is_empty=True
            ),
        ]
        + [ArticleSpec(published_at=when(6), tags=common) for _ in range(5)]
        + [ArticleSpec(published_at=when(7)) for _ in range(10)],
    )
    r = client.get("/articles/gnews-1/related", params={"limit": 3})
    assert r.status_code == 200, r.text
    body = r.json()
    items = body["items"]
    # gnews-2 shares the rare tag too; the stub (gnews-5) is left out; meta tags do not count.
    ties = sorted(["gnews-3", *ids[5:10]])  # the same score: by id
    assert [i["id"] for i in items] == ["gnews-2", *ties[:2]]
    n = 20  # every article, stubs included
    rare, us = 3, 8  # articles carrying 罕见 and 美国

    assert items[0]["score"] == pytest.approx(math.log(n / rare) + math.log(n / us), abs=1e-3)
    assert items[0]["shared_tags"] == sorted(["罕见", "美国"])
    assert items[1]["score"] == pytest.approx(math.log(n / us), abs=1e-3)
    assert body["next"] is None
    assert client.get("/articles/gnews-4/related").json()["items"] == []
    etag = r.headers["etag"]
    again = client.get(
        "/articles/gnews-1/related", params={"limit": 3}, headers={"If-None-Match": etag}
    )
    assert again.status_code == 304


def test_related_reads_the_rarest_tags_within_its_budget(client_with_budget: TestClient) -> None:
    client = client_with_budget
    engine = client.app.state.engine  # type: ignore[attr-defined]
    add_articles(
        engine,
        [ArticleSpec(id="gnews-1", tags=[("常见", "entity"), ("罕见", "entity")])]
        + [ArticleSpec(tags=[("常见", "entity")]) for _ in range(6)]
        + [ArticleSpec(id="gnews-9", tags=[("罕见", "entity")])],
    )
    # A budget of 5 links reads 罕见 (1 other article) but not 常见 (6 others).
    assert [i["id"] for i in client.get("/articles/gnews-1/related").json()["items"]] == ["gnews-9"]


def test_related_of_an_unknown_article_is_404(client: TestClient) -> None:
    r = client.get("/articles/gnews-404/related")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
