"""Stored revisions: the compression of their texts, and the record a mirror receives.

An article's versions live in ``article_revision`` (``app.models.ArticleRevision``) in one
of three forms: the current version (nothing stored: its document is the article's), a
served version that was replaced (its ``document`` as it was served), and a version never
served (its ``markdown``, with the ``context`` rendering it needs). Texts are compressed
with zlib: on the archive's Chinese markdown it came within 3% of zstd at every level up to
15 (5,448 slot versions: zlib-6 0.535 of the bytes, zstd-9 0.552, zstd-19 0.522; 1,434
transcripts: zlib-6 0.411, zstd-9 0.399) and needs no library beyond the standard one.

The ingest writes revisions (``app.ingest.revisions``); mirrors receive them as records
(``record_of``) and write them back (``row_of_record``) unchanged, so a mirror serves the
same revisions with the same hashes.
"""

import zlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlmodel import Session

from app.articles.mapping import TABLES, Row, json_time
from app.schemas import ArticlePublic

REVISION = TABLES["article_revision"]
# Level 6, zlib's default: level 9 gained 0.5% on long transcripts at half the speed.
_LEVEL = 6
# Bound on the ids of one IN (...): SQLite and PostgreSQL both cap bound parameters.
_CHUNK = 500
# The columns a record carries, in their order (``text_hash`` lets a mirror's own ingest
# tell an edit from a re-read, as the origin's does).
RECORD_FIELDS = ("content_hash", "commit", "committed_at", "title", "text_hash")


def compress(data: bytes) -> bytes:
    """A revision text as stored."""
    return zlib.compress(data, _LEVEL)


def decompress(data: bytes) -> bytes:
    """A stored revision text back."""
    return zlib.decompress(data)


def newest_first(query: Any) -> Any:
    """Revisions in the order the API lists them: newest commit time first."""
    return query.order_by(REVISION.c.committed_at.desc(), REVISION.c.content_hash.desc())


def record_of(row: Mapping[str, Any]) -> dict[str, Any]:
    """A stored revision as the feed sends it (texts decompressed; JSON values)."""
    record: dict[str, Any] = {name: row[name] for name in RECORD_FIELDS}
    record["committed_at"] = json_time(row["committed_at"])
    markdown, document = row["markdown"], row["document"]
    record["markdown"] = decompress(markdown).decode("utf-8") if markdown is not None else None
    record["context"] = row["context"]
    # The document as it was stored, not re-encoded.
    record["document"] = orjson.Fragment(decompress(document)) if document is not None else None
    return record


def row_of_record(article_id: str, record: Mapping[str, Any]) -> Row:
    """The row of a revision received from an origin; ``ValueError`` when it is not one."""
    committed_at = record.get("committed_at")
    content_hash = record.get("content_hash")
    if not isinstance(committed_at, str) or not isinstance(content_hash, str):
        raise ValueError(f"revision of {article_id!r} without content_hash or committed_at")
    row: Row = {name: record.get(name) for name in RECORD_FIELDS}
    row["article_id"] = article_id
    row["committed_at"] = datetime.fromisoformat(committed_at.replace("Z", "+00:00"))
    markdown, document = record.get("markdown"), record.get("document")
    row["markdown"] = compress(markdown.encode("utf-8")) if isinstance(markdown, str) else None
    if document is not None:
        ArticlePublic.model_validate(document)
        row["document"] = compress(orjson.dumps(document))
    else:
        row["document"] = None
    row["context"] = record.get("context")
    return row


def current_row_of(document: Mapping[str, Any]) -> Row:
    """The one revision of an article whose origin sends none (written before revisions were
    kept): its current version, timed as migration 0010 times an article stored before."""
    in_head, updated_at = document.get("in_head"), document["updated_at"]
    committed_at = document.get("last_seen_at") if in_head else updated_at
    return row_of_record(
        str(document["id"]),
        {
            "content_hash": document["content_hash"],
            "commit": None,
            "committed_at": committed_at or updated_at,
            "title": document.get("title"),
            "text_hash": None,
        },
    )


def stored_sizes(session: Session, ids: Sequence[str]) -> dict[str, int]:
    """The compressed bytes stored for each of ``ids``'s revisions (ids without any left out)."""
    size = func.coalesce(func.length(REVISION.c.markdown), 0) + func.coalesce(
        func.length(REVISION.c.document), 0
    )
    out: dict[str, int] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = list(ids[start : start + _CHUNK])
        rows = session.connection().execute(
            select(REVISION.c.article_id, func.sum(size))
            .where(REVISION.c.article_id.in_(chunk))
            .group_by(REVISION.c.article_id)
        )
        out.update({article_id: int(total or 0) for article_id, total in rows})
    return out


def revision_keys(session: Session, ids: Sequence[str]) -> dict[str, set[tuple[Any, ...]]]:
    """What tells each article's revisions apart (hash, commit, time), by article id."""
    out: dict[str, set[tuple[Any, ...]]] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = list(ids[start : start + _CHUNK])
        rows = session.connection().execute(
            select(
                REVISION.c.article_id,
                REVISION.c.content_hash,
                REVISION.c.commit,
                REVISION.c.committed_at,
            ).where(REVISION.c.article_id.in_(chunk))
        )
        for article_id, content_hash, commit, committed_at in rows:
            key = (content_hash, commit, json_time(committed_at))
            out.setdefault(article_id, set()).add(key)
    return out


def keys_of_records(records: Sequence[Mapping[str, Any]]) -> set[tuple[Any, ...]]:
    """``revision_keys`` of received records."""
    return {(r.get("content_hash"), r.get("commit"), r.get("committed_at")) for r in records}


def records_of(session: Session, ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """Every revision of each of ``ids`` as records, newest first (ids without any left out)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = list(ids[start : start + _CHUNK])
        rows = session.connection().execute(
            newest_first(select(REVISION).where(REVISION.c.article_id.in_(chunk)))
        )
        for row in rows:
            out.setdefault(row.article_id, []).append(record_of(dict(row._mapping)))
    return out
