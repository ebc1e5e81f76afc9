"""search chunks on PostgreSQL stay in their rows: smaller chunks, no TOAST below a page

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07

Scoring a common term read every matching chunk's ``tsvector`` from TOAST, once for the
match and once more per ranking function (PostgreSQL fetches an out-of-line value again
each time a function looks at it). Chunks are now cut at about 7,600 bytes of vector
(``postgres_index.CHUNK_BYTES``) and the table keeps rows up to a page inline
(``toast_tuple_target``), so a chunk is read from the table's own page. The rebuild
re-chunks every stored text; lengths in tokens do not change. SQLite is unchanged.
Afterwards ``VACUUM FULL article_search_chunk`` returns the space the old rows held.
"""

from collections.abc import Sequence

from alembic import op

from app.search import postgres_index

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The largest value PostgreSQL accepts: a row is moved to TOAST only when it passes a page.
_INLINE_TARGET = 8160


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ALTER TABLE article_search_chunk SET (toast_tuple_target = {_INLINE_TARGET})")
    postgres_index.rebuild(op.get_bind(), lengths=False)


def downgrade() -> None:
    # Smaller chunks mean the same to the older code (heads are marked as before): they stay.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE article_search_chunk RESET (toast_tuple_target)")
