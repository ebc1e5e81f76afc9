"""Fixtures of the write tests: a write token, clients with chosen limits, a seeded store."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.config import Settings
from app.main import create_app
from writes.articles import article_bytes, gnews_path, tar_archive
from writes.store import dump_store, make_token


@pytest.fixture
def write_token(engine: Engine) -> str:
    """The secret of a live token with the write scope."""
    return make_token(engine, "editor", ["write"])


@pytest.fixture
def auth(write_token: str) -> dict[str, str]:
    """Headers carrying the write token."""
    return {"Authorization": f"Bearer {write_token}"}


@pytest.fixture
def client_with(database_url: str) -> Iterator[Callable[..., TestClient]]:
    """Makes a client on the test's database with some settings changed (limits...)."""
    opened: list[tuple[TestClient, Any]] = []

    def make(**changes: Any) -> TestClient:
        app = create_app(Settings(database_url=database_url, **changes))
        client = TestClient(app)
        client.__enter__()
        opened.append((client, app))
        return client

    yield make
    for client, app in opened:
        client.__exit__(None, None, None)
        app.state.engine.dispose()


@pytest.fixture
def seeded(client: TestClient, auth: dict[str, str]) -> list[str]:
    """Three articles stored through an upload, so the store and feed are not empty."""
    archive = tar_archive((gnews_path(n), article_bytes(n)) for n in (101, 102, 103))
    r = client.post("/articles", headers=auth, files=[("file", ("seed.tar.gz", archive))])
    assert r.status_code == 200, r.text
    assert r.json()["counts"]["added"] == 3
    return ["gnews-101", "gnews-102", "gnews-103"]


Snapshot = tuple[Any, Any]


@pytest.fixture
def snapshot(client: TestClient, engine: Engine) -> Callable[[], Snapshot]:
    """Call for the store's rows and the feed's digest; equal snapshots mean nothing changed."""

    def take() -> Snapshot:
        digest = client.get("/changes/digest")
        assert digest.status_code == 200, digest.text
        return dump_store(engine), digest.json()

    return take
