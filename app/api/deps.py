"""Dependencies shared by the routers."""

import logging
from collections.abc import AsyncIterator, Callable
from typing import Annotated, TypeVar

from anyio import CapacityLimiter, move_on_after, to_thread
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import exc
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.config import Settings
from app.db import read_only, reads_inline, unit_of_work
from app.db_faults import DATABASE_ERRORS
from app.kept_reads import kept_read
from app.replica import ReadRoute, on_replica, replica_failed

T = TypeVar("T")
log = logging.getLogger("app.errors")

# Methods that never write: their transaction has nothing to commit.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# The pure dependencies are ``async``: FastAPI runs a plain ``def`` one in a worker thread,
# and a hop to a thread and back costs more than they do.


def engine_of(request: Request) -> Engine:
    """The engine this request reads and writes on (the hottest reads ask for it, not a
    dependency: each dependency FastAPI solves costs more than this does).

    The primary for writes and for a request with a bearer token (a writer reads its own
    writes; the token is not looked up, reads being public), else the read replica when
    ``DATABASE_READ_URL`` names one and it serves (``app.replica``).
    """
    if request.method not in SAFE_METHODS or "authorization" in request.headers:
        primary: Engine = request.app.state.engine
        return primary
    route: ReadRoute = request.app.state.read_route
    return route.engine()


def settings_of(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


async def get_feed_engine(request: Request) -> Engine:
    """The engine the change feed reads on: the read replica whenever it serves, a token or
    not (a mirror's token must not move its reads to the primary). The feed is a committed
    prefix of the primary's at any lag, and a reader ahead of the replica is answered by the
    primary (``app.errors.FeedAhead``)."""
    route: ReadRoute = request.app.state.read_route
    return route.engine()


async def get_engine(request: Request) -> Engine:
    """The engine the app was created with."""
    return engine_of(request)


async def get_settings_dep(request: Request) -> Settings:
    """The settings the app was created with."""
    return settings_of(request)


async def get_db(
    request: Request, engine: Annotated[Engine, Depends(get_engine)]
) -> AsyncIterator[Session]:
    """One session per request; it owns the transaction: commit on success, roll back on error.

    Query and ingest code called from a route never commits by itself. Opening the session
    does no I/O, so it happens here on the event loop; its end (commit or roll back) runs in
    a worker thread, one hop instead of the two a plain generator dependency costs. A read
    (GET) is not committed but handed back to the pool, whose reset ends it: a database
    lost after the read was answered must not turn a complete answer into a dropped
    connection (a failed commit here comes after the response has started).
    """
    if request.method in SAFE_METHODS:
        session = Session(engine, expire_on_commit=False)
        try:
            yield session
        except DATABASE_ERRORS as exc:
            replica_failed(engine, exc)  # this answer is a 503; the next reads the primary
            raise
        finally:
            try:
                await run_in_threadpool(session.close)
            except DATABASE_ERRORS as exc:  # the connection is discarded; the answer stands
                log.warning("ending a read on %s failed: %r", request.url.path, exc)
        return
    work = unit_of_work(engine)
    session = work.__enter__()
    try:
        yield session
    except BaseException as exc:
        if not await run_in_threadpool(work.__exit__, type(exc), exc, exc.__traceback__):
            raise
    else:
        await run_in_threadpool(work.__exit__, None, None, None)


SessionDep = Annotated[Session, Depends(get_db)]
EngineDep = Annotated[Engine, Depends(get_engine)]
FeedEngineDep = Annotated[Engine, Depends(get_feed_engine)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


# Searches sort every hit of their terms (tens of thousands for a common one): where they run
# in threads (PostgreSQL), each one at work holds its own sorter's memory, so a few at a time
# share the cores and the rest wait, rather than sixteen at once holding sixteen.
SEARCH_THREADS = CapacityLimiter(2)
# A list whose matches are sorted before its page is cut (a tag's, an author's; see
# ``listing.sorts_first``) takes milliseconds: on PostgreSQL in threads, while the loop serves
# the rest (on SQLite inline, like searches: see ``read``).
SORTING_THREADS = CapacityLimiter(4)


async def read(
    engine: Engine, work: Callable[[Session], T], *, threads: CapacityLimiter | None = None
) -> T:
    """``work(session)`` in a read-only session: inline on SQLite, in a thread elsewhere.

    The read endpoints are ``async`` and call this rather than taking ``SessionDep``, so a
    SQLite read costs no thread hop at all (see ``db.reads_inline``) nor a pool round trip
    (``app.kept_reads``). Elsewhere a long read gives ``threads``: it runs in a worker thread,
    as many at once as that limiter allows.

    On SQLite a long read (a search of a common word: ~10-70 ms on the dev archive, a tag's
    sorted page: ~5 ms) runs inline too. In a thread it took ~95 ms of wall time under the
    soak's load for ~10 ms of work: the driver lets the GIL go for every row it steps, and each
    time the thread waited for the event loop's thread to hand it back (5 ms switch interval),
    while every request that queued behind the limiter waited for all of that (search p50
    1.2 s). Inline, each read holds the loop only for its own work and requests are served in
    arrival order.
    """

    def on(chosen: Engine) -> T:
        with read_only(chosen) as session:
            return work(session)

    def run() -> T:
        return on_replica(engine, on)

    if reads_inline(engine):
        # SQLite, which has no replicas (``replica.refuse_sqlite_replica``): on the
        # connection this thread keeps, without a pool round trip.
        with kept_read(engine) as session:
            return work(session)
    if threads is not None:
        return await _in_thread_of(threads, run, _slot_wait_s(engine))
    return await run_in_threadpool(run)


def _slot_wait_s(engine: Engine) -> float | None:
    """How long a read may wait for a thread of its limiter: as long as for a pooled
    connection (``CORPUS_DB_POOL_TIMEOUT``; None for a pool without a wait, unbounded)."""
    timeout = getattr(engine.pool, "timeout", None)
    return float(timeout()) if callable(timeout) else None


async def _in_thread_of(threads: CapacityLimiter, run: Callable[[], T], wait_s: float | None) -> T:
    """``run()`` in a worker thread once one of ``threads``' slots is free, waiting for a slot
    at most ``wait_s``: past it, the same ``TimeoutError`` as an empty pool (a 503).

    Without the bound a hung database held both search slots for a statement timeout each
    while the searches queued behind them waited for those and then for their own: 5.9 s
    during a hang (``bench/faults.py``), past the 5 s that every request must be answered in.
    """
    with move_on_after(wait_s) as waiting:
        await threads.acquire()  # cancelled while waiting, it holds no slot
    if waiting.cancelled_caught:
        raise exc.TimeoutError(f"no thread for the read became free within {wait_s} s")
    try:
        return await to_thread.run_sync(run)
    finally:
        threads.release()
