"""Writing an origin's article documents and deletions into the local database.

A mirror holds what the origin serves, so it writes the rows ``load_articles`` reads back
into the same ``ArticlePublic``. Every write also records a local change, so the mirror's
own ``/changes`` can be followed by a mirror of the mirror. Nothing here commits: the
caller applies a batch and the mirror's ``last_seq`` in one transaction.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, func, insert, select, update
from sqlmodel import Session, col

from app.feed import OP_DELETE, OP_UPSERT, record_changes
from app.models import Article, ArticleTag, Byline, CitedLink, Image, Section, Tag, utcnow
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
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
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


def _part_rows(docs: Sequence[dict[str, Any]]) -> dict[Any, list[dict[str, Any]]]:
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
    return {Byline: bylines, Section: sections, CitedLink: links, Image: images}


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


def _tag_ids(session: Session, wanted: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Ids of the (name, kind) tags wanted, creating those that do not exist yet."""
    tag = _table(Tag)

    def lookup() -> dict[tuple[str, str], int]:
        found: dict[tuple[str, str], int] = {}
        names = sorted({name for name, _ in wanted})
        for start in range(0, len(names), 500):
            rows = session.execute(
                select(tag.c.id, tag.c.name, tag.c.kind).where(
                    tag.c.name.in_(names[start : start + 500])
                )
            )
            found.update({(n, k): int(i) for i, n, k in rows if (n, k) in wanted})
        return found

    found = lookup()
    missing = sorted(wanted - found.keys())
    if missing:
        session.execute(
            insert(tag), [{"name": n, "kind": k, "article_count": 0} for n, k in missing]
        )
        found = lookup()
    return found


def _shift_tag_counts(session: Session, counts: dict[int, int]) -> None:
    # One UPDATE per distinct delta: a batch touches thousands of tags but few deltas.
    tag = _table(Tag)
    by_delta: dict[int, list[int]] = {}
    for tag_id, delta in counts.items():
        if delta:
            by_delta.setdefault(delta, []).append(tag_id)
    for delta, ids in by_delta.items():
        for start in range(0, len(ids), 500):
            session.execute(
                update(tag)
                .where(tag.c.id.in_(ids[start : start + 500]))
                .values(article_count=tag.c.article_count + delta)
            )


def remove_articles(session: Session, ids: Sequence[str], *, unindex: bool = True) -> None:
    """Deletes local articles and their parts, and takes them out of tag counts and search."""
    if not ids:
        return
    if unindex:
        unindex_articles(session, ids)
    counts: dict[int, int] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows = session.execute(
            select(col(ArticleTag.tag_id), func.count())
            .where(col(ArticleTag.article_id).in_(chunk))
            .group_by(col(ArticleTag.tag_id))
        )
        for tag_id, n in rows:
            counts[tag_id] = counts.get(tag_id, 0) - int(n)
        for model in (ArticleTag, Byline, Section, CitedLink, Image):
            part = _table(model)
            session.execute(delete(part).where(part.c.article_id.in_(chunk)))
        article = _table(Article)
        session.execute(delete(article).where(article.c.id.in_(chunk)))
    _shift_tag_counts(session, counts)


def write_articles(session: Session, docs: Sequence[dict[str, Any]]) -> None:
    """Writes whole article documents, replacing any local article with the same id."""
    if not docs:
        return
    # index_articles replaces what search holds, so a rewrite skips the unindexing.
    remove_articles(session, [d["id"] for d in docs], unindex=False)
    now = utcnow()
    session.execute(insert(_table(Article)), [_article_row(d, now) for d in docs])
    for model, rows in _part_rows(docs).items():
        if rows:
            session.execute(insert(_table(model)), rows)
    wanted = {(t["name"], t["kind"]) for d in docs for t in d.get("tags") or []}
    tag_ids = _tag_ids(session, wanted) if wanted else {}
    links = {(d["id"], tag_ids[(t["name"], t["kind"])]) for d in docs for t in d.get("tags") or []}
    if links:
        session.execute(
            insert(_table(ArticleTag)),
            [{"article_id": a, "tag_id": t} for a, t in sorted(links)],
        )
    counts: dict[int, int] = {}
    for _, tag_id in links:
        counts[tag_id] = counts.get(tag_id, 0) + 1
    _shift_tag_counts(session, counts)
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
