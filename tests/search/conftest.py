"""Articles for the search tests: written into the tables and indexed as the ingest would."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import pytest
from api.factory import ArticleSpec, add_article
from sqlalchemy.engine import Engine

from app.db import unit_of_work
from app.search import SearchDocument, index_articles


@dataclass
class Doc:
    """A test article: its title and text, and optionally the whole file as markdown."""

    title: str
    body: str
    markdown: str | None = None
    collection: str = "gnews"
    published_at: datetime | None = None
    authors: list[str] = field(default_factory=list)
    tags: list[tuple[str, str]] = field(default_factory=list)
    is_empty: bool = False


def add_docs(engine: Engine, docs: Sequence[Doc]) -> list[str]:
    """Inserts and indexes ``docs`` in one transaction; returns their ids in order."""
    with unit_of_work(engine) as session:
        ids = [
            add_article(
                session,
                ArticleSpec(
                    title=d.title,
                    body=d.body,
                    collection=d.collection,
                    published_at=d.published_at,
                    authors=d.authors,
                    tags=d.tags,
                    is_empty=d.is_empty,
                ),
            )
            for d in docs
        ]
        index_articles(
            session,
            [
                SearchDocument(id=i, title=d.title, body_text=d.body, markdown=d.markdown)
                for i, d in zip(ids, docs, strict=True)
            ],
        )
    return ids


@pytest.fixture
def index(engine: Engine) -> object:
    """``index(docs)``: adds and indexes articles on the test's database."""
    return lambda docs: add_docs(engine, docs)
