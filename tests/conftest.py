"""Fixtures: every database test runs on SQLite and on PostgreSQL.

The schema is built with ``alembic upgrade head`` once per database per test process; each
test gets a fresh copy (SQLite: a copied file) or a truncated one (PostgreSQL).
"""

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import spec_fuzzing
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine

from app.config import Settings, get_settings
from app.db import make_engine
from app.main import create_app
from app.migrate import upgrade_to_head

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("CORPUS_SHARED", REPO.parent / "shared"))
SAMPLE = SHARED / "corpus" / "sample"
PG_SERVER = os.environ.get("CORPUS_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"

# Tables emptied between PostgreSQL tests; alembic_version and the counters' rows stay.
_DATA_TABLES = None


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    """The corpus sample folder from ../shared (never copied into the repo)."""
    if not SAMPLE.is_dir():
        pytest.fail(f"corpus sample not found at {SAMPLE}; set CORPUS_SHARED")
    return SAMPLE


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head, copied for each test."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    upgrade_to_head(f"sqlite:///{path}")
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as conn:  # fold the WAL into the file so a copy is complete
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A PostgreSQL database of this test process, migrated to head, dropped at the end."""
    name = f"corpus_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(PG_SERVER, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        message = f"PostgreSQL unreachable at {PG_SERVER}: {exc}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = PG_SERVER.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"
    upgrade_to_head(url)
    yield url
    with psycopg.connect(PG_SERVER, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _reset_postgres(url: str) -> None:
    engine = make_engine(url, pool=False)
    with engine.begin() as conn:
        tables = [
            row[0]
            for row in conn.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename NOT IN ('alembic_version', 'feed_state')"
                )
            )
        ]
        if tables:
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        conn.execute(text("UPDATE feed_state SET value = 0"))
    engine.dispose()


@pytest.fixture
def pg_empty_database(pg_database: str) -> str:
    """This process's PostgreSQL database, emptied of every row (schema and counters kept)."""
    _reset_postgres(pg_database)
    return pg_database


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty, migrated database: once SQLite, once PostgreSQL."""
    if request.param == "sqlite":
        db = tmp_path / "corpus.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), db)
        yield f"sqlite:///{db}"
        return
    yield request.getfixturevalue("pg_empty_database")


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on the test's database."""
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture
def env_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The test's database in ``DATABASE_URL``, as a user's shell gives it to a command."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield database_url
    get_settings.cache_clear()


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Settings pointing at the test's database, rate limits off (tests/api/test_rate_limits.py)."""
    # A test's requests are counted by what it checks, not by a bucket it may happen to empty.
    return Settings(database_url=database_url, rate_limits_enabled=False)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """An HTTP client on an app over the test's database."""
    app = create_app(settings)
    with TestClient(app) as c:
        yield c
    app.state.engine.dispose()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Says how many requests the spec fuzzing made in this process (tests/spec_fuzzing.py)."""
    if spec_fuzzing.REQUESTS:
        total = sum(spec_fuzzing.REQUESTS.values())
        terminalreporter.write_line(
            f"schemathesis: {total} requests over {len(spec_fuzzing.REQUESTS)} operations"
        )
