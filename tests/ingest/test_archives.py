"""Archives (.tar.xz, .tar.gz, .zip) and uploads give the same store as the folder."""

import io
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.config import Settings
from app.db import unit_of_work
from app.ingest import ArticleStore, UploadedFile, ingest
from app.models import Article
from ingest.corpus_kit import EXAMPLES, member_bytes, write_tar, write_zip


def _held(engine: Engine) -> set[tuple[str, str, str]]:
    with Session(engine) as session:
        return {(a.id, a.path, a.content_hash) for a in session.scalars(select(Article))}


@pytest.fixture
def from_folder(engine: Engine, settings: Settings) -> set[tuple[str, str, str]]:
    """What the folder gives, read back; the store is emptied again afterwards."""
    report = ingest(engine, EXAMPLES, settings=settings)
    held = _held(engine)
    assert report.failed == [] and len(held) == 13
    ids = [i for i, _, _ in held]
    with unit_of_work(engine) as session:
        ArticleStore(session).delete(session, ids)
    assert _held(engine) == set()
    return held


@pytest.mark.parametrize(
    ("name", "prefix"),
    [
        ("corpus.tar.xz", ""),
        ("corpus.tar.gz", ""),
        ("corpus.zip", ""),
        ("txt-main.tar.xz", "txt-main/"),
        ("txt-main.zip", "txt-main/"),
    ],
)
def test_an_archive_gives_what_the_folder_gives(
    engine: Engine,
    settings: Settings,
    tmp_path: Path,
    from_folder: set[tuple[str, str, str]],
    name: str,
    prefix: str,
) -> None:
    members = member_bytes(prefix)
    if name.endswith(".zip"):
        archive = write_zip(tmp_path / name, members)
    else:
        archive = write_tar(tmp_path / name, members, "w:xz" if name.endswith("xz") else "w:gz")

    report = ingest(engine, archive, settings=settings)

    assert report.failed == [] and report.index_pages == 2 and len(report.added) == 13
    assert _held(engine) == from_folder
    again = ingest(engine, archive, settings=settings)
    assert again.changes == 0 and again.unchanged == 13


def test_uploaded_archive_and_file(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    archive = write_zip(tmp_path / "up.zip", member_bytes())
    garden = (EXAMPLES / "content" / "gnews" / "9000101.md").read_bytes()
    with archive.open("rb") as stream:
        report = ingest(
            engine,
            [
                UploadedFile("up.zip", stream),
                UploadedFile("content/gnews/9000199.md", io.BytesIO(garden)),
            ],
            settings=settings,
        )
    assert report.failed == [] and len(report.added) == 14
    assert "gnews-9000199" in {i for i, _, _ in _held(engine)}
    data = report.to_dict()
    assert data["counts"]["added"] == 14 and data["failed"] == []


def test_the_same_path_twice_is_reported(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    archive = write_zip(tmp_path / "a.zip", member_bytes())
    report = ingest(engine, [archive, EXAMPLES], settings=settings)
    assert len(report.added) == 13
    assert len(report.failed) == 15 and all("twice" in f.reason for f in report.failed)
