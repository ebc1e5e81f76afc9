"""The writes SQL cannot say once (app/db.py) do the same on both databases."""

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from app.articles.mapping import TABLES
from app.db import copy_rows, insert_ignoring_conflicts, unit_of_work
from app.models import utcnow

TAG = TABLES["tag"]
ARTICLE = TABLES["article"]


def _tags(engine: Engine) -> list[tuple[str, str, int]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(TAG.c.name, TAG.c.kind, TAG.c.article_count).order_by(TAG.c.name)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def test_copy_rows_writes_every_row(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        copy_rows(session, TAG, [])
        copy_rows(
            session,
            TAG,
            [{"name": f"标签{n}", "kind": "meta", "article_count": n} for n in range(3)],
        )
    assert _tags(engine) == [("标签0", "meta", 0), ("标签1", "meta", 1), ("标签2", "meta", 2)]


def test_copy_rows_raises_sqlalchemys_error_on_both(engine: Engine) -> None:
    row = {"name": "同名", "kind": "meta", "article_count": 0}
    with pytest.raises(IntegrityError), unit_of_work(engine) as session:
        copy_rows(session, TAG, [row, row])
    assert _tags(engine) == []


def test_copy_rows_writes_json_columns_as_json(engine: Engine) -> None:
    article = {
        "id": "gnews/1",
        "path": "content/gnews/1.md",
        "collection": "gnews",
        "authors": ["路德", "Bannon"],
        "lacks": ["summary"],
        "is_empty": False,
        "body_markdown": "",
        "body_text": "",
        "content_hash": "h",
        "source_hash": "s",
        "size_bytes": 1,
        "created_at": utcnow(),
        "updated_at": utcnow(),
    }
    with unit_of_work(engine) as session:
        copy_rows(session, ARTICLE, [article])
    with engine.connect() as conn:
        authors, lacks = conn.execute(select(ARTICLE.c.authors, ARTICLE.c.lacks)).one()
    assert (authors, lacks) == (["路德", "Bannon"], ["summary"])


def test_insert_ignoring_conflicts_keeps_what_exists(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        copy_rows(session, TAG, [{"name": "旧", "kind": "meta", "article_count": 5}])
    values = [
        {"name": "旧", "kind": "meta", "article_count": 0},
        {"name": "新", "kind": "meta", "article_count": 0},
        {"name": "旧", "kind": "entity", "article_count": 0},
    ]
    with unit_of_work(engine) as session:
        insert_ignoring_conflicts(session, TAG, [], index_elements=["name", "kind"])
        insert_ignoring_conflicts(session, TAG, values, index_elements=["name", "kind"])
    assert sorted(_tags(engine)) == [("新", "meta", 0), ("旧", "entity", 0), ("旧", "meta", 5)]
