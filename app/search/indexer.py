"""Keeping the search index in step with the articles, inside the caller's transaction.

The ingest calls ``index_articles`` after it upserts articles and ``unindex_articles`` when it
deletes them, in the same unit of work; neither function commits, so a rolled-back upsert
leaves the index as it was.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session

from app.db import dialect_name
from app.search import postgres_index, sqlite_index
from app.search.file_text import visible_text


@dataclass(frozen=True, slots=True)
class SearchDocument:
    """What search sees of an article: its id, title and plain-text body (original text).

    ``markdown``, when given, is the whole article file: search then covers everything the
    file shows (header, meta line, source, footers), reduced to plain text, as readers expect.
    """

    id: str
    title: str | None
    body_text: str
    markdown: str | None = None

    @property
    def searched_text(self) -> str:
        """The text indexed and shown in snippets besides the title."""
        if self.markdown is not None:
            return visible_text(self.markdown)
        return self.body_text or ""


def index_articles(session: Session, docs: Sequence[SearchDocument]) -> None:
    """Add or replace these articles in the search index; never commits."""
    if not docs:
        return
    session.flush()  # the articles may still be pending in the session
    connection = session.connection()
    if dialect_name(session) == "postgresql":
        postgres_index.replace(connection, docs)
    else:
        sqlite_index.replace(connection, docs)


def unindex_articles(session: Session, ids: Sequence[str]) -> None:
    """Remove these articles from the search index (unknown ids are ignored); never commits."""
    if not ids:
        return
    session.flush()
    connection = session.connection()
    if dialect_name(session) == "postgresql":
        postgres_index.remove(connection, ids)
    else:
        sqlite_index.remove(connection, ids)
