"""GET /articles/{id}, GET /tags and GET /tags/{name}/articles."""

from fastapi.testclient import TestClient
from sqlalchemy import event

from api.conftest import Archive, walk
from api.factory import ArticleSpec, add_articles
from app.schemas import ArticlePublic, content_hash_of


def test_article_is_the_whole_public_document(client: TestClient, archive: Archive) -> None:
    r = client.get("/articles/gnews-0003")
    assert r.status_code == 200
    body = r.json()
    ArticlePublic.model_validate(body)
    assert body["id"] == "gnews-0003"
    assert body["body_markdown"] == "x" * 3000
    assert body["sections"][0]["text"] == "x" * 3000
    assert body["tags"] == [{"name": "美国", "kind": "entity"}]
    assert content_hash_of(body) == body["content_hash"]
    assert r.headers["etag"] == f'"{body["content_hash"]}"'
    assert r.headers["cache-control"] == "public, max-age=300"


def test_unknown_article_is_a_404_problem(client: TestClient, archive: Archive) -> None:
    r = client.get("/articles/gnews-999999999")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json() == {
        "type": "/problems/not-found",
        "title": "Not Found",
        "status": 404,
        "detail": "no article with id 'gnews-999999999'",
    }


def test_empty_stub_is_still_readable_by_id(client: TestClient, archive: Archive) -> None:
    r = client.get("/articles/gnews-stub-1")
    assert r.status_code == 200
    assert r.json()["is_empty"] is True


def test_tags_by_count_then_name_with_kinds(client: TestClient, archive: Archive) -> None:
    items = client.get("/tags", params={"limit": 200}).json()["items"]
    counts: dict[tuple[str, str], int] = {}
    for spec in archive.specs.values():
        for name, kind in spec.tags:
            counts[(name, kind)] = counts.get((name, kind), 0) + 1
    expected = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0][0], kv[0][1]))
    assert [(i["name"], i["kind"], i["count"]) for i in items] == [
        (name, kind, n) for (name, kind), n in expected
    ]


def test_tags_walk_by_name_prefix_and_kind(client: TestClient, archive: Archive) -> None:
    add_articles(
        client.app.state.engine,  # type: ignore[attr-defined]
        [ArticleSpec(tags=[(f"美{n:02d}", "entity"), (f"tag{n}", "meta")]) for n in range(15)],
    )
    names: list[tuple[str, str]] = []
    query: dict[str, object] = {"sort": "name", "limit": 4}
    while True:
        body = client.get("/tags", params=query).json()
        names += [(i["name"], i["kind"]) for i in body["items"]]
        if not body["next"]:
            break
        query["cursor"] = body["next"]
    assert names == sorted(names)
    assert len(names) == len(set(names)) == 15 * 2 + 4
    by_prefix = client.get("/tags", params={"prefix": "美", "sort": "name", "limit": 200}).json()
    expected = [("美国", "entity"), ("美国", "meta")] + [
        (f"美{n:02d}", "entity") for n in range(15)
    ]
    assert [(i["name"], i["kind"]) for i in by_prefix["items"]] == sorted(expected)
    metas = client.get("/tags", params={"kind": "meta", "limit": 200}).json()["items"]
    assert {i["kind"] for i in metas} == {"meta"} and len(metas) == 15 + 2
    # walking by count gives the same set, each once
    counted: list[tuple[str, str]] = []
    query = {"limit": 3}
    while True:
        body = client.get("/tags", params=query).json()
        counted += [(i["name"], i["kind"]) for i in body["items"]]
        if not body["next"]:
            break
        query["cursor"] = body["next"]
    assert sorted(counted) == names


def test_bad_tag_parameters_are_422(client: TestClient, archive: Archive) -> None:
    for params in ({"kind": "other"}, {"sort": "count"}, {"limit": 0}, {"prefix": "a\x00"}):
        r = client.get("/tags", params=params)
        assert r.status_code == 422, params
        assert r.headers["content-type"] == "application/problem+json"


def test_tag_articles_match_the_tag_filter(client: TestClient, archive: Archive) -> None:
    for sort in ("-published_at", "updated_at"):
        for tag in ("美国", "TikTok", "新闻"):
            got = walk(client, f"/tags/{tag}/articles", {"limit": 3, "sort": sort})
            assert got == archive.expected(sort, lambda s, t=tag: any(n == t for n, _ in s.tags))
            assert got == walk(client, "/articles", {"tag": tag, "limit": 5, "sort": sort})
    both = walk(client, "/tags/美国/articles", {"tag": "TikTok", "author": "水星"})
    assert both == archive.expected(
        keep=lambda s: {"美国", "TikTok"} <= {n for n, _ in s.tags} and "水星" in s.authors
    )
    trimmed = client.get("/tags/美国/articles", params={"fields": "title"}).json()["items"]
    assert all(set(i) == {"id", "title"} for i in trimmed)


def test_tag_with_a_slash_in_its_name(client: TestClient, archive: Archive) -> None:
    [article_id] = add_articles(
        client.app.state.engine,  # type: ignore[attr-defined]
        [ArticleSpec(tags=[("AC/DC", "entity")])],
    )
    assert walk(client, "/tags/AC%2FDC/articles") == [article_id]
    assert walk(client, "/tags/AC/DC/articles") == [article_id]


def test_unknown_tag_is_a_404_problem(client: TestClient, archive: Archive) -> None:
    r = client.get("/tags/no-such-tag/articles")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["detail"] == "no tag named 'no-such-tag'"


def test_a_page_of_20_costs_a_fixed_number_of_queries(client: TestClient, archive: Archive) -> None:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    statements: list[str] = []

    def count(_c: object, _cur: object, statement: str, *_a: object) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        small = client.get("/articles", params={"limit": 2})
        n_small = len(statements)
        statements.clear()
        large = client.get("/articles", params={"limit": 20})
        n_large = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(small.json()["items"]) == 2 and len(large.json()["items"]) == 20
    # the page's keys (two segments at most), its rows and their tags: no query per article
    assert n_small == n_large <= 4


def test_link_of_a_tag_page_is_percent_encoded_and_followable(
    client: TestClient, archive: Archive
) -> None:
    r = client.get("/tags/美国/articles", params={"limit": 2})
    link = r.headers["link"]
    assert link.startswith("</tags/%E7%BE%8E%E5%9B%BD/articles?") and link.endswith('rel="next"')
    following = client.get(link[1 : link.index(">")])
    assert following.status_code == 200
    expected = archive.expected(keep=lambda s: any(n == "美国" for n, _ in s.tags))
    assert [i["id"] for i in following.json()["items"]] == expected[2:4]
