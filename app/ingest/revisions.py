"""Revisions as the store keeps them, and a stored revision rendered back into an ``Article``.

``ArticleStore`` calls ``keep_revisions`` for every article it adds or changes, in the same
transaction, so the history ingest, folder ingests, uploads and PUT all keep revisions the
one way. Per article, one revision per distinct content (``content_hash``):

- the current version is a row that stores nothing: it is served from ``article_document``;
- when a new version replaces it, the document it was served as is stored in its row
  (compressed), since the file it came from is gone by then (a folder, an upload);
- the older versions a history gives with the file were never served: their markdown is
  stored (compressed) with the ``context`` that made their document beyond the file (when
  the history showed them, the index entry that filled them in), and rendering one runs
  the same preparation the ingest ran (``prepare_version`` and ``fill_in``).

When the content changes but the file does not (an index entry filled something in, the
history saw the file deleted, a reparse), the current row takes the new hash instead of
adding a revision: there is no other version to keep.
"""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, select, update
from sqlmodel import Session

from app.articles.mapping import Row, document_of, json_time
from app.articles.revisions import REVISION, compress, decompress
from app.articles.stored import DOCUMENT, encode
from app.db import copy_rows
from app.ingest.fill_in import ENTRY_FIELDS, fill_in
from app.ingest.prepare import PreparedArticle, prepare_version
from app.ingest.sources import Seen
from app.ingest.tables import in_chunks
from app.queries.revisions import StoredRevision

_SEEN = ("first_seen_at", "last_seen_at", "in_head")


def keep_revisions(
    session: Session,
    new: Sequence[PreparedArticle],
    changed: Sequence[PreparedArticle],
    before: Mapping[str, str],
    entries: Mapping[str, Row],
    now: datetime,
) -> None:
    """Records the revisions of articles being added or changed; never commits.

    ``before`` holds each changed article's content hash as stored. Called before the
    article's stored document is replaced: a replaced version keeps that document.
    """
    rows = [row for a in new for row in _rows(a, entries.get(a.path), now)]
    files = _current_text_hashes(session, {a.id: before[a.id] for a in changed})
    superseded: dict[str, str] = {}
    replaced: list[Row] = []
    for a in changed:
        versions = _rows(a, entries.get(a.path), now)
        if a.id in files and files[a.id] == a.text_hash and not a.earlier:
            rekey(session, a.id, before[a.id], versions[0])
            continue
        if a.id in files:
            superseded[a.id] = before[a.id]
        replaced += versions
    _supersede(session, superseded)
    _delete(session, replaced)
    copy_rows(session, REVISION, [*rows, *replaced])


def rekey(session: Session, article_id: str, old_hash: str, current: Row) -> None:
    """The current revision takes the article's new content hash (same file, new content)."""
    # An older version with the very same content gives way to the current one.
    session.execute(
        delete(REVISION).where(
            REVISION.c.article_id == article_id,
            REVISION.c.content_hash == current["content_hash"],
        )
    )
    values = {"content_hash": current["content_hash"], "title": current["title"]}
    if current.get("commit") is not None:  # the history wrote the file again (re-added)
        values.update(commit=current["commit"], committed_at=current["committed_at"])
    session.execute(
        update(REVISION)
        .where(REVISION.c.article_id == article_id, REVISION.c.content_hash == old_hash)
        .values(values)
    )


def current_row(article: PreparedArticle, now: datetime, *, markdown: bytes | None = None) -> Row:
    """The revision row of a prepared version (the current one unless ``markdown``)."""
    written = article.written
    return {
        "article_id": article.id,
        "content_hash": article.content_hash,
        "commit": written.commit if written else None,
        "committed_at": written.committed_at if written else now,
        "title": article.article["title"],
        "text_hash": article.text_hash or None,
        "markdown": markdown,
        "document": None,
        "context": None,
    }


def _rows(article: PreparedArticle, entry: Row | None, now: datetime) -> list[Row]:
    """The current version's row first, then one per other content of its older versions."""
    rows = {article.content_hash: current_row(article, now)}
    for older in reversed(article.earlier):  # of two with the same content, the newer stays
        filled = fill_in(older.article, entry)
        if filled:
            older.rehash()
        row = current_row(older, now, markdown=older.markdown)
        row["context"] = _context(older.article, entry if filled else None)
        rows.setdefault(older.content_hash, row)
    return list(rows.values())


def _context(article: Row, entry: Row | None) -> dict[str, Any] | None:
    """What an older version's document holds beyond its file: when the history showed it,
    and the index entry that filled it in."""
    context: dict[str, Any] = {}
    if article.get("first_seen_at") is not None:
        context.update(
            first_seen_at=json_time(article["first_seen_at"]),
            last_seen_at=json_time(article["last_seen_at"]),
            in_head=article["in_head"],
        )
    if entry is not None:
        context["entry"] = {name: entry[name] for name in ENTRY_FIELDS}
        context["entry"]["published_at"] = json_time(entry["published_at"])
    return context or None


def _current_text_hashes(session: Session, current: Mapping[str, str]) -> dict[str, str | None]:
    """The file hash of each article's current revision (articles without one left out)."""
    out: dict[str, str | None] = {}
    ids = list(current)
    for chunk in in_chunks(ids):
        rows = session.execute(
            select(REVISION.c.article_id, REVISION.c.content_hash, REVISION.c.text_hash).where(
                REVISION.c.article_id.in_(chunk),
                REVISION.c.content_hash.in_([current[i] for i in chunk]),
            )
        )
        out.update(
            {r.article_id: r.text_hash for r in rows if current[r.article_id] == r.content_hash}
        )
    return out


def _supersede(session: Session, current: Mapping[str, str]) -> None:
    """Current revisions being replaced keep the document they were served as."""
    ids = list(current)
    for chunk in in_chunks(ids):
        documents = session.execute(
            select(DOCUMENT.c.article_id, DOCUMENT.c.document).where(
                DOCUMENT.c.article_id.in_(chunk)
            )
        )
        values = [
            {"a": i, "h": current[i], "d": compress(bytes(document))} for i, document in documents
        ]
        if values:
            session.execute(
                update(REVISION)
                .where(
                    and_(
                        REVISION.c.article_id == bindparam("a"),
                        REVISION.c.content_hash == bindparam("h"),
                    )
                )
                .values(document=bindparam("d")),
                values,
            )


def _delete(session: Session, rows: Sequence[Row]) -> None:
    """Deletes the stored revisions with the keys of ``rows`` (a content seen again)."""
    for chunk in in_chunks(list(rows)):
        session.execute(
            delete(REVISION).where(
                REVISION.c.article_id.in_({r["article_id"] for r in chunk}),
                # A content hash covers the article's id: no other article's revision has it.
                REVISION.c.content_hash.in_([r["content_hash"] for r in chunk]),
            )
        )


# -- rendering ---------------------------------------------------------------------------


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00"))


def render(
    path: str, markdown: bytes, context: Mapping[str, Any] | None, at: datetime
) -> tuple[bytes, str]:
    """The ``Article`` JSON of an older version stored as markdown, and its content hash.

    ``updated_at`` is ``at`` (the version's commit time).
    """
    context = context or {}
    seen = None
    if context.get("first_seen_at") is not None:
        first, last = _time(context["first_seen_at"]), _time(context["last_seen_at"])
        assert first is not None and last is not None
        seen = Seen(first, last, bool(context["in_head"]))
    prepared, _ = prepare_version(path, decompress(markdown), "", seen)
    if not isinstance(prepared, PreparedArticle):
        raise ValueError(f"the stored version of {path} no longer reads as an article")
    entry = context.get("entry")
    if entry is not None:
        fill_in(prepared.article, {**entry, "published_at": _time(entry["published_at"])})
    prepared.rehash()
    prepared.article["updated_at"] = at
    return encode(document_of(prepared))[1], prepared.content_hash


def revision_json(stored: StoredRevision) -> tuple[bytes, str]:
    """A stored revision's ``Article`` JSON and content hash, whichever form it is kept in."""
    if stored.current is not None:
        return stored.current, stored.content_hash
    if stored.document is not None:
        return decompress(stored.document), stored.content_hash
    assert stored.markdown is not None
    return render(stored.path, stored.markdown, stored.context, stored.committed_at)
