"""Helpers of the write tests: a dump of the store to compare, and tokens."""

from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from app.api_tokens import create_token
from app.db import unit_of_work

# The token table changes on every write (last_used_at); everything else is the store,
# search index tables included (they are not all in the models).
_NOT_STORE = {"api_token", "alembic_version"}

StoreDump = dict[str, list[tuple[Any, ...]]]


def dump_store(engine: Engine) -> StoreDump:
    """Every row of every table but the tokens', sorted: equal dumps mean an equal store."""
    out: StoreDump = {}
    names = sorted(set(inspect(engine).get_table_names()) - _NOT_STORE)
    with engine.connect() as conn:
        for name in names:
            rows = conn.execute(text(f'SELECT * FROM "{name}"')).all()
            out[name] = sorted((tuple(row) for row in rows), key=repr)
    return out


def make_token(engine: Engine, name: str, scopes: list[str]) -> str:
    """A new token's secret."""
    with unit_of_work(engine) as session:
        return create_token(session, name=name, scopes=scopes)
