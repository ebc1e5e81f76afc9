"""Stored documents: an article's public JSON, built once when it is written, served as bytes.

Every writer stores ``document_row`` beside the article's rows in the same transaction, so
a read joins stored bytes instead of rebuilding the document (``app/queries/articles.py``).
orjson writes the same bytes as pydantic's serializer for these documents (strings are
already in their JSON form; checked on 2,000 dev-archive documents) without a model to be
built first: 146 MB took orjson 100-150 ms, pydantic's to_json 165-340 ms plus ~110 ms of
validation, json.dumps 350-460 ms (a noisy 2-core machine, 2026-12-02).
"""

from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy import delete, insert
from sqlmodel import Session

from app.articles.mapping import TABLES, ArticleRows, Row, document_of, load_stored
from app.schemas import ArticleSummary

DOCUMENT = TABLES["article_document"]
SUMMARY_FIELDS = tuple(ArticleSummary.model_fields)


def encode(document: Mapping[str, Any]) -> tuple[bytes, bytes]:
    """The summary and the whole document as JSON bytes."""
    summary = {name: document[name] for name in SUMMARY_FIELDS}
    return orjson.dumps(summary), orjson.dumps(document)


def document_row(rows: ArticleRows) -> Row:
    """The ``article_document`` row of an article whose rows are final (hash, times)."""
    summary, document = encode(document_of(rows))
    return {"article_id": rows.id, "summary": summary, "document": document}


def with_members(item: bytes, members: Mapping[str, Any]) -> bytes:
    """A stored JSON object with more members appended (a search hit's score, say)."""
    if not members:
        return item
    return item[:-1] + b"," + orjson.dumps(members)[1:]


def trimmed(item: bytes, fields: set[str]) -> bytes:
    """A stored JSON object cut down to ``fields``, in its own order."""
    return orjson.dumps({k: v for k, v in orjson.loads(item).items() if k in fields})


def rebuild_documents(session: Session, ids: Sequence[str]) -> int:
    """Builds the stored documents of these articles again from their rows; how many.

    For databases written before documents were stored (migration 0007), and for rows
    written by hand. Never commits.
    """
    done = 0
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        rows = [document_row(article) for article in load_stored(session, chunk).values()]
        session.execute(delete(DOCUMENT).where(DOCUMENT.c.article_id.in_(chunk)))
        if rows:
            session.execute(insert(DOCUMENT), rows)
        done += len(rows)
    return done
