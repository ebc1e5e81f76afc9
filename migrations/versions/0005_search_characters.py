"""search on PostgreSQL indexes characters, not bigrams: re-tokenise the stored texts

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26

Bigram lexemes made the tsvector chunks 2.7 times the size of the text they index; single
characters (phrases of them for substrings) take half that. SQLite is unchanged.
"""
from collections.abc import Sequence

from alembic import op

from app.search import postgres_index

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        postgres_index.rebuild(op.get_bind(), lengths=False)  # article_search_length: 0006


def downgrade() -> None:
    # The bigram tokenizer is gone from the code: older revisions re-index on the next ingest.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DELETE FROM article_search_chunk")
