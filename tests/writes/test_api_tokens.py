"""Tokens: shown once, stored as a hash, checked, listed and revoked; the CLI commands."""

import hashlib
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from app.api_tokens import TokenError, create_token, find_token, list_tokens, revoke_token
from app.cli import cli
from app.config import get_settings
from app.db import unit_of_work
from app.models import ApiToken
from writes.store import make_token


def test_only_the_hash_of_a_token_is_stored(engine: Engine) -> None:
    secret = make_token(engine, "anna", ["write"])
    with engine.connect() as conn:
        rows = conn.execute(select(ApiToken.__table__)).mappings().all()  # type: ignore[attr-defined]
    assert len(rows) == 1
    assert rows[0]["token_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert all(secret not in str(value) for value in rows[0].values())


def test_find_token_knows_the_secret_and_nothing_else(engine: Engine) -> None:
    secret = make_token(engine, "anna", ["write"])
    with unit_of_work(engine) as session:
        found = find_token(session, secret)
        assert found is not None and found.name == "anna" and found.allows("write")
        assert find_token(session, secret + "x") is None
        assert find_token(session, secret[:-1]) is None
        assert find_token(session, "") is None


def test_a_revoked_token_no_longer_allows_writes(engine: Engine) -> None:
    secret = make_token(engine, "anna", ["write"])
    with unit_of_work(engine) as session:
        revoke_token(session, "anna")
    with unit_of_work(engine) as session:
        found = find_token(session, secret)
    assert found is not None and found.revoked_at is not None
    assert not found.allows("write")


def test_a_read_token_does_not_allow_writes(engine: Engine) -> None:
    secret = make_token(engine, "reader", ["read"])
    with unit_of_work(engine) as session:
        found = find_token(session, secret)
    assert found is not None and not found.allows("write")


def test_names_are_unique_among_live_tokens_and_reusable_after_revoking(engine: Engine) -> None:
    first = make_token(engine, "anna", ["write"])
    with pytest.raises(TokenError), unit_of_work(engine) as session:
        create_token(session, name="anna", scopes=["write"])
    with unit_of_work(engine) as session:
        revoke_token(session, "anna")
    second = make_token(engine, "anna", ["write"])
    with unit_of_work(engine) as session:
        assert find_token(session, first) is None
        found = find_token(session, second)
        assert found is not None and found.allows("write")
        assert [t.name for t in list_tokens(session)] == ["anna"]


@pytest.mark.parametrize("scopes", [["admin"], []])
def test_unknown_scopes_are_refused(engine: Engine, scopes: list[str]) -> None:
    with pytest.raises(TokenError), unit_of_work(engine) as session:
        create_token(session, name="x", scopes=scopes)
    with unit_of_work(engine) as session:
        assert list_tokens(session) == []


def test_revoking_an_unknown_name_is_an_error(engine: Engine) -> None:
    with pytest.raises(TokenError), unit_of_work(engine) as session:
        revoke_token(session, "nobody")


@pytest.fixture
def cli_env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Points the CLI's settings at the test's database."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_cli_create_prints_the_token_once_then_list_and_revoke(
    cli_env: None, engine: Engine
) -> None:
    runner = CliRunner()
    created = runner.invoke(cli, ["token", "create", "--name", "anna"])
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip().splitlines()[0]
    assert secret.startswith("corpus_")
    with unit_of_work(engine) as session:
        found = find_token(session, secret)
    assert found is not None and found.scopes == ("write",)

    listed = runner.invoke(cli, ["token", "list"])
    assert listed.exit_code == 0
    assert "anna" in listed.stdout and secret not in listed.stdout

    revoked = runner.invoke(cli, ["token", "revoke", "anna"])
    assert revoked.exit_code == 0
    with unit_of_work(engine) as session:
        found = find_token(session, secret)
    assert found is not None and found.revoked_at is not None

    missing = runner.invoke(cli, ["token", "revoke", "nobody"])
    assert missing.exit_code == 1


def test_cli_create_refuses_an_unknown_scope(cli_env: None, engine: Engine) -> None:
    result = CliRunner().invoke(cli, ["token", "create", "--name", "x", "--scope", "admin"])
    assert result.exit_code == 2
    with unit_of_work(engine) as session:
        assert list_tokens(session) == []
