"""A mirror's apply keeps ``article_tally`` equal to its articles (upserts, moves, deletes)."""

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from api.factory import ArticleSpec, when
from changes.feedkit import publish, retitle
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col
from writes.tally import assert_tally_right, tally_of_articles

from app.db import make_engine, unit_of_work
from app.mirror.sync import apply_page
from app.models import Article
from app.queries.articles import load_articles

ORIGIN = "http://origin.test"


@pytest.fixture
def mirror_engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def _upserts(engine: Engine, ids: list[str], first_seq: int) -> list[dict[str, object]]:
    with Session(engine) as session:
        docs = [a.model_dump(mode="json") for a in load_articles(session, ids)]
    return [
        {
            "seq": first_seq + n,
            "id": d["id"],
            "op": "upsert",
            "content_hash": d["content_hash"],
            "article": d,
        }
        for n, d in enumerate(docs)
    ]


def test_apply_keeps_the_tally(origin_engine: Engine, mirror_engine: Engine) -> None:
    ids = publish(
        origin_engine,
        ArticleSpec(published_at=when(1)),
        ArticleSpec(published_at=when(2)),
        ArticleSpec(published_at=None, collection="transcript"),
        ArticleSpec(published_at=when(3), is_empty=True),
    )
    apply_page(mirror_engine, ORIGIN, {"results": _upserts(origin_engine, ids, 1), "last_seq": 4})
    assert_tally_right(mirror_engine)
    assert tally_of_articles(mirror_engine)[("gnews", 2024, 3, False)] == 2

    with unit_of_work(origin_engine) as session:  # moved to May 2020 at the origin
        session.execute(
            update(Article)
            .where(col(Article.id) == ids[0])
            .values(published_at=datetime(2020, 5, 1, tzinfo=UTC))
        )
    retitle(origin_engine, ids[0], "移到二〇二〇年")  # rehashes and rebuilds the documents
    moved = _upserts(origin_engine, ids[:1], 5)
    delete = {"seq": 6, "id": ids[2], "op": "delete", "content_hash": None}
    apply_page(mirror_engine, ORIGIN, {"results": [*moved, delete], "last_seq": 6})
    assert_tally_right(mirror_engine)
    assert tally_of_articles(mirror_engine)[("gnews", 2020, 5, False)] == 1
