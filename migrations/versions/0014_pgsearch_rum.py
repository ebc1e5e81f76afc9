"""search on PostgreSQL: the chunks under a RUM index (positions in the index) where the
server has the extension

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08

A phrase of common characters (``是你``) was matched by GIN in every chunk holding both
characters, and each of them was read to check the phrase. RUM (the ``rum`` extension,
Debian's ``postgresql-15-rum``) keeps each lexeme's positions in its posting lists and
decides a ``<->`` phrase in the index. It replaces the GIN index when the extension can be
had (``postgres_index.rum_available``) and ``CORPUS_PG_SEARCH_RUM`` is not false; otherwise
GIN stays, and search works the same, scores and all. Which index is built is decided here,
once: a server that gains the extension later keeps GIN until a downgrade and upgrade.
SQLite is unchanged.
"""

import logging
from collections.abc import Sequence

from alembic import op

from app.config import get_settings
from app.search import postgres_index

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_log = logging.getLogger("alembic.runtime.migration")


def upgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name != "postgresql":
        return
    if not get_settings().pg_search_rum:
        _log.info("search index: GIN (CORPUS_PG_SEARCH_RUM is false)")
        return
    if not postgres_index.rum_available(connection):
        _log.info("search index: GIN (the rum extension is not available to this role)")
        return
    postgres_index.index_with_rum(connection)


def downgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name != "postgresql":
        return
    found = connection.exec_driver_sql(
        "SELECT 1 FROM pg_indexes WHERE indexname = %(name)s", {"name": postgres_index.RUM_INDEX}
    ).first()
    if found is not None:
        postgres_index.index_with_gin(connection)
