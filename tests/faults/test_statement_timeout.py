"""A statement past ``CORPUS_DB_STATEMENT_TIMEOUT`` is ended and answered 503, on both databases.

PostgreSQL ends it itself (``statement_timeout``); SQLite has no such setting, so the
service's engine ends it from a progress handler (``db_faults.bound_sqlite_statements``).
A deliberately slow statement is run inside a read and inside a write (after the write has
stored the article in its transaction): both answer 503 problem+json with Retry-After in
about the bound, and the refused write leaves the store exactly as it was.
"""

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from api.factory import ArticleSpec, add_articles
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session
from writes.store import dump_store, make_token

from app.api import articles as article_routes
from app.config import Settings
from app.db import dialect_name
from app.main import create_app
from app.writes import article as article_writes

BOUND_S = 0.5
# Either runs for tens of seconds unless ended: a test without the bound fails on time.
SLOW = {
    "sqlite": "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
    "WHERE x < 500000000) SELECT count(*) FROM c",
    "postgresql": "SELECT pg_sleep(60)",
}


@pytest.fixture
def bounded_client(database_url: str) -> Iterator[TestClient]:
    """A client of an app whose statements may run ``BOUND_S`` seconds."""
    settings = Settings(
        database_url=database_url, rate_limits_enabled=False, db_statement_timeout=BOUND_S
    )
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
    app.state.engine.dispose()


def _slow_first(real: Callable[..., Any]) -> Callable[..., Any]:
    """``real``, run after a statement that would take tens of seconds on the session."""

    def slowed(session: Session, *args: Any, **kwargs: Any) -> Any:
        session.execute(text(SLOW[dialect_name(session)]))
        return real(session, *args, **kwargs)

    return slowed


def _assert_timed_out(response: Any, seconds: float) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) > 0
    assert "ran past its time limit" in response.json()["detail"]
    assert seconds < BOUND_S + 2.5, seconds


def test_a_slow_read_is_ended_and_answered_503(
    engine: Engine, bounded_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    [article_id] = add_articles(engine, [ArticleSpec(title="慢查询")])
    real = article_routes.queries.article_json
    monkeypatch.setattr(article_routes.queries, "article_json", _slow_first(real))
    started = time.monotonic()
    response = bounded_client.get(f"/articles/{article_id}")
    _assert_timed_out(response, time.monotonic() - started)
    monkeypatch.setattr(article_routes.queries, "article_json", real)
    assert bounded_client.get(f"/articles/{article_id}").status_code == 200  # pool still good


def test_a_slow_write_is_ended_answered_503_and_leaves_the_store_as_it_was(
    engine: Engine, bounded_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    [article_id] = add_articles(engine, [ArticleSpec(title="旧标题")])
    token = make_token(engine, "editor", ["write"])
    before = dump_store(engine)
    monkeypatch.setattr(article_writes, "mark_used", _slow_first(article_writes.mark_used))
    started = time.monotonic()
    response = bounded_client.put(
        f"/articles/{article_id}",
        content="# 新标题\n\n正文。\n".encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "text/markdown"},
    )
    _assert_timed_out(response, time.monotonic() - started)
    assert dump_store(engine) == before
