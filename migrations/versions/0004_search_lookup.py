"""search lookups stay narrow on SQLite: texts in their own table, a covering index on article

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26

Mapping tens of thousands of FTS hits to article ids must not read each article's text: a
row holding a long body spans whole pages. So the searched text moves out of
``article_search_text`` into ``article_search_body``, and the columns that search filters
and sorts on get a covering index on ``article``. PostgreSQL keeps long text out of line
(TOAST) already, so it is left as it is.
"""
from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(
        "CREATE TABLE article_search_body ("
        " rowid INTEGER PRIMARY KEY, title TEXT NOT NULL, body BLOB NOT NULL)"
    )
    op.execute(
        "INSERT INTO article_search_body (rowid, title, body) "
        "SELECT rowid, title, body FROM article_search_text"
    )
    op.execute("ALTER TABLE article_search_text DROP COLUMN title")
    op.execute("ALTER TABLE article_search_text DROP COLUMN body")
    op.execute(
        "CREATE INDEX ix_article_search_filter ON article "
        "(id, is_empty, collection, published_at, updated_at)"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP INDEX ix_article_search_filter")
    op.execute("ALTER TABLE article_search_text ADD COLUMN title TEXT NOT NULL DEFAULT ''")
    op.execute("ALTER TABLE article_search_text ADD COLUMN body BLOB NOT NULL DEFAULT x''")
    for column in ("title", "body"):
        op.execute(
            f"UPDATE article_search_text SET {column} = (SELECT {column} "
            "FROM article_search_body b WHERE b.rowid = article_search_text.rowid)"
        )
    op.execute("DROP TABLE article_search_body")
