"""A mirror between real processes: full sync, incremental edits, deletions, re-adds."""

import json
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from api.factory import ArticleSpec
from changes.feedkit import publish, retitle, withdraw
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.db import make_engine, snapshot_session, unit_of_work
from app.feed import archive_digest, export_lines, prune_changes
from app.models import Article, Change, MirrorState, utcnow
from mirror.processes import Server, free_port, run_mirror

pytestmark = pytest.mark.slow


def exported_articles(lines: list[str]) -> list[dict[str, object]]:
    """The article lines of an export, parsed (the trailer left out)."""
    return [json.loads(line) for line in lines[:-1]]


def assert_same_archive(origin: Server, mirror_url: str) -> None:
    """The mirror's digest and every exported article equal the origin's."""
    engine = make_engine(mirror_url)
    try:
        with snapshot_session(engine) as session:
            local = archive_digest(session)
        remote = origin.get("/changes/digest")
        assert (local.digest, local.count) == (remote["digest"], remote["count"])
        theirs = httpx.get(f"{origin.url}/export", timeout=60).text.splitlines()
        ours = list(export_lines(engine))
        assert exported_articles(ours) == exported_articles(theirs)
    finally:
        engine.dispose()


def test_full_sync_then_edits_deletions_and_readds_follow(
    origin_url: str, origin_engine: Engine, database_url: str, tmp_path: Path
) -> None:
    ids = publish(
        origin_engine,
        *[ArticleSpec(tags=[("美国", "meta"), (f"t{i % 7}", "entity")]) for i in range(600)],
    )
    origin = Server(origin_url, tmp_path / "origin.log").start()
    log = tmp_path / "mirror.log"
    try:
        code, out = run_mirror(origin.url, database_url, log)
        assert code == 0, out
        assert "digest MATCH" in out
        assert_same_archive(origin, database_url)

        retitle(origin_engine, ids[3], "改过的标题")
        withdraw(origin_engine, ids[4])
        withdraw(origin_engine, ids[5])
        publish(origin_engine, ArticleSpec(id=ids[5], tags=[("新", "meta")]))  # re-added
        [extra] = publish(origin_engine, ArticleSpec(tags=[("美国", "meta")]))

        code, out = run_mirror(origin.url, database_url, log)
        assert code == 0, out
        assert "digest MATCH" in out
        assert "3 written, 1 deleted" in out  # only the changes travelled, not the archive
        assert_same_archive(origin, database_url)

        mirror = make_engine(database_url)
        with Session(mirror) as session:
            assert session.get(Article, ids[4]) is None
            assert session.get(Article, extra) is not None
            # Every local write recorded one change: 600 + 3 written + 1 deleted.
            assert session.scalar(select(func.max(Change.seq))) == 604
            state = session.get(MirrorState, origin.url)
            proved = origin.get("/changes/digest")
            assert state is not None
            assert (state.last_seq, state.digest) == (proved["last_seq"], proved["digest"])
        mirror.dispose()

        code, out = run_mirror(origin.url, database_url, log)  # nothing new: nothing written
        assert code == 0 and "written" not in out.replace("digest", ""), out
    finally:
        origin.stop()


def test_an_unreachable_origin_fails_without_touching_the_store(
    database_url: str, tmp_path: Path
) -> None:
    engine = make_engine(database_url)
    with snapshot_session(engine) as session:
        before = archive_digest(session)
    code, out = run_mirror(f"http://127.0.0.1:{free_port()}", database_url, tmp_path / "mirror.log")
    assert code != 0
    assert "origin unreachable" in out
    with snapshot_session(engine) as session:
        assert archive_digest(session) == before
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(MirrorState)) == 0
    engine.dispose()


def test_after_a_410_the_mirror_starts_again_and_drops_what_the_origin_lost(
    origin_url: str, origin_engine: Engine, database_url: str, tmp_path: Path
) -> None:
    ids = publish(origin_engine, *[ArticleSpec() for _ in range(30)])
    origin = Server(origin_url, tmp_path / "origin.log").start()
    log = tmp_path / "mirror.log"
    try:
        assert run_mirror(origin.url, database_url, log)[0] == 0
        # While the mirror is away, two deletions happen and age past the retention...
        withdraw(origin_engine, ids[0])
        withdraw(origin_engine, ids[1])
        retitle(origin_engine, ids[2], "之后改的")
        with unit_of_work(origin_engine) as session:
            for change in session.scalars(select(Change).where(Change.op == "delete")):
                change.changed_at = utcnow() - timedelta(days=45)
                session.add(change)
        assert prune_changes(origin_engine, retention_days=30) == 2
        # ...and the mirror holds an article the origin never had.
        publish(make_engine(database_url), ArticleSpec(id="page-local-only"))

        code, out = run_mirror(origin.url, database_url, log)

        assert code == 0, out
        assert "410" in out and "digest MATCH" in out
        assert_same_archive(origin, database_url)
        with Session(make_engine(database_url)) as session:
            assert session.get(Article, "page-local-only") is None
            assert session.get(Article, ids[0]) is None
    finally:
        origin.stop()
