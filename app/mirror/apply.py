"""Writing an origin's article documents and deletions into the local database.

A mirror holds what the origin serves: the one article mapping (``app.articles.mapping``)
turns each document into the rows that make the same document again, written through the
same row writes as the ingest (``app.ingest.tables``), stored document included. Every
write also records a local change, so the mirror's own ``/changes`` can be followed by a
mirror of the mirror. Nothing here commits: the
caller applies a batch and the mirror's ``last_seq`` in one transaction.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.articles.mapping import ArticleRows, rows_of
from app.articles.revisions import (
    REVISION,
    current_row_of,
    keys_of_records,
    revision_keys,
    row_of_record,
)
from app.db import copy_rows
from app.feed import OP_DELETE, OP_UPSERT, record_changes
from app.ingest.tables import (
    ARTICLE,
    TagKey,
    add_tags,
    delete_articles,
    find_tags,
    in_chunks,
    insert_parts,
)
from app.models import Article, utcnow
from app.schemas import ArticlePublic
from app.search.indexer import SearchDocument, index_articles, unindex_articles


@dataclass(slots=True)
class Applied:
    """What one batch did to the local database."""

    upserted: int = 0
    deleted: int = 0
    unchanged: int = 0


def local_hashes(session: Session, ids: Sequence[str]) -> dict[str, str]:
    """The content hash of each of ``ids`` held locally."""
    out: dict[str, str] = {}
    for chunk in in_chunks(ids):
        rows = session.execute(
            select(col(Article.id), col(Article.content_hash)).where(col(Article.id).in_(chunk))
        )
        out.update({article_id: content_hash for article_id, content_hash in rows})
    return out


def rows_of_document(doc: dict[str, Any], now: datetime) -> ArticleRows:
    """The local rows of an origin's document, through the one article mapping.

    A document that is not an ``Article`` raises ``ValueError`` before anything is written.
    """
    ArticlePublic.model_validate(doc)
    rows = rows_of(
        doc,
        extras={
            # The raw file never reaches a mirror: its content hash stands in for the file's.
            "source_hash": doc["content_hash"],
            "size_bytes": len((doc.get("body_markdown") or "").encode("utf-8")),
            "lacks": [],
            "created_at": now,
        },
    )
    rows.article["updated_at"] = rows.article["updated_at"] or now
    return rows


def remove_articles(session: Session, ids: Sequence[str], *, unindex: bool = True) -> None:
    """Deletes local articles and their parts, and takes them out of tag counts and search."""
    if not ids:
        return
    if unindex:
        unindex_articles(session, ids)
    delete_articles(session, ids)


def revision_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The local revision rows of an origin's document: its ``revisions`` as received, or
    its current version alone from an origin that sends none."""
    records = doc.get("revisions")
    if records is None:
        return [current_row_of(doc)]
    return [row_of_record(doc["id"], record) for record in records]


def write_articles(session: Session, docs: Sequence[dict[str, Any]]) -> None:
    """Writes whole article documents, replacing any local article with the same id."""
    if not docs:
        return
    now = utcnow()
    articles = [rows_of_document(d, now) for d in docs]
    revisions = [row for d in docs for row in revision_rows(d)]  # bad ones raise here
    # index_articles replaces what search holds, so a rewrite skips the unindexing.
    remove_articles(session, [d["id"] for d in docs], unindex=False)
    copy_rows(session, ARTICLE, [a.article for a in articles])
    insert_parts(session, articles, lambda wanted: _tag_ids(session, wanted))
    copy_rows(session, REVISION, revisions)
    # An origin that sends the searched text gets the same search here; one that does not
    # (older, or the article was indexed by its body) leaves title and body text.
    index_articles(
        session,
        [
            SearchDocument(
                d["id"], d.get("title"), d.get("body_text") or "", file_text=d.get("searched_text")
            )
            for d in docs
        ],
    )


def _tag_ids(session: Session, wanted: set[TagKey]) -> dict[TagKey, int]:
    found = find_tags(session, wanted)
    return found | add_tags(session, wanted - found.keys())


def apply_documents(session: Session, docs: Iterable[dict[str, Any]]) -> Applied:
    """Upserts documents whose content (or revisions, when sent) differs from the local
    copy, each with a local change."""
    docs = list({d["id"]: d for d in docs}.values())
    held = local_hashes(session, [d["id"] for d in docs])
    same = [d for d in docs if held.get(d["id"]) == d["content_hash"]]
    with_revisions = [d["id"] for d in same if d.get("revisions") is not None]
    kept = revision_keys(session, with_revisions)
    unchanged = {
        d["id"]
        for d in same
        if d.get("revisions") is None or kept.get(d["id"]) == keys_of_records(d["revisions"])
    }
    changed = [d for d in docs if d["id"] not in unchanged]
    write_articles(session, changed)
    record_changes(session, [(d["id"], OP_UPSERT, d["content_hash"]) for d in changed])
    return Applied(upserted=len(changed), unchanged=len(docs) - len(changed))


def apply_deletions(session: Session, ids: Iterable[str]) -> Applied:
    """Deletes the local articles among ``ids``, each with a local delete change."""
    wanted = list(dict.fromkeys(ids))
    present = list(local_hashes(session, wanted))
    remove_articles(session, present)
    record_changes(session, [(article_id, OP_DELETE, None) for article_id in present])
    return Applied(deleted=len(present))
