"""GET /articles: every parameter, the page shape, Link, and exact-once walks."""

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from api.conftest import Archive, walk
from api.factory import ArticleSpec, add_articles, when

SORTS = ["-published_at", "published_at", "-updated_at", "updated_at"]


def test_default_page_is_20_newest_first_without_stubs(
    client: TestClient, archive: Archive
) -> None:
    r = client.get("/articles")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"items", "next"}
    assert [i["id"] for i in body["items"]] == archive.expected()[:20]
    assert body["next"] is not None
    item = body["items"][0]
    assert set(item) == {
        "id",
        "path",
        "collection",
        "title",
        "summary",
        "published_at",
        "authors",
        "tags",
        "source",
        "first_seen_at",
        "last_seen_at",
        "in_head",
        "content_hash",
        "updated_at",
    }
    assert "body_markdown" not in item


@pytest.mark.parametrize("sort", SORTS)
def test_walk_returns_each_article_once_in_order(
    client: TestClient, archive: Archive, sort: str
) -> None:
    for limit in (1, 7, 200):
        assert walk(client, "/articles", {"sort": sort, "limit": limit}) == archive.expected(sort)


def test_undated_articles_come_last_newest_first_and_first_oldest_first(
    client: TestClient, archive: Archive
) -> None:
    newest = walk(client, "/articles", {"limit": 200})
    oldest = walk(client, "/articles", {"limit": 200, "sort": "published_at"})
    undated = {"gnews-0001", "gnews-0002", "article-x"}
    assert set(newest[-3:]) == undated
    assert set(oldest[:3]) == undated
    # ties in time are broken by id, in the direction of the sort
    assert newest[-3:] == sorted(undated, reverse=True)
    assert oldest[:3] == sorted(undated)


@pytest.mark.parametrize("sort", SORTS)
def test_walk_is_exact_once_while_articles_arrive(
    client: TestClient, archive: Archive, sort: str
) -> None:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    query: dict[str, object] = {"sort": sort, "limit": 4}
    seen: list[str] = []
    for page in range(100):
        body = client.get("/articles", params=query).json()
        seen += [i["id"] for i in body["items"]]
        # new articles before, inside and after the part already walked; undated ones too
        add_articles(
            engine,
            [
                ArticleSpec(
                    id=f"gnews-new-{page}-a",
                    published_at=when(1, 1),
                    updated_at=datetime(2020, 1, 1, tzinfo=UTC),
                ),
                ArticleSpec(
                    id=f"gnews-new-{page}-b",
                    published_at=when(28),
                    updated_at=datetime(2030, 1, 1, tzinfo=UTC),
                ),
                ArticleSpec(id=f"gnews-new-{page}-c", published_at=None),
            ],
        )
        if body["next"] is None:
            break
        query["cursor"] = body["next"]
    assert len(seen) == len(set(seen))
    original = archive.expected(sort)
    assert [i for i in seen if i in archive.specs] == original


FILTER_CASES = [
    ({"tag": "美国"}, lambda s: any(n == "美国" for n, _ in s.tags)),
    ({"tag": ["美国", "TikTok"]}, lambda s: {"美国", "TikTok"} <= {n for n, _ in s.tags}),
    ({"tag": ["美国", "新闻"]}, lambda s: {"美国", "新闻"} <= {n for n, _ in s.tags}),
    ({"tag": "no-such-tag"}, lambda s: False),
    ({"collection": "transcript"}, lambda s: s.collection == "transcript"),
    ({"author": "路德"}, lambda s: "路德" in s.authors),
    (
        {"author": "水星", "collection": "gnews"},
        lambda s: "水星" in s.authors and s.collection == "gnews",
    ),
    (
        {"published_after": "2024-03-05T00:00:00Z"},
        lambda s: s.published_at is not None and s.published_at >= when(5),
    ),
    (
        {"published_before": "2024-03-05T09:00:00+00:00"},
        lambda s: s.published_at is not None and s.published_at < when(5, 9),
    ),
    (
        {
            "published_after": "2024-03-03",
            "published_before": "2024-03-06T10:00:00+02:00",
            "tag": "美国",
        },
        lambda s: (
            s.published_at is not None
            and when(3) <= s.published_at < when(6, 8)
            and any(n == "美国" for n, _ in s.tags)
        ),
    ),
]


@pytest.mark.parametrize("sort", ["-published_at", "updated_at"])
def test_filters_combine(client: TestClient, archive: Archive, sort: str) -> None:
    for params, keep in FILTER_CASES:
        got = walk(client, "/articles", {**params, "sort": sort, "limit": 3})
        assert got == archive.expected(sort, keep), params  # type: ignore[arg-type]


def test_include_empty_lists_stubs(client: TestClient, archive: Archive) -> None:
    with_stubs = walk(client, "/articles", {"include_empty": "true", "limit": 200})
    assert with_stubs == archive.expected(include_empty=True)
    assert {"gnews-stub-1", "gnews-stub-2"} <= set(with_stubs)
    assert "gnews-stub-1" not in walk(client, "/articles", {"limit": 200})


def test_fields_trims_items_and_keeps_id(client: TestClient, archive: Archive) -> None:
    r = client.get("/articles", params={"fields": "title,published_at", "limit": 2})
    assert r.status_code == 200
    for item in r.json()["items"]:
        assert set(item) == {"id", "title", "published_at"}
    r = client.get(
        "/articles", params=[("fields", "tags"), ("fields", "source,collection"), ("limit", "2")]
    )
    assert all(set(i) == {"id", "tags", "source", "collection"} for i in r.json()["items"])
    full = client.get("/articles", params={"limit": 2}).json()["items"]
    assert r.json()["items"][0]["tags"] == full[0]["tags"]


def test_link_header_points_at_the_next_page_with_the_same_parameters(
    client: TestClient, archive: Archive
) -> None:
    r = client.get("/articles", params=[("tag", "美国"), ("limit", "2"), ("sort", "published_at")])
    link = r.headers["link"]
    assert link.endswith('>; rel="next"') and link.startswith("</articles?")
    url = link[1 : link.index(">")]
    assert "tag=%E7%BE%8E%E5%9B%BD" in url and "sort=published_at" in url and "limit=2" in url
    assert f"cursor={r.json()['next']}" in url
    following = client.get(url)
    assert following.status_code == 200
    expected = archive.expected("published_at", lambda s: any(n == "美国" for n, _ in s.tags))
    assert [i["id"] for i in following.json()["items"]] == expected[2:4]


BAD_PARAMETERS = [
    {"limit": 0},
    {"limit": 201},
    {"limit": "ten"},
    {"sort": "title"},
    {"sort": "-id"},
    {"published_after": "yesterday"},
    {"published_before": "2024-13-01"},
    {"fields": "title,body_text"},
    {"fields": "nope"},
    {"include_empty": "maybe"},
    {"tag": ["a"] * 11},
    {"collection": "x" * 301},
    {"author": "a\x00b"},
    {"published_after": "0001-01-01T00:00:00+05:00"},
]


@pytest.mark.parametrize("url", ["/articles", "/tags/美国/articles"])
def test_bad_parameters_are_422_problems(client: TestClient, archive: Archive, url: str) -> None:
    for params in BAD_PARAMETERS:
        r = client.get(url, params=params)
        assert r.status_code == 422, (params, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        body = r.json()
        assert body["status"] == 422 and body["title"] and body["detail"] and body["type"]
