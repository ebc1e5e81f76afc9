"""``include_text``: the text search covers travels with the feed and the export, on request."""

import json

from api.factory import ArticleSpec
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.db import unit_of_work
from app.search import SearchDocument, index_articles
from changes.feedkit import publish

FILE = "###  [:house:返回](README.md)\n\n# 标题\n\n正文第一段。\n\n[原文](https://gnews.org/1)\n"


def _two_articles(engine: Engine) -> tuple[str, str]:
    """One article indexed from its file, one by its title and body text only."""
    filed, plain = publish(engine, ArticleSpec(title="标题"), ArticleSpec(title="另一篇"))
    with unit_of_work(engine) as session:
        index_articles(session, [SearchDocument(filed, "标题", "正文第一段。", markdown=FILE)])
    return filed, plain


def test_changes_carry_the_searched_text_only_when_asked(
    client: TestClient, engine: Engine
) -> None:
    filed, plain = _two_articles(engine)

    asked = client.get("/changes", params={"include_docs": True, "include_text": True}).json()
    texts = {r["id"]: r["searched_text"] for r in asked["results"]}
    assert texts[plain] is None
    assert "返回" in texts[filed] and "正文第一段。" in texts[filed]
    assert "gnews.org" not in texts[filed] and "](" not in texts[filed]  # plain text only

    for params in ({"include_docs": True}, {"include_text": True}):
        results = client.get("/changes", params=params).json()["results"]
        assert all("searched_text" not in r for r in results)


def test_export_lines_carry_the_searched_text_only_when_asked(
    client: TestClient, engine: Engine
) -> None:
    filed, plain = _two_articles(engine)

    lines = [json.loads(x) for x in client.get("/export?include_text=true").text.splitlines()]
    *articles, trailer = lines
    texts = {a["id"]: a["searched_text"] for a in articles}
    assert texts[plain] is None and "返回" in texts[filed]
    assert set(trailer) == {"last_seq", "digest", "count", "revisions", "revisions_digest"}

    plain_lines = [json.loads(x) for x in client.get("/export").text.splitlines()]
    assert [{k: v for k, v in a.items() if k != "searched_text"} for a in articles] == plain_lines[
        :-1
    ]
    assert all("searched_text" not in a for a in plain_lines)
