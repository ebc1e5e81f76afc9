"""Which index PostgreSQL's search chunks get (migration 0014): RUM where the server has the
extension and ``CORPUS_PG_SEARCH_RUM`` allows it, core PostgreSQL's GIN otherwise.

Run the search tests both ways: ``CORPUS_PG_SEARCH_RUM=false`` builds the test databases
with GIN. Under ``CI=true`` with the setting on, a missing extension fails (``.ci/run``
installs ``postgresql-15-rum``), as a missing Chromium does.
"""

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from alembic import command
from conftest import IN_CI, PG_SERVER
from sqlalchemy.engine import Engine

from app.config import get_settings
from app.db import make_engine
from app.migrate import alembic_config, upgrade_to_head
from app.search import postgres_index
from search.conftest import chunk_index


def _expected(engine: Engine) -> tuple[str, str]:
    with engine.connect() as conn:
        rum = get_settings().pg_search_rum and postgres_index.rum_available(conn)
    return (postgres_index.RUM_INDEX, "rum") if rum else (postgres_index.GIN_INDEX, "gin")


def test_postgres_chunks_have_the_index_the_server_allows(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("only PostgreSQL's chunks have a choice of index")
    assert chunk_index(engine) == _expected(engine)
    if IN_CI and get_settings().pg_search_rum:
        assert chunk_index(engine) == (postgres_index.RUM_INDEX, "rum"), (
            "the rum extension is missing: apt-get install postgresql-15-rum (.ci/run)"
        )


@pytest.fixture
def scratch_database() -> Iterator[str]:
    """A database of its own, migrated to head: this test moves it up and down."""
    name = f"corpus_test_rum_{uuid.uuid4().hex[:10]}"
    try:
        admin = psycopg.connect(PG_SERVER, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        if IN_CI:
            pytest.fail(f"PostgreSQL unreachable at {PG_SERVER}: {exc}")
        pytest.skip(f"PostgreSQL unreachable at {PG_SERVER}: {exc}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = PG_SERVER.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"
    try:
        upgrade_to_head(url)
        yield url
    finally:
        with psycopg.connect(PG_SERVER, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _migrate(url: str, revision: str, *, rum: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORPUS_PG_SEARCH_RUM", "true" if rum else "false")
    get_settings.cache_clear()
    try:
        if revision == "0013":
            command.downgrade(alembic_config(url), revision)
        else:
            command.upgrade(alembic_config(url), revision)
    finally:
        get_settings.cache_clear()


def _has_rum(engine: Engine) -> bool:
    with engine.connect() as conn:
        return postgres_index.rum_available(conn)


def test_migration_0014_builds_rum_only_when_asked_and_goes_back_to_gin(
    scratch_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(scratch_database, pool=False)
    try:
        if not _has_rum(engine):
            pytest.skip("the rum extension is not available on this server")
        _migrate(scratch_database, "0013", rum=True, monkeypatch=monkeypatch)
        assert chunk_index(engine) == (postgres_index.GIN_INDEX, "gin")
        _migrate(scratch_database, "0014", rum=False, monkeypatch=monkeypatch)
        assert chunk_index(engine) == (postgres_index.GIN_INDEX, "gin")
        _migrate(scratch_database, "0013", rum=False, monkeypatch=monkeypatch)
        assert chunk_index(engine) == (postgres_index.GIN_INDEX, "gin")
        _migrate(scratch_database, "0014", rum=True, monkeypatch=monkeypatch)
        assert chunk_index(engine) == (postgres_index.RUM_INDEX, "rum")
        _migrate(scratch_database, "0013", rum=True, monkeypatch=monkeypatch)
        assert chunk_index(engine) == (postgres_index.GIN_INDEX, "gin")
    finally:
        engine.dispose()


def test_failed_migration_0014_leaves_gin_and_no_extension(
    scratch_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The RUM index cannot be created (its name is taken): the whole migration rolls back,
    the GIN index, the revision and the database's extensions as they were."""
    engine = make_engine(scratch_database, pool=False)
    try:
        if not _has_rum(engine):
            pytest.skip("the rum extension is not available on this server")
        _migrate(scratch_database, "0013", rum=True, monkeypatch=monkeypatch)
        with engine.begin() as conn:
            conn.exec_driver_sql("DROP EXTENSION IF EXISTS rum")
            conn.exec_driver_sql(f"CREATE TABLE {postgres_index.RUM_INDEX} (x int)")

        def state() -> tuple[object, ...]:
            with engine.connect() as conn:
                revision = conn.exec_driver_sql("SELECT version_num FROM alembic_version")
                extensions = conn.exec_driver_sql("SELECT extname FROM pg_extension ORDER BY 1")
                return (
                    revision.scalar_one(),
                    tuple(extensions.scalars()),
                    chunk_index(engine),
                )

        before = state()
        assert before[0] == "0013" and before[2] == (postgres_index.GIN_INDEX, "gin")
        with pytest.raises(Exception, match=postgres_index.RUM_INDEX):
            _migrate(scratch_database, "0014", rum=True, monkeypatch=monkeypatch)
        assert state() == before
    finally:
        engine.dispose()
