"""What comes back: ranking, snippets on the original text, filters with q, pages, totals."""

from typing import Any

from api.factory import when
from fastapi.testclient import TestClient

from app.search.folding import fold
from search.conftest import Doc


def search(client: TestClient, **params: Any) -> dict[str, Any]:
    """The JSON of one /search page."""
    response = client.get("/search", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_snippet_highlights_cover_the_original_characters(
    client: TestClient, index: Any
) -> None:
    body = "前言……" + "无关的话。" * 40 + "郭文貴先生與ＢＡＮＮＯＮ對談。" + "结尾。" * 40
    [article] = index([Doc("郭文貴與班農", body)])
    [hit] = search(client, q="郭文贵 bannon")["items"]
    assert hit["id"] == article
    fields = [s["field"] for s in hit["snippets"]]
    assert fields[0] == "title" and "body" in fields
    seen = []
    for snippet in hit["snippets"]:
        text = snippet["text"]
        assert snippet["highlights"]
        for start, end in snippet["highlights"]:
            assert 0 <= start < end <= len(text)
            seen.append(text[start:end])
            assert fold(text[start:end]) in ("郭文贵", "bannon")
        assert text.replace(" ", "") in (body + "郭文貴與班農").replace(" ", "")
    assert "ＢＡＮＮＯＮ" in seen and "郭文貴" in seen  # the original spelling, not the folded


def test_title_matches_rank_above_body_only_matches(client: TestClient, index: Any) -> None:
    ids = index(
        [
            Doc("普通的标题", "气候 " * 50),  # many body matches
            Doc("气候变化", "一次提到。"),  # title match, little body
            Doc("另一个", "气候 和 气候"),
        ]
    )
    items = search(client, q="气候")["items"]
    assert [i["id"] for i in items][0] == ids[1]
    assert items[0]["score"] > items[1]["score"] >= items[2]["score"]
    assert items[1]["id"] == ids[0]  # more matches, better BM25 among body-only hits


def test_every_articles_filter_combines_with_q(client: TestClient, index: Any) -> None:
    ids = index(
        [
            Doc("美国新闻", "关于芯片", collection="gnews", published_at=when(1),
                authors=["水星"], tags=[("美国", "entity")]),
            Doc("美国访谈", "关于芯片", collection="transcript", published_at=when(10),
                authors=["路德"], tags=[("美国", "entity"), ("访谈", "meta")]),
            Doc("无日期", "关于芯片", collection="gnews", tags=[("访谈", "meta")]),
            Doc("不相关", "关于别的", collection="gnews", published_at=when(5),
                tags=[("美国", "entity")]),
        ]
    )

    def found(**params: Any) -> list[str]:
        return sorted(i["id"] for i in search(client, q="芯片", **params)["items"])

    assert found() == sorted(ids[:3])
    assert found(collection="transcript") == [ids[1]]
    assert found(tag="美国") == sorted(ids[:2])
    assert found(tag=["美国", "访谈"]) == [ids[1]]
    assert found(author="水星") == [ids[0]]
    assert found(published_after="2024-03-05T00:00:00Z") == [ids[1]]
    assert found(published_before="2024-03-05T00:00:00Z") == [ids[0]]
    assert search(client, q="芯片", tag="访谈")["total"] == 2


def _walk(client: TestClient, **params: Any) -> tuple[list[str], list[int]]:
    seen: list[str] = []
    totals: list[int] = []
    cursor = None
    while True:
        page = search(client, **params, **({"cursor": cursor} if cursor else {}))
        seen += [item["id"] for item in page["items"]]
        totals.append(page["total"])
        cursor = page["next"]
        if cursor is None:
            return seen, totals


def test_pages_walk_every_hit_once_in_each_order(client: TestClient, index: Any) -> None:
    docs = [
        Doc(f"第{n}篇", "民主 " * (1 + n % 4), published_at=None if n % 5 == 0 else when(1 + n % 7))
        for n in range(23)
    ] + [Doc("民主之声", "民主")]
    ids = index(docs + [Doc("无关", "没有那个词")])
    expected = sorted(ids[:24])
    for sort in ("relevance", "-published_at", "published_at", "-updated_at", "updated_at"):
        seen, totals = _walk(client, q="民主", limit=5, sort=sort)
        assert sorted(seen) == expected, sort
        assert len(seen) == len(set(seen)) == 24
        assert set(totals) == {24}
    relevance, _ = _walk(client, q="民主", limit=5)
    assert relevance[0] == ids[23]  # the title match comes first
    newest, _ = _walk(client, q="民主", limit=7, sort="-published_at")
    dated = [docs[ids.index(i)].published_at for i in newest]
    known = [d for d in dated if d is not None]
    assert known == sorted(known, reverse=True)
    assert dated[len(known):] == [None] * (len(dated) - len(known))  # undated last


def test_cursor_belongs_to_its_query(client: TestClient, index: Any) -> None:
    index([Doc(f"文{n}", "自由 平等") for n in range(5)])
    page = search(client, q="自由", limit=2)
    assert page["next"] is not None
    assert search(client, q="自由", limit=2, cursor=page["next"])["items"]
    for other in ({"q": "平等"}, {"q": "自由", "sort": "-published_at"}, {"q": "自由", "tag": "x"}):
        response = client.get("/search", params={**other, "limit": 2, "cursor": page["next"]})
        assert response.status_code == 422, other
    tampered = page["next"][:-2] + ("AA" if not page["next"].endswith("AA") else "BB")
    assert client.get("/search", params={"q": "自由", "cursor": tampered}).status_code == 422


def test_total_is_exact_beyond_the_page(client: TestClient, index: Any) -> None:
    index([Doc(f"篇{n}", "法治" if n % 3 else "别的") for n in range(30)])
    page = search(client, q="法治", limit=3)
    assert len(page["items"]) == 3
    assert page["total"] == 20
    assert search(client, q="法治", limit=3, cursor=page["next"])["total"] == 20


def _ranked(client: TestClient, limit: int, **params: Any) -> tuple[list[Any], list[int]]:
    """Every hit as (id, score) in page order, walking pages of ``limit``, and each total."""
    seen: list[Any] = []
    totals: list[int] = []
    cursor = None
    while True:
        page = search(client, limit=limit, **params, **({"cursor": cursor} if cursor else {}))
        seen += [(item["id"], item["score"]) for item in page["items"]]
        totals.append(page["total"])
        cursor = page["next"]
        if cursor is None:
            return seen, totals


def test_pages_the_title_hits_fill_rank_as_one_page_of_every_hit(
    client: TestClient, index: Any
) -> None:
    # Small pages are filled by the title hits alone (scored apart on SQLite) until they run
    # out; one page of 100 scores every hit. Stub hits (empty articles) count only when asked.
    ids = index(
        [Doc(f"人权报告{n}", "人权 " * (1 + n % 3) + "正文。" * n) for n in range(7)]
        + [Doc(f"第{n}篇", "人权 " * (1 + n % 4) + "别的。" * n) for n in range(6)]
        + [Doc(f"人权档案{n}", "", is_empty=True) for n in range(3)]
        + [Doc("人权访谈", "人权", collection="transcript"), Doc("无关", "别的")]
    )
    for params in ({}, {"include_empty": "true"}, {"collection": "gnews"}):
        [(every, [total])] = [_ranked(client, 100, q="人权", **params)]
        assert [score for _, score in every] == sorted((s for _, s in every), reverse=True)
        assert total == len(every) == len({i for i, _ in every})
        for limit in (2, 3):
            paged, totals = _ranked(client, limit, q="人权", **params)
            assert paged == every, (params, limit)
            assert set(totals) == {total}
    stubs = set(ids[13:16])
    assert stubs <= {i for i, _ in _ranked(client, 100, q="人权", include_empty="true")[0]}
    assert not stubs & {i for i, _ in _ranked(client, 100, q="人权")[0]}
    assert search(client, q="人权", limit=2)["total"] == 14


def test_snippet_of_a_match_deep_in_a_long_text(client: TestClient, index: Any) -> None:
    body = "无关的话。" * 30000 + "终于找到鳳凰。"  # about 450 KB: past the first look
    [article] = index([Doc("长文", body)])
    [hit] = search(client, q="凤凰")["items"]
    assert hit["id"] == article
    [snippet] = hit["snippets"]
    [(start, end)] = snippet["highlights"]
    assert snippet["text"][start:end] == "鳳凰"
