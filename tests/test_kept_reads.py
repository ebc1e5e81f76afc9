"""The event loop's kept read connection: fresh data every read, nothing left open, errors
close it, a read inside a read and a disposed engine still work (``app.kept_reads``)."""

import sqlite3
import threading

import pytest
from api.factory import ArticleSpec, add_articles
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from app.db import dialect_name, make_engine, reads_inline
from app.kept_reads import KEPT_PER_THREAD, kept_read
from app.metrics import POOL_IN_USE, watch_pool
from app.models import Article
from app.queries import articles as queries


def _count(session: Session) -> int:
    return int(session.connection().execute(select(func.count()).select_from(Article)).scalar_one())


def _kept_connection(engine: Engine) -> object:
    with kept_read(engine) as session:
        return session.get_bind()


def _driver_connection(engine: Engine) -> object:
    with kept_read(engine) as session:
        return session.connection().connection.dbapi_connection


def test_a_read_sees_what_was_written_after_the_last_read(engine: Engine) -> None:
    with kept_read(engine) as session:
        assert _count(session) == 0  # an ORM statement: its transaction must not outlive the read
    [article_id] = add_articles(engine, [ArticleSpec(title="后来写的")])
    with kept_read(engine) as session:
        assert _count(session) == 1
        assert queries.article_json(session, article_id=article_id)[0].startswith(b"{")


def test_reads_keep_one_connection_out_of_the_pool(engine: Engine) -> None:
    first = _kept_connection(engine)
    assert _kept_connection(engine) is first if reads_inline(engine) else True
    assert engine.pool.checkedout() == 0  # kept out of the pool, or returned to it


def test_a_read_inside_a_read_gets_a_connection_of_its_own(engine: Engine) -> None:
    [article_id] = add_articles(engine, [ArticleSpec()])
    with kept_read(engine) as outer, kept_read(engine) as inner:
        assert inner is not outer
        assert queries.content_hash_for(inner, article_id=article_id)
        assert queries.content_hash_for(outer, article_id=article_id)
    assert engine.pool.checkedout() == 0


def test_a_database_error_closes_the_kept_connection(engine: Engine) -> None:
    first, driver = _kept_connection(engine), _driver_connection(engine)
    with pytest.raises(DBAPIError), kept_read(engine) as session:
        session.connection().execute(text("SELECT nothing FROM no_such_table"))
    second = _kept_connection(engine)
    assert second is not first
    if reads_inline(engine):  # the failed one's driver connection is closed, not reused
        with pytest.raises(sqlite3.ProgrammingError):
            driver.execute("SELECT 1")  # type: ignore[attr-defined]
    with kept_read(engine) as session:
        assert _count(session) == 0


def test_another_error_leaves_the_connection_kept_and_clean(engine: Engine) -> None:
    first = _kept_connection(engine)
    with pytest.raises(KeyError), kept_read(engine) as session:
        _count(session)
        raise KeyError("not the database's")
    assert _kept_connection(engine) is first if reads_inline(engine) else True
    if reads_inline(engine):
        assert not first.in_transaction()  # type: ignore[attr-defined]


def test_no_snapshot_outlives_a_read_so_the_wal_can_be_emptied(engine: Engine) -> None:
    if dialect_name(engine) != "sqlite":
        pytest.skip("the write-ahead log is SQLite's")
    with kept_read(engine) as session:
        session.connection().exec_driver_sql("BEGIN")  # a read that takes a snapshot
        _count(session)
    add_articles(engine, [ArticleSpec()])
    with engine.connect() as connection:
        busy, _, _ = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
    assert busy == 0  # a reader holding a snapshot would make the checkpoint busy


def test_a_disposed_engine_is_read_on_a_new_connection(engine: Engine) -> None:
    first = _kept_connection(engine)
    engine.dispose()
    assert _kept_connection(engine) is not first
    with kept_read(engine) as session:
        assert _count(session) == 0


def test_one_thread_keeps_a_bounded_number_of_engines(database_url: str) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("only inline (SQLite) reads keep a connection")
    engines = [make_engine(database_url) for _ in range(KEPT_PER_THREAD + 1)]
    try:
        drivers = [_driver_connection(e) for e in engines]
        # The first one kept was closed to make room for the last.
        with pytest.raises(sqlite3.ProgrammingError):
            drivers[0].execute("SELECT 1")  # type: ignore[attr-defined]
        assert _driver_connection(engines[-1]) is drivers[-1]
    finally:
        for e in engines:
            e.dispose()


def test_each_thread_reads_on_its_own_connection(engine: Engine) -> None:
    seen: list[object] = []
    thread = threading.Thread(target=lambda: seen.append(_kept_connection(engine)))
    thread.start()
    thread.join()
    assert seen and seen[0] is not _kept_connection(engine)


def test_the_pool_gauge_does_not_count_a_kept_connection(database_url: str) -> None:
    engine = make_engine(database_url)
    watch_pool(engine)
    try:
        before = POOL_IN_USE._value.get()
        with kept_read(engine) as session:
            _count(session)
        assert POOL_IN_USE._value.get() == before
    finally:
        engine.dispose()


def test_a_reader_at_work_is_not_closed_to_make_room(database_url: str) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("only inline (SQLite) reads keep a connection")
    engines = [make_engine(database_url) for _ in range(KEPT_PER_THREAD + 1)]
    try:
        with kept_read(engines[0]) as outer:
            for other in engines[1:]:
                _driver_connection(other)
            assert _count(outer) == 0  # still open in the middle of its read
    finally:
        for e in engines:
            e.dispose()
