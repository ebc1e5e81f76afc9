"""search index: FTS5 on SQLite, tsvector chunks under GIN on PostgreSQL

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26

The search structures are not models: each database gets its own (see app/search/).
"""
from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE TABLE article_search_text ("
            " rowid INTEGER PRIMARY KEY,"
            " article_id VARCHAR(300) NOT NULL UNIQUE,"
            " title TEXT NOT NULL,"
            " body BLOB NOT NULL,"
            " from_file BOOLEAN NOT NULL DEFAULT 0)"
        )
        # Tokens arrive space separated (app/search/segmenting.py); `ascii` splits on exactly that.
        op.execute(
            "CREATE VIRTUAL TABLE article_search_fts USING fts5("
            "title, body, content='', tokenize=\"ascii tokenchars '_'\")"
        )
    else:
        op.execute(
            "CREATE TABLE article_search_text ("
            " article_id VARCHAR(300) PRIMARY KEY REFERENCES article(id) ON DELETE CASCADE,"
            " title TEXT NOT NULL,"
            " body TEXT NOT NULL,"
            " from_file BOOLEAN NOT NULL DEFAULT false)"
        )
        op.execute(
            "CREATE TABLE article_search_chunk ("
            " article_id VARCHAR(300) NOT NULL REFERENCES article(id) ON DELETE CASCADE,"
            " field SMALLINT NOT NULL,"
            " chunk INTEGER NOT NULL,"
            " tokens TSVECTOR NOT NULL,"
            " PRIMARY KEY (article_id, field, chunk))"
        )
        op.execute(
            "CREATE INDEX ix_article_search_chunk_tokens ON article_search_chunk USING GIN (tokens)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE article_search_fts")
        op.execute("DROP TABLE article_search_text")
    else:
        op.execute("DROP TABLE article_search_chunk")
        op.execute("DROP TABLE article_search_text")
