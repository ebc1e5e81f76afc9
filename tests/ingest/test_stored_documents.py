"""Stored documents: for every sample article, the bytes a read serves are the document its
rows make, on both databases, after an ingest, after a mirror's apply and after migration 0007."""

from pathlib import Path

import orjson
from alembic import command
from sqlalchemy import delete, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.articles.mapping import document_of, load_stored
from app.articles.stored import DOCUMENT, rebuild_documents
from app.config import Settings
from app.db import unit_of_work
from app.ingest import ingest
from app.migrate import alembic_config, upgrade_to_head
from app.models import Article
from app.queries.articles import documents, summaries
from app.schemas import ArticlePublic, ArticleSummary, content_hash_of


def _every_document_is_its_rows(engine: Engine) -> int:
    with Session(engine) as session:
        ids = list(session.scalars(select(Article.id)))
        stored = documents(session, ids)
        stored_summaries = summaries(session, ids)
        rows = load_stored(session, ids)
    assert set(stored) == set(ids) == set(stored_summaries)
    for article_id in ids:
        built = document_of(rows[article_id])
        served = orjson.loads(stored[article_id])
        assert served == built, article_id
        # Both are what the public models say, and the hash is the hash of what is served.
        assert ArticlePublic.model_validate(served).model_dump(mode="json") == served
        assert content_hash_of(served) == served["content_hash"]
        summary = orjson.loads(stored_summaries[article_id])
        assert summary == {k: served[k] for k in ArticleSummary.model_fields}
    return len(ids)


def _ingest_the_sample(
    engine: Engine, settings: Settings, sample_dir: Path
) -> tuple[list[str], dict[str, bytes]]:
    ingest(engine, sample_dir, settings=settings, workers=0)
    with Session(engine) as session:
        ids = list(session.scalars(select(Article.id)))
        return ids, documents(session, ids)


def test_stored_documents_equal_the_documents_their_rows_make(
    engine: Engine, settings: Settings, sample_dir: Path
) -> None:
    report = ingest(engine, sample_dir, settings=settings, workers=0)
    assert report.failed == []
    assert _every_document_is_its_rows(engine) == len(report.added)


def test_rebuilding_the_documents_gives_the_same_bytes(
    engine: Engine, settings: Settings, sample_dir: Path
) -> None:
    # What migration 0007 does for a database written before documents were stored.
    ids, before = _ingest_the_sample(engine, settings, sample_dir)
    with unit_of_work(engine) as session:
        session.execute(delete(DOCUMENT))
    with unit_of_work(engine) as session:
        assert rebuild_documents(session, ids) == len(ids)
    with Session(engine) as session:
        assert documents(session, ids) == before


def test_migration_0007_fills_the_documents_of_an_older_database(
    engine: Engine, settings: Settings, sample_dir: Path
) -> None:
    ids, before = _ingest_the_sample(engine, settings, sample_dir)
    url = engine.url.render_as_string(hide_password=False)
    engine.dispose()
    command.downgrade(alembic_config(url), "0006")  # the schema before stored documents
    upgrade_to_head(url)
    with Session(engine) as session:
        assert documents(session, ids) == before
    assert _every_document_is_its_rows(engine) == len(ids)
