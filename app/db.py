"""Engine and sessions: the one place that knows which database dialect is in use.

SQLite is the embedded default (WAL, foreign keys on); PostgreSQL is reached through
``postgresql+psycopg://``. Everything else in the code base is dialect-neutral, except the
search backends, which pick their SQL from ``dialect_name``.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Mapped
from sqlalchemy.pool import NullPool
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, create_engine


def normalise_url(url: str) -> str:
    """Let ``postgresql://`` and ``postgres://`` mean psycopg 3, the only driver we ship."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers go on while the ingest writes; NORMAL is durable enough under WAL.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


def make_engine(url: str, *, pool: bool = True) -> Engine:
    """An engine for ``url`` with the dialect's settings applied."""
    url = normalise_url(url)
    dialect = make_url(url).get_backend_name()
    kwargs: dict[str, Any] = {}
    if dialect == "sqlite":
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    else:
        kwargs["pool_pre_ping"] = True
    if not pool:
        kwargs["poolclass"] = NullPool
    engine = create_engine(url, **kwargs)
    if dialect == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def dialect_name(engine_or_session: Engine | Session) -> str:
    """``sqlite`` or ``postgresql``."""
    if isinstance(engine_or_session, Session):
        return engine_or_session.get_bind().dialect.name
    return engine_or_session.dialect.name


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Session]:
    """A session that commits when the block ends and rolls back if it raises.

    The owner of a transaction is whoever opens this block; code called inside never commits.
    """
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def small_page_cache(session: Session, kib: int = 8 * 1024) -> Iterator[None]:
    """Within the block, SQLite's page cache on the session's connection holds at most ``kib``.

    A bulk write (an upload of thousands of articles) touches most pages once, so the large
    cache set for readers would only hold memory; it is put back when the block ends.
    PostgreSQL keeps its cache in the server, so there this does nothing.
    """
    if dialect_name(session) != "sqlite":
        yield
        return
    connection = session.connection()
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size=-{int(kib)}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size={int(before or 0)}")


# -- the change feed's dialect edges: a consistent snapshot, and code-point order ----------


@contextmanager
def snapshot_session(engine: Engine) -> Iterator[Session]:
    """A read-only session whose statements all see one consistent committed state.

    REPEATABLE READ on PostgreSQL; on SQLite a deferred ``BEGIN``, the snapshot being taken
    at the first read after it. The session is rolled back when the block ends.
    """
    session = Session(engine, expire_on_commit=False)
    try:
        if dialect_name(engine) == "postgresql":
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        else:
            # pysqlite starts no transaction for SELECTs: without this each statement would
            # see its own state.
            session.connection().exec_driver_sql("BEGIN")
        yield session
    finally:
        session.rollback()
        session.close()


def code_point_order(
    column: ColumnElement[str] | Mapped[str], bind: Engine | Session
) -> ColumnElement[str] | Mapped[str]:
    """``column`` to sort by Unicode code point (UTF-8 byte order), whatever the locale."""
    # SQLite's default BINARY collation already compares UTF-8 bytes; PostgreSQL's database
    # collation follows the locale, so ask for "C".
    return column if dialect_name(bind) == "sqlite" else column.collate("C")
