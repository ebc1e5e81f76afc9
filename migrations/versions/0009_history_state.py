"""history_state: the last commit of each repository and ref a history ingest read

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

A second ``corpus ingest REPO --history`` reads only the commits after it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.models

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "history_state",
        sa.Column("repository", sa.String(length=500), nullable=False),
        sa.Column("ref", sa.String(length=200), nullable=False),
        sa.Column("commit", sa.String(length=64), nullable=False),
        sa.Column("updated_at", app.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("repository", "ref", name=op.f("pk_history_state")),
    )


def downgrade() -> None:
    op.drop_table("history_state")
