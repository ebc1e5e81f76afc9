"""Helpers of the write tests: a dump of the store to compare, and tokens."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from app.db import unit_of_work
from app.tokens import create_token

# The token table changes on every write (last_used_at); everything else is the store.
_NOT_STORE = {"api_token"}

StoreDump = dict[str, list[tuple[Any, ...]]]


def dump_store(engine: Engine) -> StoreDump:
    """Every row of every table but the tokens', sorted: equal dumps mean an equal store."""
    out: StoreDump = {}
    with engine.connect() as conn:
        for name, table in sorted(SQLModel.metadata.tables.items()):
            if name in _NOT_STORE:
                continue
            rows = conn.execute(select(table)).all()
            out[name] = sorted((tuple(row) for row in rows), key=repr)
    return out


def make_token(engine: Engine, name: str, scopes: list[str]) -> str:
    """A new token's secret."""
    with unit_of_work(engine) as session:
        return create_token(session, name=name, scopes=scopes)
