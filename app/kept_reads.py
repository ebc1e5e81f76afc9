"""Reads on a connection the event loop's thread keeps: no pool round trip per SQLite read.

A SQLite read of a page or an article answers from the page cache in tens of microseconds;
checking a connection out of the pool and back (SQLAlchemy's connection and pool wrappers,
the pool's events, the reset on return) and building a session around it cost more than
that (py-spy under wrk: ~14% of an article request's time). So the thread that reads
inline (``db.reads_inline``) keeps, per engine, one connection taken out of the pool
(detached: the pool neither counts nor resets it) and one session bound to it, and lends
them to one read at a time. Nothing is left open between two reads: no ORM object, no
transaction (so no old snapshot that would hide new writes or hold the WAL), and a
connection that failed with a database error is closed, the next read opening another.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import Pool
from sqlmodel import Session

from app.db import read_only, reads_inline
from app.db_faults import DATABASE_ERRORS

# Engines one thread keeps a reader for: a server reads one; a test process makes an app
# (and an engine) per test on the same thread, whose files must not all stay open.
KEPT_PER_THREAD = 2


class KeptReader:
    """One thread's connection and session for the reads of one engine, one read at a time."""

    def __init__(self, engine: Engine) -> None:
        self.pool: Pool = engine.pool
        self.connection: Connection = engine.connect()
        # Out of the pool: closing it closes the driver's connection, and the pool's limits
        # and counts are those of the connections it lends.
        self.connection.connection.detach()
        self.session = Session(bind=self.connection, expire_on_commit=False, autoflush=False)
        self.busy = False

    def release(self) -> None:
        """Ends what the read left open: its ORM objects, its transaction."""
        session = self.session
        if session.identity_map or session.in_transaction():
            session.close()
        if self.connection.in_transaction():
            self.connection.rollback()
        driver = self.connection.connection.dbapi_connection
        if getattr(driver, "in_transaction", False):  # a statement the driver began itself
            driver.rollback()  # type: ignore[union-attr]

    def close(self) -> None:
        """Closes the session and the driver's connection (errors are the connection's end)."""
        try:
            self.session.close()
            self.connection.close()
        except DATABASE_ERRORS:
            pass  # a broken connection is as closed as it will get


class _Readers(threading.local):
    def __init__(self) -> None:
        self.by_engine: dict[Engine, KeptReader] = {}


_READERS = _Readers()


def _reader(engine: Engine) -> KeptReader | None:
    """This thread's reader of ``engine``, made when missing; None while it serves a read."""
    kept = _READERS.by_engine
    reader = kept.get(engine)
    if reader is not None and reader.pool is not engine.pool:  # the engine was disposed
        del kept[engine]
        reader.close()
        reader = None
    if reader is None:
        idle = [e for e, r in kept.items() if not r.busy]  # a reader at work stays open
        for oldest in idle[: max(0, len(kept) + 1 - KEPT_PER_THREAD)]:
            kept.pop(oldest).close()
        reader = kept[engine] = KeptReader(engine)
    return None if reader.busy else reader


def _discard(engine: Engine, reader: KeptReader) -> None:
    if _READERS.by_engine.get(engine) is reader:
        del _READERS.by_engine[engine]
    reader.close()


@contextmanager
def kept_read(engine: Engine) -> Iterator[Session]:
    """A read-only session on this thread's kept connection to ``engine``; ``db.read_only``
    when that one is serving a read already (a read inside a read), or when the engine's
    reads do not run inline (a server's connection lives on; a read must not hold it)."""
    reader = _reader(engine) if reads_inline(engine) else None
    if reader is None:
        with read_only(engine) as session:
            yield session
        return
    reader.busy = True
    try:
        yield reader.session
    except DATABASE_ERRORS:
        _discard(engine, reader)
        raise
    except BaseException:
        _release(engine, reader, failing=True)
        raise
    else:
        _release(engine, reader)
    finally:
        reader.busy = False


def _release(engine: Engine, reader: KeptReader, *, failing: bool = False) -> None:
    """``reader.release()``; a reader that cannot be released is closed, and the error is
    raised unless the read is failing already (its own error is the one to answer)."""
    try:
        reader.release()
    except DATABASE_ERRORS:
        _discard(engine, reader)
        if not failing:
            raise
