"""A database the service cannot use is a 503 with Retry-After on every route, never a 500."""

import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from mirror.processes import free_port
from sqlalchemy import exc, text
from sqlalchemy.engine import make_url

from app.api.deps import SessionDep
from app.config import Settings
from app.db import make_engine
from app.db_faults import DatabaseTimeout, DatabaseTimeouts, outage_reason, unavailable_reason
from app.main import create_app

BAR_S = 5.0


def _unreachable(database_url: str, tmp_path: Path) -> str:
    """The same kind of database, at a place nothing answers."""
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'no-such-folder' / 'corpus.db'}"
    return make_url(database_url).set(port=free_port()).render_as_string(hide_password=False)


@pytest.fixture
def unreachable_client(database_url: str, tmp_path: Path) -> Iterator[TestClient]:
    """A client of an app whose database cannot be reached."""
    app = create_app(Settings(database_url=_unreachable(database_url, tmp_path)))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
    app.state.engine.dispose()


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/articles"),
        ("GET", "/articles/gnews-1"),
        ("GET", "/articles/gnews-1/revisions"),
        ("GET", "/tags"),
        ("GET", "/search?q=%E8%8F%9C"),
        ("GET", "/feeds/articles.atom"),
        ("GET", "/changes"),
        ("GET", "/changes/digest"),
        ("GET", "/readyz"),
        ("DELETE", "/articles/gnews-1"),
        ("PUT", "/articles/gnews-1?path=content/gnews/1.md"),
    ],
)
def test_every_route_answers_503_with_retry_after(
    unreachable_client: TestClient, method: str, path: str
) -> None:
    started = time.monotonic()
    response = unreachable_client.request(
        method,
        path,
        headers={"Authorization": "Bearer corpus_x", "Content-Type": "text/markdown"},
        content=b"# t\n\nbody\n" if method == "PUT" else None,
    )
    assert time.monotonic() - started < BAR_S
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) > 0
    body = response.json()
    assert body["status"] == 503 and body["type"] == "/problems/service-unavailable"
    assert "try again later" in body["detail"]


def test_liveness_needs_no_database(unreachable_client: TestClient) -> None:
    # The spec documents a 503 on every operation but /healthz (app.api.spec.NO_DATABASE).
    assert unreachable_client.get("/healthz").status_code == 200


def test_the_spec_documents_the_503_and_its_retry_after(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path, item in spec["paths"].items():
        for operation in item.values():
            if operation["operationId"] == "healthz":
                assert "503" not in operation["responses"]
                continue
            documented = operation["responses"].get("503")
            assert documented is not None, path
            assert "Retry-After" in documented["headers"], path


def test_a_database_error_that_is_no_outage_stays_a_bug() -> None:
    integrity = exc.IntegrityError("INSERT", {}, psycopg.errors.UniqueViolation("dup"))
    assert unavailable_reason(integrity) is None
    serialization = exc.OperationalError("UPDATE", {}, psycopg.errors.SerializationFailure())
    # A retry helps there: the writes retry it, so it is no outage (but still a 503 at last).
    assert outage_reason(serialization) is None
    assert unavailable_reason(ValueError("x")) is None
    assert outage_reason(exc.TimeoutError("pool")) is not None
    timeout = exc.OperationalError("SELECT", {}, DatabaseTimeout("no answer"))
    assert outage_reason(timeout) == "the database gave no answer in time"


def test_a_statement_past_its_timeout_is_cancelled_by_the_server(pg_empty_database: str) -> None:
    """On a live server the server's own statement_timeout ends a long statement first, with
    a clean error, and the pooled connection stays usable (PostgreSQL: SQLite has none)."""
    engine = make_engine(
        pg_empty_database, timeouts=DatabaseTimeouts(connect_s=2, pool_s=2, statement_s=0.3)
    )
    try:
        with engine.connect() as conn:
            started = time.monotonic()
            with pytest.raises(exc.OperationalError) as raised:
                conn.execute(text("SELECT pg_sleep(5)"))
            assert time.monotonic() - started < 0.3 + 0.5
            assert outage_reason(raised.value) == "a database statement ran past its time limit"
            assert not raised.value.connection_invalidated
            conn.rollback()
            assert conn.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()


def test_a_read_whose_connection_is_lost_after_it_is_answered_is_still_answered(
    settings: Settings,
) -> None:
    """A GET's transaction ends after the route returned: a database lost by then must not
    drop the client's connection (it did: the failed commit came after the response began)."""
    app = create_app(settings)

    @app.get("/read-then-lose")
    def read_then_lose(session: SessionDep) -> dict[str, int]:
        value = session.execute(text("SELECT 1")).scalar_one()
        session.connection().connection.driver_connection.close()  # type: ignore[union-attr]
        return {"value": value}

    with TestClient(app) as client:
        response = client.get("/read-then-lose")
    app.state.engine.dispose()
    assert response.status_code == 200
    assert response.json() == {"value": 1}


def test_a_database_error_that_is_a_bug_is_still_a_500(settings: Settings) -> None:
    app = create_app(settings)

    @app.get("/bad-statement")
    def bad_statement(session: SessionDep) -> dict[str, int]:
        session.execute(text("SELECT * FROM no_such_table"))
        return {}

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/bad-statement")
    app.state.engine.dispose()
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "retry-after" not in response.headers
