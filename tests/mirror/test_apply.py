"""Applying a page of the origin's feed: the round trip of documents, and failing whole."""

import pytest
from api.factory import ArticleSpec
from changes.feedkit import publish
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.db import make_engine, snapshot_session
from app.feed import archive_digest
from app.mirror.sync import apply_page, mirror_position
from app.models import Change, MirrorState, Tag
from app.queries.articles import load_articles

ORIGIN = "http://origin.test"


@pytest.fixture
def mirror_engine(database_url: str) -> Engine:
    engine = make_engine(database_url)
    yield engine  # type: ignore[misc]
    engine.dispose()


def _documents(engine: Engine, ids: list[str]) -> list[dict[str, object]]:
    with Session(engine) as session:
        return [a.model_dump(mode="json") for a in load_articles(session, ids)]


def _page(docs: list[dict[str, object]], deletes: list[str], last_seq: int) -> dict[str, object]:
    results: list[dict[str, object]] = [
        {"seq": n, "id": d["id"], "op": "upsert", "content_hash": d["content_hash"], "article": d}
        for n, d in enumerate(docs, 1)
    ]
    results += [
        {"seq": 100 + n, "id": i, "op": "delete", "content_hash": None}
        for n, i in enumerate(deletes)
    ]
    return {"results": results, "last_seq": last_seq}


def _state(engine: Engine) -> tuple[object, ...]:
    with snapshot_session(engine) as session:
        digest = archive_digest(session)
    with Session(engine) as session:
        return (
            digest,
            session.scalar(select(func.count()).select_from(Change)),
            session.scalars(select(Tag.name, Tag.article_count).order_by(Tag.name)).all(),
            session.scalars(select(MirrorState.last_seq)).all(),
        )


def test_applied_documents_read_back_exactly_and_tags_are_counted(
    origin_engine: Engine, mirror_engine: Engine
) -> None:
    ids = publish(
        origin_engine,
        *[
            ArticleSpec(authors=["水星"], tags=[("美国", "meta"), ("台湾", "entity")])
            for _ in range(3)
        ],
    )
    docs = _documents(origin_engine, ids)

    done = apply_page(mirror_engine, ORIGIN, _page(docs, [], 3))

    assert (done.upserted, done.unchanged) == (3, 0)
    assert _documents(mirror_engine, ids) == docs
    assert mirror_position(mirror_engine, ORIGIN) == 3
    with Session(mirror_engine) as session:
        assert dict(session.execute(select(Tag.name, Tag.article_count)).all()) == {
            "美国": 3,
            "台湾": 3,
        }

    again = apply_page(mirror_engine, ORIGIN, _page(docs[1:], [ids[0]], 9))
    assert (again.upserted, again.unchanged, again.deleted) == (0, 2, 1)
    with Session(mirror_engine) as session:
        assert dict(session.execute(select(Tag.name, Tag.article_count)).all()) == {
            "美国": 2,
            "台湾": 2,
        }
        # 3 upserts, then 1 delete: an unchanged document records no change.
        assert session.scalar(select(func.count()).select_from(Change)) == 3
        assert session.scalar(select(func.max(Change.seq))) == 4


@pytest.mark.parametrize("break_it", ["no document", "bad document"])
def test_a_failing_page_leaves_the_store_exactly_as_it_was(
    origin_engine: Engine, mirror_engine: Engine, break_it: str
) -> None:
    ids = publish(origin_engine, *[ArticleSpec(tags=[("美国", "meta")]) for _ in range(4)])
    docs = _documents(origin_engine, ids)
    apply_page(mirror_engine, ORIGIN, _page(docs[:2], [], 2))
    before = _state(mirror_engine)

    page = _page(docs[2:], [ids[0]], 7)
    results = page["results"]
    assert isinstance(results, list)
    if break_it == "no document":
        del results[1]["article"]
    else:
        del results[1]["article"]["path"]
    with pytest.raises((ValueError, KeyError)):
        apply_page(mirror_engine, ORIGIN, page)

    assert _state(mirror_engine) == before
