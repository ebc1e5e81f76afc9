"""Which engine a read goes to: a PostgreSQL read replica (``DATABASE_READ_URL``) or the primary.

Reads that need not see their own writes go to the replica; everything else (writes, token
lookups, a request that carries a bearer token, so that a writer reads what it wrote) goes
to the primary. A replica that fails with an outage (down, hung past the bounded waits of
``app.db_faults``, refusing) is left alone for ``RETRY_AFTER_S`` seconds while the primary
serves every read, and the read that saw the failure is run again on the primary: a reader
gets its answer, not a 503, as long as one of the two serves.
"""

import logging
import threading
import time
import weakref
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.engine import Engine

from app.db import has_replicas
from app.db_faults import DATABASE_ERRORS, RETRY_AFTER_S, unavailable_reason
from app.errors import FeedAhead

T = TypeVar("T")
log = logging.getLogger("app.replica")


def refuse_sqlite_replica(primary_url: str, read_url: str | None) -> None:
    """Raises ``ValueError`` when a read URL is given over SQLite, which has no replicas."""
    if read_url is None:
        return
    if not (has_replicas(primary_url) and has_replicas(read_url)):
        raise ValueError(
            "DATABASE_READ_URL names a PostgreSQL read replica; over SQLite readers already "
            "run beside the writer on the one file (WAL), so leave it unset"
        )


class ReadRoute:
    """The primary, and the replica reads go to while it serves."""

    # ``read()`` and the feed are handed an engine by many routes; the route behind a
    # replica engine is found from it, so none of them has to carry the route as well.
    _of_replica: "weakref.WeakKeyDictionary[Engine, ReadRoute]" = weakref.WeakKeyDictionary()

    def __init__(self, primary: Engine, replica: Engine | None = None) -> None:
        self.primary = primary
        self.replica = replica
        self._down_until = 0.0
        self._lock = threading.Lock()
        if replica is not None:
            ReadRoute._of_replica[replica] = self

    def engine(self) -> Engine:
        """The replica, unless there is none or it is resting after a failure."""
        if self.replica is None or time.monotonic() < self._down_until:
            return self.primary
        return self.replica

    def replica_failed(self, error: BaseException) -> None:
        """Sends reads to the primary for the next ``RETRY_AFTER_S`` seconds."""
        with self._lock:
            first = time.monotonic() >= self._down_until
            self._down_until = time.monotonic() + RETRY_AFTER_S
        if first:
            log.warning("read replica unavailable, reading from the primary: %r", error)

    @classmethod
    def of(cls, engine: Engine) -> "ReadRoute | None":
        """The route whose replica ``engine`` is (None for a primary or a lone engine)."""
        return cls._of_replica.get(engine)


def replica_failed(engine: Engine, error: BaseException) -> Engine | None:
    """The primary to read on instead, when ``engine`` is a replica that ``error`` shows
    cannot serve now (it then rests); None for any other engine or error."""
    route = ReadRoute.of(engine)
    if route is None or unavailable_reason(error) is None:
        return None
    route.replica_failed(error)
    return route.primary


def on_replica(engine: Engine, call: Callable[[Engine], T]) -> T:
    """``call(engine)``; if ``engine`` is a replica that cannot serve it, ``call(primary)``."""
    route = ReadRoute.of(engine)
    if route is None:
        return call(engine)
    try:
        return call(engine)
    except FeedAhead:
        # The reader was shown a newer seq than the replica holds (by the primary, during a
        # fallback or after a write of its own): the primary has it.
        return call(route.primary)
    except DATABASE_ERRORS as error:
        primary = replica_failed(engine, error)
        if primary is None:
            raise
        return call(primary)
