"""article history times: first_seen_at, last_seen_at, in_head (from a git history ingest)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

The three fields are in the public document, so every stored document is built again
(null for articles already stored). Content hashes do not change: ``content_hash_of`` leaves
these fields out while they are null (app/schemas.HASHED_WHEN_SET), so mirrors' digests
still agree with the origin's and no change event is needed.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel import Session

import app.models
from app.articles.mapping import ARTICLE
from app.articles.stored import rebuild_documents

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("first_seen_at", app.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("last_seen_at", app.models.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("in_head", sa.Boolean(), nullable=True))
    session = Session(bind=op.get_bind())
    ids = [row.id for row in session.execute(sa.select(ARTICLE.c.id).order_by(ARTICLE.c.id))]
    rebuild_documents(session, ids)


def downgrade() -> None:
    # Not a batch: on SQLite a batch recreates the table, and dropping the old one would
    # cascade to every article's parts. Both databases drop a column in place.
    for column in ("in_head", "last_seen_at", "first_seen_at"):
        op.execute(f"ALTER TABLE article DROP COLUMN {column}")
    # The stored documents keep the three (null) fields: today's mapping cannot build the
    # older documents, and 0007's downgrade drops them all anyway.
