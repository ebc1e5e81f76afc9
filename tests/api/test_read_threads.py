"""Where a read runs: on the event loop on SQLite, in a worker thread on PostgreSQL.

Under the soak's 64 connections a read sent to a thread on SQLite waited for the GIL every
time its driver stepped a row while the event loop's thread held it: /search and /tags took
0.4-1.2 s at p50 for a few milliseconds of work.
"""

import threading
import time
from collections.abc import Callable
from typing import Any

import anyio.to_thread
import pytest
from fastapi.testclient import TestClient
from search.conftest import Doc, add_docs
from sqlalchemy.engine import Engine

from app.api.deps import SEARCH_THREADS, SORTING_THREADS
from app.db import reads_inline


@pytest.fixture
def thread_limiters(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The limiter of every call into a worker thread while the test runs (None: the default)."""
    seen: list[Any] = []
    run_sync = anyio.to_thread.run_sync

    async def counted(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        # A read of a limited kind holds its limiter's slot while it is handed to the thread.
        held = [limiter for limiter in (SEARCH_THREADS, SORTING_THREADS) if limiter.borrowed_tokens]
        seen.append(kwargs.get("limiter") or (held[0] if held else None))
        return await run_sync(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
    return seen


@pytest.mark.parametrize(
    ("path", "limiter"),
    [
        ("/search?q=%E7%BE%8E%E5%9B%BD", SEARCH_THREADS),  # 美国
        ("/tags?limit=5", None),
        ("/tags?limit=5&total=true", None),
    ],
)
def test_a_read_runs_inline_on_sqlite_and_in_a_thread_elsewhere(
    client: TestClient, engine: Engine, thread_limiters: list[Any], path: str, limiter: Any
) -> None:
    add_docs(engine, [Doc("美国大选", "美国的选举", tags=[("美国", "entity")])])
    thread_limiters.clear()  # only the request's own
    response = client.get(path)
    assert response.status_code == 200, response.text
    assert response.json()["items"]
    if reads_inline(engine):
        assert thread_limiters == []
    else:
        assert thread_limiters == [limiter]


def test_a_read_waits_for_a_busy_limiter_no_longer_than_for_the_pool(
    client: TestClient, engine: Engine
) -> None:
    """Both search slots held (searches stuck on a hung database): another search answers 503
    after the pool's wait (1 s by default), not after the stuck ones' timeouts and its own."""
    add_docs(engine, [Doc("美国大选", "美国的选举", tags=[("美国", "entity")])])
    holders = [object() for _ in range(int(SEARCH_THREADS.total_tokens))]
    portal = client.portal  # type: ignore[attr-defined]
    for holder in holders:
        portal.call(SEARCH_THREADS.acquire_on_behalf_of_nowait, holder)

    released = threading.Lock()

    def release() -> None:
        if released.acquire(blocking=False):  # once, by the timer or after the request
            for holder in holders:
                portal.call(SEARCH_THREADS.release_on_behalf_of, holder)

    # The stuck searches end after 5 s: a search that waited for them answers 200, late.
    stuck = threading.Timer(5.0, release)
    stuck.start()
    try:
        started = time.monotonic()
        response = client.get("/search?q=%E7%BE%8E%E5%9B%BD")
        waited = time.monotonic() - started
    finally:
        stuck.cancel()
        stuck.join()
        release()
    if reads_inline(engine):  # SQLite reads inline: no slot to wait for
        assert response.status_code == 200, response.text
        return
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"]
    assert 0.9 < waited < 3.0
    assert client.get("/search?q=%E7%BE%8E%E5%9B%BD").status_code == 200  # slots free again
