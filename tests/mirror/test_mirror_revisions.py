"""A mirror between real processes receives every revision: older versions of a history,
versions replaced by a later ingest, the current ones; the digest proves it, and a mirror
whose revisions drifted is told so and mended by the export."""

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from history.repo_kit import Repo, gnews
from revisions.kit import every_version, listed
from sqlalchemy import delete, select, update
from sqlalchemy.engine import Engine

from app.articles.revisions import REVISION
from app.config import Settings
from app.db import make_engine, unit_of_work
from app.ingest import ingest, ingest_history
from app.main import create_app
from app.models import Article, MirrorState
from mirror.processes import Server, run_mirror

pytestmark = pytest.mark.slow

NEWS = "content/gnews/1600100.md"
SLOT1 = "content/gnews/1/README.md"
OLD = "https://gnews.org/zh-hans/{}/"


def _revisions(client: TestClient, ids: list[str]) -> dict[str, Any]:
    return {i: (listed(client, i), every_version(client, i)) for i in ids}


def _ids(engine: Engine) -> list[str]:
    with unit_of_work(engine) as session:
        return sorted(session.scalars(select(Article.id)))


def test_a_mirror_holds_and_serves_every_revision_of_the_origin(
    origin_url: str, origin_engine: Engine, database_url: str, tmp_path: Path
) -> None:
    settings = Settings(database_url=origin_url)
    repo = Repo(tmp_path / "repo")
    for n, title in enumerate(("初版", "改版", "三版")):
        repo.commit(
            {NEWS: gnews(title, OLD.format(1600100)), SLOT1: gnews(f"槽{n}", OLD.format(7 + n))}
        )
    ingest_history(origin_engine, repo.root, settings)
    # A folder ingest replaces the history's newest version: the replaced one is kept as served.
    folder = tmp_path / "corpus" / "content" / "gnews"
    folder.mkdir(parents=True)
    (folder / "1600100.md").write_bytes(gnews("文件夹版", OLD.format(1600100), "换了。"))
    assert ingest(origin_engine, tmp_path / "corpus", settings=settings).updated

    origin = Server(origin_url, tmp_path / "origin.log").start()
    log = tmp_path / "mirror.log"
    origin_app = TestClient(create_app(settings))
    mirror_app = TestClient(create_app(Settings(database_url=database_url)))
    mirror = make_engine(database_url)
    try:
        code, out = run_mirror(origin.url, database_url, log)
        assert code == 0 and "digest MATCH" in out, out
        ids = _ids(origin_engine)
        want = _revisions(origin_app, ids)
        assert [r["title"] for r in want["gnews-1600100"][0]] == [
            "文件夹版",
            "三版",
            "改版",
            "初版",
        ]
        assert _revisions(mirror_app, ids) == want
        digest = origin.get("/changes/digest")
        assert digest["revisions"] == 7

        # New commits at the origin: only the changed article travels, with its revisions.
        repo.commit({NEWS: gnews("四版", OLD.format(1600100))})
        ingest_history(origin_engine, repo.root, settings)
        code, out = run_mirror(origin.url, database_url, log)
        assert code == 0 and "digest MATCH" in out and "1 written" in out, out
        assert _revisions(mirror_app, ids) == _revisions(origin_app, ids)

        # A revision lost at the mirror: the digest says so...
        with unit_of_work(mirror) as session:
            session.execute(
                delete(REVISION).where(
                    REVISION.c.article_id == "gnews-1600100", REVISION.c.markdown.is_not(None)
                )
            )
        code, out = run_mirror(origin.url, database_url, log)
        assert code == 1 and "digest MISMATCH" in out and "revisions: origin" in out, out
        # ...and a start from 0 reconciles through the export, which carries revisions too.
        with unit_of_work(mirror) as session:
            session.execute(update(MirrorState).values(last_seq=0))
        code, out = run_mirror(origin.url, database_url, log)
        assert code == 0 and "digest MATCH" in out and "1 written" in out, out
        assert _revisions(mirror_app, ids) == _revisions(origin_app, ids)
    finally:
        origin.stop()
        mirror.dispose()
        for client in (origin_app, mirror_app):
            client.app.state.engine.dispose()  # type: ignore[attr-defined]
