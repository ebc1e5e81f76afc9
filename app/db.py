"""Engine, sessions and the writes SQL cannot say once: where the database dialect is known.

SQLite is the embedded default (WAL, foreign keys on); PostgreSQL is reached through
``postgresql+psycopg://``. Bulk rows (``copy_rows``) and inserts that skip existing keys
(``insert_ignoring_conflicts``) are written differently on each. Everything else in the code
base is dialect-neutral, except the search backends (``app.search.backend`` picks one from
``dialect_name``); tests/test_dialect_edges.py holds the code base to that.
"""

import json
from collections import namedtuple
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from sqlalchemy import JSON, Integer, Table, cast, event, extract, func, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Dialect, Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Mapped
from sqlalchemy.pool import NullPool
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, create_engine

from app.db_faults import (
    DatabaseTimeouts,
    bound_sqlite_statements,
    bound_waits,
    postgres_connect_args,
)


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


# Request threads that may read at once (wrk -c16 keeps 16 busy); a connection is cheap.
SQLITE_POOL_SIZE = 20


def make_engine(
    url: str, *, pool: bool = True, timeouts: DatabaseTimeouts | None = None
) -> Engine:
    """An engine for ``url`` with the dialect's settings applied.

    With ``timeouts`` (the service's engine), no wait for the database is unbounded: see
    ``app.db_faults``. Without, batch work (ingest, migrations, mirrors) waits as long as
    its statements need.
    """
    url = normalise_url(url)
    dialect = make_url(url).get_backend_name()
    kwargs: dict[str, Any] = {}
    queue_pool = pool
    if dialect == "sqlite":
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        # Enough kept connections for every request thread at once: an overflow connection
        # is closed when returned, and the next one pays the pragmas and a cold page cache.
        queue_pool = pool and make_url(url).database not in (None, "", ":memory:")
        if queue_pool:  # a file's pool
            kwargs["pool_size"] = kwargs["max_overflow"] = SQLITE_POOL_SIZE
            # The last connection returned is the next one lent: the reads on the event loop
            # (one at a time) keep reusing one warm connection, where a FIFO pool hands each
            # read the next of all it holds, and each of them grows its own page cache (up to
            # cache_size each).
            kwargs["pool_use_lifo"] = True
    elif timeouts is None:
        kwargs["pool_pre_ping"] = True
    else:
        kwargs["connect_args"] = postgres_connect_args(timeouts)  # pinged by bound_waits
    if timeouts is not None and queue_pool:
        kwargs["pool_timeout"] = timeouts.pool_s
    if not pool:
        kwargs["poolclass"] = NullPool
    engine = create_engine(url, **kwargs)
    if dialect == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        if timeouts is not None:
            bound_sqlite_statements(engine, timeouts)
    elif timeouts is not None:
        bound_waits(engine, timeouts)
    return engine


def has_replicas(url: str) -> bool:
    """Whether the database at ``url`` can have read replicas: PostgreSQL, not a SQLite file."""
    return make_url(normalise_url(url)).get_backend_name() != "sqlite"


def dialect_name(engine_or_session: Engine | Connection | Session) -> str:
    """``sqlite`` or ``postgresql``."""
    if isinstance(engine_or_session, Session):
        return engine_or_session.get_bind().dialect.name
    return engine_or_session.dialect.name


def reads_inline(engine: Engine) -> bool:
    """Whether a short read is cheaper run on the event loop than handed to a worker thread.

    A SQLite read of a page of ids and its stored bytes comes from the page cache in well
    under a millisecond: less than the hop to a worker thread and back, whose GIL handovers
    were most of a request's time under load. A PostgreSQL read waits on the network, and
    waiting on the event loop would stall every other request, so it keeps its thread.
    """
    return engine.dialect.name == "sqlite"


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


@dataclass(frozen=True)
class _Compiled:
    """A statement compiled for one dialect: its SQL, its binds' order and processors."""

    sql: str
    positions: tuple[str, ...] | None  # qmark (SQLite): the binds in the statement's order
    constants: dict[str, Any]  # the anonymous binds' values (literals of the statement)
    bind_processors: dict[str, Callable[[Any], Any]]
    row: type[tuple[Any, ...]]  # named, with the columns' result processors (``typed_row``)


def _compile(statement: Select[Any], dialect: Dialect) -> _Compiled:
    compiled = statement.compile(dialect=dialect)
    if "POSTCOMPILE" in compiled.string:  # an expanding IN or a literal LIMIT: values in the SQL
        raise ValueError("a driver statement cannot have binds rendered at execution")
    binds = compiled.binds
    processors: dict[str, Callable[[Any], Any]] = {}
    for name, bind in binds.items():
        processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            processors[name] = processor
    results: list[tuple[int, Callable[[Any], Any]]] = []
    for index, column in enumerate(statement.selected_columns):
        processor = column.type.dialect_impl(dialect).result_processor(dialect, None)
        if processor is not None:
            results.append((index, processor))
    names = [column.key or f"c{i}" for i, column in enumerate(statement.selected_columns)]
    row = namedtuple("Row", names, rename=True)  # type: ignore[misc]
    return _Compiled(
        sql=compiled.string,
        positions=tuple(compiled.positiontup) if compiled.positiontup is not None else None,
        # Named binds are the caller's to give on every run; anonymous ones are the
        # statement's own literals (``count > 0``), the same for every statement of a shape.
        constants={name: bind.value for name, bind in binds.items() if bind.unique},
        bind_processors=processors,
        row=type("Row", (row,), {"__slots__": (), "processors": tuple(results)}),
    )


def typed_row(row: Any) -> Any:
    """A row of ``DriverStatement.run(..., typed=False)`` with its values typed by its columns
    (other rows are returned as they are)."""
    processors = getattr(type(row), "processors", ())
    if not processors:
        return row
    values = list(row)
    for index, processor in processors:
        values[index] = processor(values[index])
    return type(row)(*values)


@contextmanager
def read_only(engine: Engine) -> Iterator[Session]:
    """A session for reads: nothing to commit, so it is only closed (rolled back) at the end.

    Committing costs a read as much as its query (the session's snapshot, flush checks,
    expunging); a write inside this block would be lost, so it serves reads only. The session
    is bound to a connection taken from the pool here, which driver statements use as it is:
    a session's own transaction on it costs more than the SQLite read it would wrap.
    """
    with engine.connect() as connection:
        session = Session(bind=connection, expire_on_commit=False, autoflush=False)
        try:
            yield session
        finally:
            session.close()


def _connection_of(session: Session) -> Connection:
    """The connection a session reads on: the one it is bound to, else its transaction's."""
    bind = session.get_bind()
    return bind if isinstance(bind, Connection) else session.connection()


class DriverStatement:
    """A read compiled once per dialect and shape, and run straight on the driver's cursor.

    The hottest reads (stored bytes by id, a page's keys) answer from SQLite's page cache in
    microseconds; SQLAlchemy's execution around them (building the statement, its cache key,
    the execution context, result rows) cost several times that under load. ``build(shape)``
    makes the statement of a shape: the same shape must make the same SQL, every value that
    varies being a named bind (``bindparam("k0")``) given to ``run`` by name. Values are
    bound and results typed by the columns' types, as SQLAlchemy would.
    """

    def __init__(self, build: Callable[[Any], Select[Any]] | None = None) -> None:
        self._build = build
        self._compiled: dict[tuple[str, Hashable], _Compiled] = {}

    def rows(self, session: Session, keys: Sequence[Any]) -> list[tuple[Any, ...]]:
        """The rows for ``keys`` (binds ``k0``..``k{n-1}``; the shape is their count)."""
        return self.run(session, len(keys), {f"k{i}": key for i, key in enumerate(keys)})

    def run(
        self,
        session: Session,
        shape: Hashable,
        params: Mapping[str, Any],
        build: Callable[[Any], Select[Any]] | None = None,
        *,
        typed: bool = True,
    ) -> list[Any]:
        """The rows (named tuples) of the shape's statement with ``params``, on the session's
        connection (inside its transaction); ``build`` overrides the one given at creation.

        ``typed=False`` leaves the values as the driver gave them: a page reads its keys for
        the ids and types only the last row, for its cursor (``typed_row``), where typing
        every row's timestamp cost more than the query.
        """
        connection = _connection_of(session)
        dialect = connection.dialect
        compiled = self._compiled.get((dialect.name, shape))
        if compiled is None:
            maker = build or self._build
            assert maker is not None, "a DriverStatement needs a build function"
            compiled = _compile(maker(shape), dialect)
            self._compiled[(dialect.name, shape)] = compiled
        values = {**compiled.constants, **params}
        for name, processor in compiled.bind_processors.items():
            values[name] = processor(values[name])
        args: Any = values
        if compiled.positions is not None:
            args = [values[name] for name in compiled.positions]
        # The driver's own connection (the same object as ``driver_connection`` with a sync
        # driver), which a connection detached from its pool (``app.kept_reads``) still has.
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            # Listeners (statement counters, tracing) still see it; none costs nothing.
            connection.dispatch.before_cursor_execute(
                connection, cursor, compiled.sql, args, None, False
            )
            cursor.execute(compiled.sql, args)
            fetched = cursor.fetchall()
        finally:
            cursor.close()
        row = compiled.row
        rows = [row(*values) for values in fetched]
        return [typed_row(r) for r in rows] if typed and row.processors else rows  # type: ignore[attr-defined]


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


def calendar_part(
    part: str, column: ColumnElement[Any] | Mapped[Any], bind: Engine | Session
) -> ColumnElement[int]:
    """The UTC ``year`` or ``month`` of a timestamp column, as an integer (NULL for NULL)."""
    if part not in ("year", "month"):
        raise ValueError(f"unknown calendar part {part!r}")
    if dialect_name(bind) == "sqlite":  # stored as naive UTC text
        return cast(func.strftime("%Y" if part == "year" else "%m", column), Integer)
    # Read in UTC whatever the session's TimeZone is.
    return cast(extract(part, func.timezone("UTC", column)), Integer)


def copy_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Inserts many rows of plain values: COPY on PostgreSQL (an executemany there costs a
    round trip per row), executemany on SQLite; either raises SQLAlchemy's ``DBAPIError``."""
    if not rows:
        return
    if dialect_name(session) != "postgresql":
        session.execute(insert(table), list(rows))
        return
    columns = list(rows[0])
    # COPY skips SQLAlchemy's bind processing: JSON columns are written as JSON text here.
    as_json = {c for c in columns if isinstance(table.c[c].type, JSON)}
    names = ", ".join(f'"{c}"' for c in columns)
    statement = f'COPY "{table.name}" ({names}) FROM STDIN'
    raw = session.connection().connection.driver_connection
    assert raw is not None
    try:
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row([json.dumps(row[c]) if c in as_json else row[c] for c in columns])
    except psycopg.Error as exc:
        # Raised as SQLAlchemy raises driver errors, so callers handle one kind of error.
        raise DBAPIError.instance(statement, None, exc, psycopg.Error) from exc


def insert_ignoring_conflicts(
    session: Session,
    table: Table,
    values: Sequence[dict[str, Any]],
    *,
    index_elements: Sequence[str],
) -> None:
    """Inserts these rows in one statement, skipping those whose ``index_elements`` already
    exist (another writer may insert the same keys at the same time)."""
    if not values:
        return
    dialect = postgresql if dialect_name(session) == "postgresql" else sqlite
    statement = dialect.insert(table).values(list(values))
    session.execute(statement.on_conflict_do_nothing(index_elements=list(index_elements)))
