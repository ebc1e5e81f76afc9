"""The bearer check: 401 without a valid token, 403 without the scope, no token in the logs."""

import logging
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.api.auth import WriteToken
from app.api.problems import install_problem_handlers
from app.api_tokens import revoke_token
from app.config import Settings
from app.db import unit_of_work
from writes.store import make_token


@pytest.fixture
def guarded(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    """An app with one route behind the write check."""
    app = FastAPI()
    app.state.settings = settings
    app.state.engine = engine
    install_problem_handlers(app)

    @app.post("/guarded")
    def guarded_route(token: WriteToken) -> dict[str, str]:
        return {"token": token.name}

    with TestClient(app) as client:
        yield client


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_a_write_token_passes(guarded: TestClient, engine: Engine) -> None:
    secret = make_token(engine, "anna", ["write"])
    r = guarded.post("/guarded", headers=_bearer(secret))
    assert r.status_code == 200
    assert r.json() == {"token": "anna"}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": ""},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic YW5uYTpzZWNyZXQ="},
        {"Authorization": "Bearer corpus_not-a-token"},
    ],
    ids=["none", "empty", "no-credentials", "basic", "unknown"],
)
def test_no_valid_token_is_401_with_a_challenge(
    guarded: TestClient, engine: Engine, headers: dict[str, str]
) -> None:
    make_token(engine, "anna", ["write"])
    r = guarded.post("/guarded", headers=headers)
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert r.json()["status"] == 401


def test_a_revoked_token_is_401(guarded: TestClient, engine: Engine) -> None:
    secret = make_token(engine, "anna", ["write"])
    with unit_of_work(engine) as session:
        revoke_token(session, "anna")
    r = guarded.post("/guarded", headers=_bearer(secret))
    assert r.status_code == 401
    assert 'error="invalid_token"' in r.headers["www-authenticate"]


def test_a_token_without_the_write_scope_is_403(guarded: TestClient, engine: Engine) -> None:
    secret = make_token(engine, "reader", ["read"])
    r = guarded.post("/guarded", headers=_bearer(secret))
    assert r.status_code == 403
    assert r.headers["content-type"] == "application/problem+json"
    assert 'error="insufficient_scope"' in r.headers["www-authenticate"]


def test_failed_attempts_are_logged_without_the_token(
    guarded: TestClient, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    reader = make_token(engine, "reader", ["read"])
    revoked = make_token(engine, "gone", ["write"])
    with unit_of_work(engine) as session:
        revoke_token(session, "gone")
    unknown = "corpus_" + "x" * 43
    with caplog.at_level(logging.WARNING, logger="app.auth"):
        for secret in (reader, revoked, unknown):
            guarded.post("/guarded", headers=_bearer(secret))
        guarded.post("/guarded")
    messages = [r.getMessage() for r in caplog.records if r.name == "app.auth"]
    assert len(messages) == 4
    assert all("write refused" in m and "/guarded" in m for m in messages)
    logged = "\n".join(messages)
    for secret in (reader, revoked, unknown):
        assert secret not in logged
        assert secret[len("corpus_") :][:12] not in logged
    assert "'reader'" in logged and "'gone'" in logged
