"""Fixtures of the write tests: a write token and its headers."""

import pytest
from sqlalchemy.engine import Engine

from writes.store import make_token


@pytest.fixture
def write_token(engine: Engine) -> str:
    """The secret of a live token with the write scope."""
    return make_token(engine, "editor", ["write"])


@pytest.fixture
def auth(write_token: str) -> dict[str, str]:
    """Headers carrying the write token."""
    return {"Authorization": f"Bearer {write_token}"}
