"""The schema exists only through migrations: models and migrations must agree."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from app import models  # noqa: F401  (registers the tables)


def test_models_match_migrations(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
    # Tables the search backends create by hand (FTS5 virtual tables and their shadows)
    # are not models; the search migration owns them.
    diff = [d for d in diff if not _is_search_table(d)]
    assert diff == []


def _is_search_table(entry: object) -> bool:
    text = repr(entry)
    return "search" in text or "fts" in text
