"""search on PostgreSQL: each long text's first and last tokens are small chunks of their own,
written ahead of the others; hits meet their articles in an index; the index's size and
length are kept in one row

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08

The terms most articles hold (``轉載自``, ``返回``, ``house``, ``Privacy``) are the archive's
boilerplate, at the top and the bottom of its files. Scoring such a term read one page-sized
chunk per article. Now a text longer than ``postgres_index.EDGED_TOKENS`` starts and ends
with a chunk of ``EDGE_TOKENS`` tokens, and each batch writes these edge chunks before its
other chunks, so they are packed several to a page (``postgres_index``'s docstring). The
rebuild re-chunks every stored text; lengths in tokens do not change, nor do scores. SQLite
is unchanged. Afterwards ``VACUUM FULL article_search_chunk`` returns the old rows' space
(and keeps the rows in the order written).

A search joins every hit to its article for the filters and the order's columns: with
``ix_article_search_filter`` (as on SQLite since 0004) that join reads the index alone, where
it fetched each hit's article row (40,000 of them for a common term: 0.4 s of 1.4 s).

BM25 needs the number of indexed articles and their mean length. Every search counted them
over ``article_search_length`` (14 ms, a third of a rare term's search); now
``article_search_total`` keeps the count and the sum of lengths, moved by statement triggers
on ``article_search_length`` in each writer's own transaction, as FTS5 keeps its totals.
"""

from collections.abc import Sequence

from alembic import op

from app.search import postgres_index

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# (trigger, event, transition table, sign): the totals follow every statement's rows. A
# missing row counts as zeros (a TRUNCATE of both tables, as the tests' reset does).
_TOTAL_TRIGGERS = (
    ("added", "INSERT", "NEW TABLE AS changed_rows", "+"),
    ("removed", "DELETE", "OLD TABLE AS changed_rows", "-"),
)


def _create_totals() -> None:
    op.execute(
        "CREATE TABLE article_search_total ("
        " one BOOLEAN PRIMARY KEY DEFAULT true CHECK (one),"
        " articles BIGINT NOT NULL, tokens BIGINT NOT NULL)"
    )
    op.execute(
        "INSERT INTO article_search_total (articles, tokens) "
        "SELECT count(*), coalesce(sum(token_count), 0) FROM article_search_length"
    )
    for name, event, table, sign in _TOTAL_TRIGGERS:
        op.execute(
            f"CREATE FUNCTION article_search_total_{name}() RETURNS trigger LANGUAGE plpgsql "
            "AS $$ BEGIN "
            "INSERT INTO article_search_total (articles, tokens) "
            f"SELECT {sign}count(*), {sign}coalesce(sum(token_count), 0) FROM changed_rows "
            "ON CONFLICT (one) DO UPDATE SET "
            "articles = article_search_total.articles + excluded.articles, "
            "tokens = article_search_total.tokens + excluded.tokens; "
            "RETURN NULL; END $$"
        )
        op.execute(
            f"CREATE TRIGGER article_search_total_{name} AFTER {event} ON article_search_length "
            f"REFERENCING {table} FOR EACH STATEMENT "
            f"EXECUTE FUNCTION article_search_total_{name}()"
        )


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE INDEX ix_article_search_filter ON article (id) "
        "INCLUDE (is_empty, collection, published_at, updated_at)"
    )
    _create_totals()
    postgres_index.rebuild(op.get_bind(), lengths=False)


def downgrade() -> None:
    # Edge chunks mean the same to the older code (heads are marked as before): they stay.
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, _, _, _ in _TOTAL_TRIGGERS:
        op.execute(f"DROP TRIGGER article_search_total_{name} ON article_search_length")
        op.execute(f"DROP FUNCTION article_search_total_{name}()")
    op.execute("DROP TABLE article_search_total")
    op.execute("DROP INDEX ix_article_search_filter")
