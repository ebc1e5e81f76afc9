"""article.lacks: the fields an article's own file lacks, which index entries fill in

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26

Without it an index page that arrives after its articles could not tell a title the file
gave from one an earlier index entry filled in.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("lacks", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )


def downgrade() -> None:
    with op.batch_alter_table("article", schema=None) as batch_op:
        batch_op.drop_column("lacks")
