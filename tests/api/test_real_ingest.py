"""The read API over articles stored by the real ingest (a slice of the corpus sample)."""

import shutil
from collections import Counter
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import Session

from api.conftest import walk
from app.ingest import ingest
from app.models import Article, ArticleTag, Tag
from app.schemas import content_hash_of

# Every kind of file of the sample, a few of each, so the test stays quick.
PER_FOLDER = 8


def _slice_of_sample(sample_dir: Path, into: Path) -> Path:
    by_folder: dict[Path, list[Path]] = {}
    for path in sorted(sample_dir.rglob("*.md")):
        by_folder.setdefault(path.parent, []).append(path)
    for paths in by_folder.values():
        for path in paths[:PER_FOLDER]:
            target = into / path.relative_to(sample_dir)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    return into


@pytest.fixture
def ingested(client: TestClient, sample_dir: Path, tmp_path: Path) -> TestClient:
    """The app, over a database holding a slice of the sample, stored by ``ingest``."""
    folder = _slice_of_sample(sample_dir, tmp_path / "corpus")
    report = ingest(client.app.state.engine, folder)  # type: ignore[attr-defined]
    assert report.failed == []
    return client


def test_walks_and_documents_over_ingested_articles(ingested: TestClient) -> None:
    _walks_return_every_stored_article_once(ingested)
    _served_documents_hash_to_their_stored_content_hash(ingested)


def _walks_return_every_stored_article_once(ingested: TestClient) -> None:
    engine = ingested.app.state.engine  # type: ignore[attr-defined]
    with Session(engine) as session:
        listed = set(session.scalars(select(Article.id).where(Article.is_empty.is_(False))))  # type: ignore[attr-defined]
        every = set(session.scalars(select(Article.id)))
        tag_counts = Counter(
            name
            for (name,) in session.execute(
                select(Tag.name)
                .join(ArticleTag, ArticleTag.tag_id == Tag.id)  # type: ignore[arg-type]
                .join(Article, Article.id == ArticleTag.article_id)  # type: ignore[arg-type]
                .where(Article.is_empty.is_(False))  # type: ignore[attr-defined]
            )
        )
    assert len(listed) > 100
    for sort in ("-published_at", "published_at", "-updated_at"):
        assert set(walk(ingested, "/articles", {"limit": 13, "sort": sort})) == listed
    assert set(walk(ingested, "/articles", {"limit": 200, "include_empty": "true"})) == every
    for name, count in tag_counts.most_common(3):
        got = walk(ingested, f"/tags/{name}/articles", {"limit": 5})
        assert len(got) == len(set(got)) == count, name


def _served_documents_hash_to_their_stored_content_hash(ingested: TestClient) -> None:
    ids = walk(ingested, "/articles", {"limit": 200, "include_empty": "true", "fields": "id"})
    for article_id in ids:
        r = ingested.get(f"/articles/{article_id}")
        assert r.status_code == 200
        body = r.json()
        assert content_hash_of(body) == body["content_hash"], article_id
        assert r.headers["etag"] == f'"{body["content_hash"]}"'
    with Session(ingested.app.state.engine) as session:  # type: ignore[attr-defined]
        assert session.scalar(select(func.count()).select_from(Article)) == len(ids)
