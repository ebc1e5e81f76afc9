"""article_document: each article's public documents, stored when it is written

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

Reads serve these bytes instead of rebuilding the document from the article's rows on every
request. The upgrade builds them for the articles already stored, from their rows, through
the same mapping the writers use (app/articles/mapping.py), or leaves that to a later
migration that adds columns to the document (0008).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlmodel import Session

from app.articles.mapping import ARTICLE
from app.articles.stored import rebuild_documents

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "article_document",
        sa.Column("article_id", sa.String(length=300), nullable=False),
        sa.Column("summary", sa.LargeBinary(), nullable=False),
        sa.Column("document", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["article.id"],
            name=op.f("fk_article_document_article_id_article"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", name=op.f("pk_article_document")),
    )
    # The documents are built from the rows through today's models: when those name columns
    # a later migration adds (0008), that migration builds them instead.
    live = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("article")}
    if not set(ARTICLE.columns.keys()) <= live:
        return
    session = Session(bind=op.get_bind())
    ids = [row.id for row in session.execute(sa.select(ARTICLE.c.id).order_by(ARTICLE.c.id))]
    rebuild_documents(session, ids)


def downgrade() -> None:
    op.drop_table("article_document")
