"""Fixtures for mirror tests: an origin database and a mirror database of the other kind."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from app.db import make_engine


def fresh_sqlite(template: Path, folder: Path, name: str) -> str:
    """A URL of a new migrated SQLite file in ``folder``."""
    db = folder / f"{name}.db"
    shutil.copyfile(template, db)
    return f"sqlite:///{db}"


@pytest.fixture
def origin_url(request: pytest.FixtureRequest, database_url: str, tmp_path: Path) -> str:
    """The origin's database: PostgreSQL when the mirror's is SQLite, and the other way round."""
    if database_url.startswith("sqlite"):
        url: str = request.getfixturevalue("pg_empty_database")
        return url
    return fresh_sqlite(request.getfixturevalue("sqlite_template"), tmp_path, "origin")


@pytest.fixture
def origin_engine(origin_url: str) -> Iterator[Engine]:
    """An engine on the origin's database, for the test's own writes at the origin."""
    engine = make_engine(origin_url)
    yield engine
    engine.dispose()
