"""article_revision: every version of an article

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03

Each article stored before gets one revision, its current version (served from its stored
document, so nothing is copied): no commit, ``committed_at`` the commit time of its newest
version when a history showed it still in its ref, else when the service stored it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "article_revision",
        sa.Column("article_id", sa.String(length=300), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("commit", sa.String(length=64), nullable=True),
        sa.Column("committed_at", app.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("text_hash", sa.String(length=64), nullable=True),
        sa.Column("markdown", sa.LargeBinary(), nullable=True),
        sa.Column("document", sa.LargeBinary(), nullable=True),
        sa.Column("context", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["article.id"],
            name=op.f("fk_article_revision_article_id_article"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", "content_hash", name=op.f("pk_article_revision")),
    )
    op.create_index(
        "ix_article_revision_newest",
        "article_revision",
        ["article_id", "committed_at", "content_hash"],
        unique=False,
    )
    op.execute(
        "INSERT INTO article_revision (article_id, content_hash, committed_at, title) "
        "SELECT id, content_hash, CASE WHEN in_head THEN last_seen_at ELSE updated_at END, "
        "title FROM article"
    )


def downgrade() -> None:
    op.drop_index("ix_article_revision_newest", table_name="article_revision")
    op.drop_table("article_revision")
