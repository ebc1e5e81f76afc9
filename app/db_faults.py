"""Bounds on every wait for the database, and which errors mean it is unavailable.

A hung PostgreSQL server (SIGSTOPped, a frozen VM) still has its kernel ACK our TCP
segments, so neither its own ``statement_timeout`` nor TCP keepalives or
``tcp_user_timeout`` ever fire, and a thread reading from its socket would wait forever.
The bound must be the client's own: psycopg waits for the server in one place,
``Connection.wait`` (every execute, fetch, COPY, commit and rollback), and the connection
class below gives each such wait a deadline. When it passes, the connection is closed (its
protocol state is unknown, so no one may use it again) and the wait raises an
``OperationalError``; SQLAlchemy sees the closed connection as a disconnect and discards
it. The request's thread is free at once, so threads do not pile up behind a hung server,
and the pool's next checkout pings (within the connect timeout) or connects afresh, which
is all recovery needs once the server is back.
"""

import sqlite3
import time
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.abc import PQGen
from psycopg.errors import QueryCanceled
from sqlalchemy import event, exc
from sqlalchemy.engine import Engine
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

from app.config import Settings

# What a client told "503" should wait before it tries again, in seconds.
RETRY_AFTER_S = 5
# The server cancels a long statement itself first (a clean error, the connection stays
# usable); the client's bound is a little later and only ends waits on a server that is gone.
CLIENT_GRACE_S = 0.5


@dataclass(frozen=True)
class DatabaseTimeouts:
    """How long the service waits for the database, in seconds."""

    connect_s: float  # a new connection, or the ping of a pooled one
    pool_s: float  # a free connection of the pool
    statement_s: float  # one statement (server-side), any answer at all (client-side)

    @property
    def wait_bound_s(self) -> float:
        """The client-side bound on one wait for the server."""
        return self.statement_s + CLIENT_GRACE_S


def database_timeouts(settings: Settings) -> DatabaseTimeouts:
    """The service's bounds, from ``CORPUS_DB_CONNECT_TIMEOUT`` and its two siblings."""
    return DatabaseTimeouts(
        connect_s=settings.db_connect_timeout,
        pool_s=settings.db_pool_timeout,
        statement_s=settings.db_statement_timeout,
    )


class DatabaseTimeout(psycopg.OperationalError):
    """The server gave no answer within the client's bound; the connection was closed."""


class BoundedConnection(psycopg.Connection[Any]):
    """A psycopg connection whose every wait for the server ends within ``bound_s`` seconds."""

    bound_s: float | None = None

    def wait(self, gen: PQGen[Any], interval: float = 0.1, timeout: float | None = None) -> Any:
        """``Connection.wait`` with the bound applied; on expiry the connection is closed."""
        bound = self.bound_s
        if bound is None:
            return super().wait(gen, interval=interval, timeout=timeout)
        limit = bound if timeout is None else min(timeout, bound)
        started = time.monotonic()
        try:
            return super().wait(gen, interval=interval, timeout=limit)
        except psycopg.OperationalError as error:
            if time.monotonic() - started < limit:
                raise  # the server answered with an error, or the socket failed: as it is
            # The generator stopped mid-protocol: whatever comes next on this socket belongs
            # to a request no one waits for, so the connection must never be used again.
            self.pgconn.finish()
            raise DatabaseTimeout(f"the database gave no answer within {limit:g} s") from error


def bound_waits(engine: Engine, timeouts: DatabaseTimeouts) -> None:
    """Gives ``engine``'s PostgreSQL connections the client-side bounds and a bounded ping."""

    @event.listens_for(engine, "do_connect")
    def _connect(
        _dialect: Any, _record: ConnectionPoolEntry, cargs: Any, cparams: dict[str, Any]
    ) -> BoundedConnection:
        connection = BoundedConnection.connect(*cargs, **cparams)
        connection.bound_s = timeouts.wait_bound_s
        return connection

    @event.listens_for(engine, "checkout")
    def _ping(
        dbapi_connection: Any, _record: ConnectionPoolEntry, _proxy: PoolProxiedConnection
    ) -> None:
        # SQLAlchemy's pool_pre_ping would wait a whole statement bound on a hung server and
        # then try a new connection too; a ping answers in milliseconds when all is well.
        connection: BoundedConnection = dbapi_connection
        connection.bound_s = timeouts.connect_s
        try:
            engine.dialect.do_ping(dbapi_connection)
        except DatabaseTimeout:
            raise  # hung: a new connection would hang as well, so fail now
        except psycopg.Error as error:
            # Closed under us (a restarted server): the pool connects afresh, once.
            raise exc.DisconnectionError(str(error)) from error
        finally:
            connection.bound_s = timeouts.wait_bound_s


# SQLite calls the progress handler every this many virtual-machine steps of a statement
# (about a millisecond's work or less): often enough to end a statement within a few ms of
# its bound, rarely enough to cost nothing a read of stored bytes would notice.
SQLITE_PROGRESS_STEPS = 10_000
_NO_DEADLINE = float("inf")
_DEADLINE = "corpus.statement_deadline"


def bound_sqlite_statements(engine: Engine, timeouts: DatabaseTimeouts) -> None:
    """Ends any statement on ``engine``'s SQLite connections that runs past ``statement_s``.

    SQLite has no statement timeout of its own: a progress handler on each connection
    aborts the statement running past its deadline (``SQLITE_INTERRUPT``, "interrupted"),
    which rolls it back like any failed statement and is answered 503 like PostgreSQL's
    ``statement_timeout``. The deadline is set when a statement starts (through SQLAlchemy
    or ``db.DriverStatement``, both of which announce it) and covers fetching its rows.
    """

    @event.listens_for(engine, "connect")
    def _handler(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        deadline = record.info[_DEADLINE] = [_NO_DEADLINE]
        dbapi_connection.set_progress_handler(
            lambda: time.monotonic() > deadline[0], SQLITE_PROGRESS_STEPS
        )

    @event.listens_for(engine, "before_cursor_execute")
    def _start(conn: Any, *_args: Any) -> None:
        deadline = conn.connection.info.get(_DEADLINE)
        if deadline is not None:
            deadline[0] = time.monotonic() + timeouts.statement_s

    @event.listens_for(engine, "checkin")
    def _idle(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        # Statements nobody announced (the pool's reset, the next connect's pragmas) run
        # with no bound rather than with a stale one.
        deadline = record.info.get(_DEADLINE)
        if deadline is not None:
            deadline[0] = _NO_DEADLINE


def postgres_connect_args(timeouts: DatabaseTimeouts) -> dict[str, Any]:
    """The libpq parameters that carry the connect and server-side statement timeouts."""
    return {
        # libpq counts whole seconds, at least 2.
        "connect_timeout": max(2, round(timeouts.connect_s)),
        "options": f"-c statement_timeout={int(timeouts.statement_s * 1000)}",
    }


# SQLSTATE classes of a server that cannot serve: connection exception, insufficient
# resources (too many connections, disk full), operator intervention (shutdown, starting up,
# statement timeout). Class 40 (serialization failure, deadlock) is not one: a retry helps.
_OUTAGE_CLASSES = {"08", "53", "57"}
# SQLite's result codes of a store that cannot serve now. Not its OperationalError as a
# whole: SQLite raises that for "no such table" and syntax errors too, which are bugs.
_SQLITE_UNAVAILABLE = {
    sqlite3.SQLITE_BUSY,
    sqlite3.SQLITE_LOCKED,
    sqlite3.SQLITE_IOERR,
    sqlite3.SQLITE_FULL,
    sqlite3.SQLITE_CANTOPEN,
    sqlite3.SQLITE_PROTOCOL,
}


# Every error the database layer raises: SQLAlchemy's, and the drivers' own where a read
# goes straight to the driver's cursor (``db.DriverStatement``).
DATABASE_ERRORS: tuple[type[Exception], ...] = (
    exc.DBAPIError,
    exc.TimeoutError,
    psycopg.Error,
    sqlite3.Error,
)


def _sqlite_code(orig: BaseException | None) -> int | None:
    """SQLite's primary result code of an error it raised (none for the module's own)."""
    code = getattr(orig, "sqlite_errorcode", None) if isinstance(orig, sqlite3.Error) else None
    return None if code is None else int(code) & 0xFF


def _disk_full(orig: BaseException | None) -> bool:
    if isinstance(orig, psycopg.errors.DiskFull):
        return True
    return _sqlite_code(orig) == sqlite3.SQLITE_FULL


def outage_reason(error: BaseException) -> str | None:
    """Why ``error`` means the database could not serve now (a retry would not help), or None.

    Lost or refused connections, waits past a bound and an empty pool are outages; a
    constraint violation or a bug in a statement is not.
    """
    if isinstance(error, exc.TimeoutError):
        return "no database connection became free in time"
    orig = error.orig if isinstance(error, exc.DBAPIError) else error
    if _disk_full(orig):
        return "the database's disk is full"
    if isinstance(orig, DatabaseTimeout):
        return "the database gave no answer in time"
    if isinstance(orig, QueryCanceled) or _sqlite_code(orig) == sqlite3.SQLITE_INTERRUPT:
        return "a database statement ran past its time limit"
    if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
        return "the connection to the database was lost"
    if isinstance(orig, psycopg.OperationalError) and (
        orig.sqlstate is None or orig.sqlstate[:2] in _OUTAGE_CLASSES
    ):
        # No SQLSTATE: the client's own failure (refused, reset, timed out connecting).
        return "the database could not be reached"
    return None


def unavailable_reason(error: BaseException) -> str | None:
    """Why ``error`` means "database unavailable, try again" (503), or None for other errors."""
    reason = outage_reason(error)
    if reason is not None:
        return reason
    orig = error.orig if isinstance(error, exc.DBAPIError) else error
    if isinstance(orig, psycopg.OperationalError) or _sqlite_code(orig) in _SQLITE_UNAVAILABLE:
        # "database is locked", "disk I/O error", too many connections: refused for now.
        return f"the database refused the operation: {str(orig).splitlines()[0]}"
    return None
