"""The whole corpus sample (~1,100 files of every format) on both databases, run twice."""

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.config import Settings
from app.ingest import ingest
from app.models import Article, IndexEntry
from app.queries.articles import load_articles
from app.schemas import content_hash_of
from ingest.corpus_kit import dump, feed_rows, tag_counts_in_step

INDEX_PAGES = {"content/gnews/README.md", "content/gettr/README.md"}
STUB = "content/transcript/2019/03/20190305-1092684.md"


def test_sample_ingests_whole_and_a_second_run_changes_nothing(
    engine: Engine, settings: Settings, sample_dir: Path
) -> None:
    files = [p for p in sample_dir.rglob("*") if p.is_file()]
    first = ingest(engine, sample_dir, settings=settings, workers=2)

    assert first.failed == []
    assert first.files == len(files)
    assert first.index_pages == len(INDEX_PAGES)
    assert len(first.added) == len(files) - len(INDEX_PAGES)
    with Session(engine) as session:
        stored = {a.path: a for a in session.scalars(select(Article))}
        entries = session.scalars(select(IndexEntry)).all()
        served = load_articles(session, [a.id for a in stored.values()])
    assert len(stored) == len(files) - len(INDEX_PAGES)
    assert not INDEX_PAGES & set(stored)
    assert all(p.startswith(("content/", "gnews-slot-copies/")) for p in stored)
    assert len(entries) > 50
    if (sample_dir / STUB).exists():
        assert stored[STUB].is_empty
    assert sum(a.is_empty for a in stored.values()) > 10
    # The stored hash is the hash of what GET /articles/{id} serves.
    for article in served:
        assert content_hash_of(article.model_dump(mode="json")) == article.content_hash
    assert tag_counts_in_step(engine)

    before = dump(engine)
    feed_before = feed_rows(engine)
    second = ingest(engine, sample_dir, settings=settings, workers=2)
    assert (len(second.added), len(second.updated), len(second.deleted), second.failed) == (
        0,
        0,
        0,
        [],
    )
    assert second.unchanged == len(stored)
    assert feed_rows(engine) == feed_before
    assert dump(engine) == before
