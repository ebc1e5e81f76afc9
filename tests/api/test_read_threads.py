"""Where a read runs: on the event loop on SQLite, in a worker thread on PostgreSQL.

Under the soak's 64 connections a read sent to a thread on SQLite waited for the GIL every
time its driver stepped a row while the event loop's thread held it: /search and /tags took
0.4-1.2 s at p50 for a few milliseconds of work.
"""

from collections.abc import Callable
from typing import Any

import anyio.to_thread
import pytest
from fastapi.testclient import TestClient
from search.conftest import Doc, add_docs
from sqlalchemy.engine import Engine

from app.api.deps import SEARCH_THREADS
from app.db import reads_inline


@pytest.fixture
def thread_limiters(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The limiter of every call into a worker thread while the test runs (None: the default)."""
    seen: list[Any] = []
    run_sync = anyio.to_thread.run_sync

    async def counted(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        seen.append(kwargs.get("limiter"))
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
