"""BM25 on PostgreSQL: each article's length in tokens, and chunk heads marked for counting

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26

Ranking on PostgreSQL becomes the BM25 SQLite's FTS5 computes (app/search/ranking.py), which
needs each article's length in tokens and an exact count of each term's occurrences: a
chunk's head, the positions it repeats from the chunk before, now carries weight B so that
no occurrence counts twice. The rebuild re-tokenises every stored text. SQLite is unchanged.
"""
from collections.abc import Sequence

from alembic import op

from app.search import postgres_index

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # Narrow on purpose: the number of articles and their mean length are read per query.
    op.execute(
        "CREATE TABLE article_search_length ("
        " article_id VARCHAR(300) PRIMARY KEY REFERENCES article(id) ON DELETE CASCADE,"
        " token_count INTEGER NOT NULL)"
    )
    postgres_index.rebuild(op.get_bind())


def downgrade() -> None:
    # The weight marks in the chunks mean nothing to the older ranking: they stay.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE article_search_length")
