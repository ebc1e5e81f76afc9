"""Writing an origin's article documents and deletions into the local database.

A mirror holds what the origin serves, so it writes the rows ``load_articles`` reads back
into the same ``ArticlePublic``, through the same row writes as the ingest
(``app.ingest.tables``). Every write also records a local change, so the mirror's
own ``/changes`` can be followed by a mirror of the mirror. Nothing here commits: the
caller applies a batch and the mirror's ``last_seq`` in one transaction.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, select
from sqlmodel import Session, col

from app.db import copy_rows
from app.feed import OP_DELETE, OP_UPSERT, record_changes
from app.ingest.tables import (
    ARTICLE,
    PARTS,
    add_tags,
    delete_articles,
    find_tags,
    in_chunks,
    link_tags,
)
from app.models import Article, utcnow
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


def _datetime(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _article_row(doc: dict[str, Any], now: datetime) -> dict[str, Any]:
    source = doc.get("source") or {}
    return {
        "id": doc["id"],
        "path": doc["path"],
        "collection": doc["collection"],
        "title": doc.get("title"),
        "summary": doc.get("summary"),
        "published_at": _datetime(doc.get("published_at")),
        "authors": list(doc.get("authors") or []),
        "source_name": source.get("name"),
        "source_url": source.get("url"),
        "source_external_id": source.get("external_id"),
        "script": doc.get("script"),
        "is_empty": bool(doc.get("is_empty")),
        "body_markdown": doc.get("body_markdown") or "",
        "body_text": doc.get("body_text") or "",
        "content_hash": doc["content_hash"],
        # The raw file never reaches a mirror: its content hash stands in for the file's.
        "source_hash": doc["content_hash"],
        "size_bytes": len((doc.get("body_markdown") or "").encode("utf-8")),
        "created_at": now,
        "updated_at": _datetime(doc.get("updated_at")) or now,
    }


def _part_rows(docs: Sequence[dict[str, Any]]) -> dict[Table, list[dict[str, Any]]]:
    bylines, sections, links, images = [], [], [], []
    for doc in docs:
        aid = doc["id"]
        for i, b in enumerate(doc.get("bylines") or []):
            bylines.append(
                {
                    "article_id": aid,
                    "position": i,
                    "role": b["role"],
                    "name": b["name"],
                    "role_as_written": b.get("role_as_written"),
                }
            )
        for s in doc.get("sections") or []:
            # A section's markdown is not published; the mirror keeps its text only.
            sections.append(
                {
                    "article_id": aid,
                    "index": s["index"],
                    "heading": s.get("heading"),
                    "markdown": "",
                    "text": s.get("text") or "",
                }
            )
        for i, c in enumerate(doc.get("links") or []):
            links.append(
                {
                    "article_id": aid,
                    "position": i,
                    "url": c["url"],
                    "text": c.get("text"),
                    "section_index": c.get("section_index"),
                    "is_reference": bool(c.get("is_reference")),
                }
            )
        for i, m in enumerate(doc.get("images") or []):
            images.append(
                {
                    "article_id": aid,
                    "position": i,
                    "url": m["url"],
                    "alt": m.get("alt"),
                    "caption": m.get("caption"),
                    "section_index": None,
                }
            )
    return {
        PARTS["bylines"]: bylines,
        PARTS["sections"]: sections,
        PARTS["links"]: links,
        PARTS["images"]: images,
    }


def remove_articles(session: Session, ids: Sequence[str], *, unindex: bool = True) -> None:
    """Deletes local articles and their parts, and takes them out of tag counts and search."""
    if not ids:
        return
    if unindex:
        unindex_articles(session, ids)
    delete_articles(session, ids)


def write_articles(session: Session, docs: Sequence[dict[str, Any]]) -> None:
    """Writes whole article documents, replacing any local article with the same id."""
    if not docs:
        return
    # index_articles replaces what search holds, so a rewrite skips the unindexing.
    remove_articles(session, [d["id"] for d in docs], unindex=False)
    now = utcnow()
    copy_rows(session, ARTICLE, [_article_row(d, now) for d in docs])
    for table, rows in _part_rows(docs).items():
        copy_rows(session, table, rows)
    wanted = {(t["name"], t["kind"]) for d in docs for t in d.get("tags") or []}
    tag_ids = find_tags(session, wanted)
    tag_ids |= add_tags(session, wanted - tag_ids.keys())
    links = {(d["id"], tag_ids[(t["name"], t["kind"])]) for d in docs for t in d.get("tags") or []}
    link_tags(session, sorted(links))
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


def apply_documents(session: Session, docs: Iterable[dict[str, Any]]) -> Applied:
    """Upserts documents whose content differs from the local copy, each with a local change."""
    docs = list({d["id"]: d for d in docs}.values())
    held = local_hashes(session, [d["id"] for d in docs])
    changed = [d for d in docs if held.get(d["id"]) != d["content_hash"]]
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
