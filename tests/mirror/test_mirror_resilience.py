"""A mirror killed mid-sync, an origin restarted under --follow, a mirror of a mirror."""

import signal
from pathlib import Path

import pytest
from api.factory import ArticleSpec
from changes.feedkit import publish, publish_many, retitle, withdraw
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.db import make_engine
from app.models import Article, Change, MirrorState
from mirror.conftest import fresh_sqlite
from mirror.processes import SYNC_TIMEOUT_S, Server, run_mirror, start_mirror, wait_for
from mirror.test_mirror_sync import assert_same_archive

pytestmark = pytest.mark.slow


def _position(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.max(MirrorState.last_seq))) or 0)


def _count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_mirror_killed_mid_sync_resumes_with_nothing_lost_or_doubled(
    origin_url: str, origin_engine: Engine, database_url: str, tmp_path: Path
) -> None:
    publish_many(origin_engine, range(2000), body="长文。" * 200)
    origin = Server(origin_url, tmp_path / "origin.log").start()
    mirror = make_engine(database_url)
    log = tmp_path / "mirror.log"
    try:
        process = start_mirror(origin.url, database_url, log)
        wait_for(
            lambda: _position(mirror) > 0 or process.poll() is not None,
            timeout=SYNC_TIMEOUT_S,
            what="a first page",
        )
        assert process.poll() is None, log.read_text()
        process.send_signal(signal.SIGKILL)
        process.wait()
        reached = _position(mirror)
        assert 0 < reached < 2000, "the kill came after the sync ended"
        # Each committed page carried its position: origin seqs 1..reached, no more, no less.
        assert _count(mirror, Article) == reached == _count(mirror, Change)

        code, out = run_mirror(origin.url, database_url, log)
        assert code == 0 and "digest MATCH" in out, out
        assert_same_archive(origin, database_url)
        # Nothing applied twice: one local write per article.
        with Session(mirror) as session:
            assert session.scalar(select(func.max(Change.seq))) == 2000
    finally:
        origin.stop()
        mirror.dispose()


def test_follow_keeps_in_step_across_an_origin_restart(
    origin_url: str, origin_engine: Engine, database_url: str, tmp_path: Path
) -> None:
    ids = publish(origin_engine, *[ArticleSpec() for _ in range(20)])
    origin = Server(origin_url, tmp_path / "origin.log").start()
    mirror = make_engine(database_url)
    log = tmp_path / "mirror.log"
    process = start_mirror(origin.url, database_url, log, follow=True)

    def holds(article_id: str, title: str | None = None) -> bool:
        with Session(mirror) as session:
            article = session.get(Article, article_id)
            return article is not None and (title is None or article.title == title)

    try:
        wait_for(
            lambda: "digest MATCH" in log.read_text() or process.poll() is not None,
            timeout=SYNC_TIMEOUT_S,
            what="the first sync",
        )
        assert process.poll() is None, log.read_text()
        [new] = publish(origin_engine, ArticleSpec())
        wait_for(lambda: holds(new), timeout=60, what="a new article to arrive")

        origin.stop()
        retitle(origin_engine, ids[0], "停机时改的")
        withdraw(origin_engine, ids[1])
        wait_for(
            lambda: "origin unreachable" in log.read_text(), timeout=60, what="the mirror to notice"
        )
        origin.start()
        wait_for(
            lambda: holds(ids[0], "停机时改的") and not holds(ids[1]),
            timeout=90,
            what="changes after restart",
        )
        assert process.poll() is None, "--follow must outlive the origin's restart"
        assert_same_archive(origin, database_url)
    finally:
        process.kill()
        process.wait()
        origin.stop()
        mirror.dispose()


def test_a_mirror_of_a_mirror_holds_what_the_origin_holds(
    origin_url: str, origin_engine: Engine, database_url: str, sqlite_template: Path, tmp_path: Path
) -> None:
    ids = publish(origin_engine, *[ArticleSpec(tags=[("郭文贵", "entity")]) for _ in range(60)])
    withdraw(origin_engine, ids[0])
    origin = Server(origin_url, tmp_path / "origin.log").start()
    first = Server(database_url, tmp_path / "first.log")
    second_url = fresh_sqlite(sqlite_template, tmp_path, "second")
    try:
        assert run_mirror(origin.url, database_url, tmp_path / "m1.log")[0] == 0
        first.start()
        code, out = run_mirror(first.url, second_url, tmp_path / "m2.log")
        assert code == 0 and "digest MATCH" in out, out
        assert_same_archive(origin, second_url)

        retitle(origin_engine, ids[1], "传下去")
        assert run_mirror(origin.url, database_url, tmp_path / "m1.log")[0] == 0
        code, out = run_mirror(first.url, second_url, tmp_path / "m2.log")
        assert code == 0 and "1 written" in out, out
        assert_same_archive(origin, second_url)
    finally:
        first.stop()
        origin.stop()
