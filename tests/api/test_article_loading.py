"""get_article / load_articles: the whole public document, batched, in the order asked."""

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.factory import ArticleSpec, add_articles, when
from app.errors import NotFound
from app.queries.articles import get_article, load_articles
from app.schemas import content_hash_of


def test_get_article_returns_every_part(engine: Engine) -> None:
    [article_id] = add_articles(
        engine,
        [
            ArticleSpec(
                title="标题",
                published_at=when(4, 8),
                authors=["水星", "澳洲雅典娜农场"],
                tags=[("美国", "entity"), ("TikTok", "entity"), ("新闻", "meta")],
                body="第一段。",
            )
        ],
    )
    with Session(engine) as session:
        article = get_article(session, article_id=article_id)
    assert article.id == article_id
    assert article.title == "标题"
    assert article.published_at == when(4, 8)
    assert article.authors == ["水星", "澳洲雅典娜农场"]
    assert [(b.role, b.name) for b in article.bylines] == [
        ("author", "水星"),
        ("author", "澳洲雅典娜农场"),
    ]
    # by kind (entity before meta), then by name, in code-point order: as the ingest hashes
    assert [(t.kind, t.name) for t in article.tags] == [
        ("entity", "TikTok"),
        ("entity", "美国"),
        ("meta", "新闻"),
    ]
    assert [s.text for s in article.sections] == ["第一段。"]
    assert [link.url for link in article.links] == ["https://example.org/"]
    assert [i.caption for i in article.images] == ["图"]
    assert article.body_markdown == "第一段。"
    assert article.content_hash == content_hash_of(article.model_dump(mode="json"))


def test_get_article_unknown_id_is_not_found(engine: Engine) -> None:
    with Session(engine) as session, pytest.raises(NotFound):
        get_article(session, article_id="gnews-does-not-exist")


def test_load_articles_keeps_order_skips_unknown_and_batches(engine: Engine) -> None:
    ids = add_articles(
        engine, [ArticleSpec(tags=[("t", "meta")], authors=["a"]) for _ in range(30)]
    )
    asked = [ids[5], "gnews-missing", ids[0], ids[29], ids[5]]
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        with Session(engine) as session:
            loaded = load_articles(session, asked)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert [a.id for a in loaded] == [ids[5], ids[0], ids[29]]
    # the stored documents, in one query: none per article, no parts rebuilt
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1


def test_load_articles_of_nothing_is_empty(engine: Engine) -> None:
    with Session(engine) as session:
        assert load_articles(session, []) == []
        assert load_articles(session, ["nope"]) == []
