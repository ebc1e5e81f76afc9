"""Keeping the search index in step with the articles, inside the caller's transaction.

The ingest calls ``index_articles`` after it upserts articles and ``unindex_articles`` when it
deletes them, in the same unit of work; neither function commits, so a rolled-back upsert
leaves the index as it was.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session

from app.search.backend import backend_for
from app.search.file_text import visible_text
from app.search.indexed_text import IndexedText
from app.search.prepared import PreparedText


@dataclass(frozen=True, slots=True)
class SearchDocument:
    """What search sees of an article: its id, title and plain-text body (original text).

    ``markdown``, when given, is the whole article file: search then covers everything the
    file shows (header, meta line, source, footers), reduced to plain text, as readers expect.
    ``prepared`` is the same computed ahead (``SearchBackend.prepare(markdown)``, e.g. in a
    parse worker) and then stands for ``markdown``. ``file_text`` is the file's text as search has
    already reduced it (``searched_file_texts``; a mirror receives it from its origin) and
    stands for ``markdown`` too. Without any of them, an article already indexed from its
    file keeps that text (only the title changes: an index page filled it in); any other
    article is indexed by ``body_text``.
    """

    id: str
    title: str | None
    body_text: str
    markdown: str | None = None
    prepared: PreparedText | None = None
    file_text: str | None = None


def index_articles(session: Session, docs: Sequence[SearchDocument]) -> None:
    """Add or replace these articles in the search index; never commits."""
    if not docs:
        return
    session.flush()  # the articles may still be pending in the session
    connection = session.connection()
    backend = backend_for(session)
    unfiled = [
        d.id for d in docs if d.markdown is None and d.prepared is None and d.file_text is None
    ]
    kept = backend.file_texts(connection, unfiled)
    texts = []
    for doc in docs:
        title = doc.title or ""
        if doc.prepared is not None:
            ready = doc.prepared
            texts.append(
                IndexedText(
                    doc.id, title, ready.text, True, ready.tokens, ready.stored, ready.chunks
                )
            )
        elif doc.markdown is not None:
            texts.append(IndexedText(doc.id, title, visible_text(doc.markdown), True))
        elif doc.file_text is not None:
            texts.append(IndexedText(doc.id, title, doc.file_text, True))
        elif doc.id in kept:
            texts.append(IndexedText(doc.id, title, kept[doc.id], True))
        else:
            texts.append(IndexedText(doc.id, title, doc.body_text or "", False))
    backend.replace(connection, texts)


def unindex_articles(session: Session, ids: Sequence[str]) -> None:
    """Remove these articles from the search index (unknown ids are ignored); never commits."""
    if not ids:
        return
    session.flush()
    backend_for(session).remove(session.connection(), ids)


def searched_file_texts(session: Session, ids: Sequence[str]) -> dict[str, str]:
    """The text search covers beyond the title, for those of these articles indexed from
    their file (header, meta line, body, footers as plain text); others are left out."""
    if not ids:
        return {}
    return dict(backend_for(session).file_texts(session.connection(), ids))
