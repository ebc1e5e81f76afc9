"""article_tally: how many articles each (collection, year, month, is_empty) holds, and
article_stub: which articles are empty stubs

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07

Totals and facets of the unfiltered lists (``total=true``, ``facets=collection,year,month``)
and ``/collections`` read these few hundred rows instead of counting every article. Triggers
on ``article`` keep them in step, so every writer (ingest, upload, PUT, DELETE, a mirror's
apply, and any writer to come) moves them in its own transaction. ``year`` and ``month`` are
the UTC calendar parts of ``published_at``, 0 for an article without one. ``article_stub``
lists the empty stubs (a few thousand), whose tags an unfiltered tag facet takes out of the
tags' counts; an index on ``article.is_empty`` would do it too, but SQLite's planner then
takes it for the ``is_empty = 0`` of a search and walks every article (50x slower).

PostgreSQL's triggers run once per statement over its transition tables and shift each
touched row once, in key order: a batch of 500 articles costs one upsert, and two writers
lock the rows they share in the same order.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = "collection, year, month, is_empty"
SQLITE_YEAR = "coalesce(CAST(strftime('%Y', {r}.published_at) AS INTEGER), 0)"
SQLITE_MONTH = "coalesce(CAST(strftime('%m', {r}.published_at) AS INTEGER), 0)"
PG_PART = "coalesce(CAST(extract({part} FROM {r}.published_at AT TIME ZONE 'UTC') AS INTEGER), 0)"


def _sqlite_key(r: str) -> str:
    return (
        f"collection = {r}.collection AND year = {SQLITE_YEAR.format(r=r)} "
        f"AND month = {SQLITE_MONTH.format(r=r)} AND is_empty = {r}.is_empty"
    )


def _sqlite_add(r: str, delta: str) -> str:
    values = f"{r}.collection, {SQLITE_YEAR.format(r=r)}, {SQLITE_MONTH.format(r=r)}, {r}.is_empty"
    return (
        f"INSERT OR IGNORE INTO article_tally ({KEY}, article_count) VALUES ({values}, 0); "
        f"UPDATE article_tally SET article_count = article_count {delta} 1 "
        f"WHERE {_sqlite_key(r)};"
    )


def _pg_rows(table: str, sign: str) -> str:
    year = PG_PART.format(part="year", r="r")
    month = PG_PART.format(part="month", r="r")
    return f"SELECT r.collection, {year}, {month}, r.is_empty, {sign}1 FROM {table} AS r"


STUB_OUT = "DELETE FROM article_stub WHERE article_id IN (SELECT id FROM old_rows WHERE is_empty); "
STUB_IN = (
    "INSERT INTO article_stub (article_id) SELECT id FROM new_rows WHERE is_empty "
    "ON CONFLICT DO NOTHING; "
)


def _sqlite_stub(r: str, sign: str) -> str:
    if sign == "-":
        return f"DELETE FROM article_stub WHERE article_id = {r}.id;"
    return f"INSERT OR IGNORE INTO article_stub (article_id) SELECT {r}.id WHERE {r}.is_empty;"


def _pg_function(name: str, sources: list[str], stubs: str) -> str:
    rows = " UNION ALL ".join(sources)
    return (
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"INSERT INTO article_tally AS t ({KEY}, article_count) "
        f"SELECT c, y, m, e, sum(d) FROM ({rows}) AS delta (c, y, m, e, d) "
        "GROUP BY c, y, m, e HAVING sum(d) <> 0 ORDER BY c, y, m, e "
        f"ON CONFLICT ({KEY}) DO UPDATE "
        "SET article_count = t.article_count + EXCLUDED.article_count; "
        f"{stubs}RETURN NULL; END $$"
    )


def upgrade() -> None:
    op.create_table(
        "article_tally",
        sa.Column("collection", sa.String(length=40), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("is_empty", sa.Boolean(), nullable=False),
        sa.Column("article_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "collection", "year", "month", "is_empty", name=op.f("pk_article_tally")
        ),
    )
    op.create_table(
        "article_stub",
        sa.Column("article_id", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("article_id", name=op.f("pk_article_stub")),
    )
    op.execute("INSERT INTO article_stub (article_id) SELECT id FROM article WHERE is_empty")
    if op.get_bind().dialect.name == "sqlite":
        _upgrade_sqlite()
    else:
        _upgrade_postgresql()


def _upgrade_sqlite() -> None:
    year, month = SQLITE_YEAR.format(r="article"), SQLITE_MONTH.format(r="article")
    op.execute(
        f"INSERT INTO article_tally ({KEY}, article_count) "
        f"SELECT collection, {year}, {month}, is_empty, count(*) FROM article "
        "GROUP BY 1, 2, 3, 4"
    )
    op.execute(
        f"CREATE TRIGGER article_tally_insert AFTER INSERT ON article BEGIN "
        f"{_sqlite_add('NEW', '+')} {_sqlite_stub('NEW', '+')} END"
    )
    op.execute(
        f"CREATE TRIGGER article_tally_delete AFTER DELETE ON article BEGIN "
        f"{_sqlite_add('OLD', '-')} {_sqlite_stub('OLD', '-')} END"
    )
    op.execute(
        "CREATE TRIGGER article_tally_update AFTER UPDATE OF collection, published_at, is_empty "
        f"ON article BEGIN {_sqlite_add('OLD', '-')} {_sqlite_add('NEW', '+')} "
        f"{_sqlite_stub('OLD', '-')} {_sqlite_stub('NEW', '+')} END"
    )


def _upgrade_postgresql() -> None:
    year = PG_PART.format(part="year", r="article")
    month = PG_PART.format(part="month", r="article")
    op.execute(
        f"INSERT INTO article_tally ({KEY}, article_count) "
        f"SELECT collection, {year}, {month}, is_empty, count(*) FROM article "
        "GROUP BY 1, 2, 3, 4"
    )
    op.execute(_pg_function("article_tally_inserted", [_pg_rows("new_rows", "")], STUB_IN))
    op.execute(_pg_function("article_tally_deleted", [_pg_rows("old_rows", "-")], STUB_OUT))
    op.execute(
        _pg_function(
            "article_tally_updated",
            [_pg_rows("new_rows", ""), _pg_rows("old_rows", "-")],
            STUB_OUT + STUB_IN,
        )
    )
    for event, tables in (
        ("INSERT", "NEW TABLE AS new_rows"),
        ("DELETE", "OLD TABLE AS old_rows"),
        ("UPDATE", "NEW TABLE AS new_rows OLD TABLE AS old_rows"),
    ):
        name = {"INSERT": "inserted", "DELETE": "deleted", "UPDATE": "updated"}[event]
        op.execute(
            f"CREATE TRIGGER article_tally_{name} AFTER {event} ON article "
            f"REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION article_tally_{name}()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER article_tally_{name}")
    else:
        for name in ("inserted", "deleted", "updated"):
            op.execute(f"DROP TRIGGER article_tally_{name} ON article")
            op.execute(f"DROP FUNCTION article_tally_{name}()")
    op.drop_table("article_stub")
    op.drop_table("article_tally")
