"""Fixtures for mirror tests: an origin database and a mirror database of the other kind."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from app.db import make_engine


def _empty_postgres(url: str) -> None:
    engine = make_engine(url, pool=False)
    with engine.begin() as conn:
        tables = [
            r[0]
            for r in conn.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename NOT IN ('alembic_version', 'feed_state')"
                )
            )
        ]
        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        conn.execute(text("UPDATE feed_state SET value = 0"))
    engine.dispose()


def fresh_sqlite(template: Path, folder: Path, name: str) -> str:
    """A URL of a new migrated SQLite file in ``folder``."""
    db = folder / f"{name}.db"
    shutil.copyfile(template, db)
    return f"sqlite:///{db}"


@pytest.fixture
def origin_url(request: pytest.FixtureRequest, database_url: str, tmp_path: Path) -> str:
    """The origin's database: PostgreSQL when the mirror's is SQLite, and the other way round."""
    if database_url.startswith("sqlite"):
        url: str = request.getfixturevalue("pg_database")
        _empty_postgres(url)
        return url
    return fresh_sqlite(request.getfixturevalue("sqlite_template"), tmp_path, "origin")


@pytest.fixture
def origin_engine(origin_url: str) -> Iterator[Engine]:
    """An engine on the origin's database, for the test's own writes at the origin."""
    engine = make_engine(origin_url)
    yield engine
    engine.dispose()
