"""Prepared articles and index pages -> rows, search entries and change events.

``ArticleStore`` writes into the caller's session and never commits: the ingest run (one
unit of work per batch) or the upload endpoint (one for the whole upload) owns the
transaction. Per article it writes the ``article`` row, replaces its bylines, sections,
cited links, images and tags (keeping ``tag.article_count`` in step), keeps its revisions
(``app.ingest.revisions``), keeps the search index in step and records exactly one change.
An article whose public document did not change gets no write and no change event.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlmodel import Session

from app.articles.mapping import Row, document_hash, load_stored
from app.articles.stored import document_row
from app.db import copy_rows
from app.feed import OP_DELETE, OP_UPSERT, record_changes
from app.identity import article_id
from app.ingest.fill_in import fill_in, load_entries, store_entries
from app.ingest.prepare import FailedFile, PreparedArticle, PreparedIndexPage
from app.ingest.revisions import keep_revisions, rekey
from app.ingest.tables import (
    ARTICLE,
    DOCUMENT,
    TagKey,
    add_tags,
    delete_articles,
    find_tags,
    in_chunks,
    insert_parts,
    remove_parts,
)
from app.models import utcnow
from app.search.indexer import SearchDocument, index_articles, unindex_articles

# Columns a refill may change (the fields an index entry fills in).
_FILLED = ("title", "summary", "published_at", "published_precision", "authors")


@dataclass(slots=True)
class StoreOutcome:
    """What one write did: article ids added, updated, deleted; unchanged count; failures."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: int = 0
    failed: list[FailedFile] = field(default_factory=list)
    index_pages: int = 0


@dataclass(slots=True)
class _Held:
    path: str
    content_hash: str
    source_hash: str
    lacks: list[str]


class ArticleStore:
    """Writes articles; holds the index entries of one run, and the tag ids it met, in memory."""

    def __init__(self, session: Session) -> None:
        # Tag ids are looked up as articles want them, not all read up front: a PUT of one
        # article read every tag of the archive (11k on the dev archive), in a thread holding
        # the GIL for much of it, while the event loop's reads waited.
        self.tags: dict[tuple[str, str], int] = {}
        self.entries: dict[str, Row] = {}
        self._pending_tags: dict[tuple[str, str], int] = {}
        self.reload(session)

    def reload(self, session: Session) -> None:
        """Reads the index entries again and forgets the transaction's new tags (after a
        rolled-back transaction)."""
        self.entries = load_entries(session)
        self._pending_tags = {}

    def committed(self) -> None:
        """The caller committed: tags created in the transaction are now for good."""
        self.tags.update(self._pending_tags)
        self._pending_tags = {}

    # -- the write -----------------------------------------------------------------------

    def write(
        self, session: Session, items: Sequence[PreparedArticle | PreparedIndexPage]
    ) -> StoreOutcome:
        """Stores a batch of prepared articles and index pages; never commits."""
        now = utcnow()
        outcome = StoreOutcome()
        pages = [i for i in items if isinstance(i, PreparedIndexPage)]
        articles = self._distinct([i for i in items if isinstance(i, PreparedArticle)], outcome)
        entry_paths: list[str] = []
        for page in pages:
            entry_paths += store_entries(session, self.entries, page.records, page.path, now)
            outcome.index_pages += 1
        # A file that turned into an index page is no longer an article.
        outcome.deleted += self._delete_rows(session, [article_id(p.path) for p in pages])
        for prepared in articles:
            if fill_in(prepared.article, self.entries.get(prepared.path)):
                prepared.rehash()
        new, changed, before = self._classify(session, articles, outcome)
        for a in new:
            a.article["created_at"] = now
        for a in (*new, *changed):
            a.article["updated_at"] = now
        copy_rows(session, ARTICLE, [a.article for a in new])
        for a in changed:
            row = {k: v for k, v in a.article.items() if k != "created_at"}
            session.execute(update(ARTICLE).where(ARTICLE.c.id == a.id).values(row))
        # Before the old stored documents go: a replaced version keeps its own.
        keep_revisions(session, new, changed, before, self.entries, now)
        remove_parts(session, [a.id for a in changed])
        insert_parts(session, [*new, *changed], lambda wanted: self._tag_ids(session, wanted))
        outcome.added += [a.id for a in new]
        outcome.updated += [a.id for a in changed]
        in_batch = {a.path for a in articles}
        refilled = self._refill(session, [p for p in entry_paths if p not in in_batch], now)
        outcome.updated += [doc.id for doc, _ in refilled]
        upserted = [
            SearchDocument(a.id, a.article["title"], a.article["body_text"], prepared=a.search)
            for a in (*new, *changed)
        ]
        hashes = {a.id: a.content_hash for a in (*new, *changed)}
        hashes.update({doc.id: h for doc, h in refilled})
        self._publish(session, [*upserted, *(doc for doc, _ in refilled)], hashes, outcome.deleted)
        return outcome

    def delete(self, session: Session, ids: Sequence[str]) -> list[str]:
        """Deletes these articles (unknown ids are ignored), each with a ``delete`` change."""
        deleted = self._delete_rows(session, ids)
        self._publish(session, [], {}, deleted)
        return deleted

    # -- steps ---------------------------------------------------------------------------

    @staticmethod
    def _distinct(articles: list[PreparedArticle], outcome: StoreOutcome) -> list[PreparedArticle]:
        """One article per id: two paths can make one id (``a/b.md`` and ``a-b.md``)."""
        seen: dict[str, str] = {}
        out = []
        for a in articles:
            if a.id in seen:
                outcome.failed.append(
                    FailedFile(a.path, f"id {a.id!r} is already used by {seen[a.id]}")
                )
                continue
            seen[a.id] = a.path
            out.append(a)
        return out

    def _classify(
        self, session: Session, articles: list[PreparedArticle], outcome: StoreOutcome
    ) -> tuple[list[PreparedArticle], list[PreparedArticle], dict[str, str]]:
        """New articles, changed ones, and the stored content hash of each changed one."""
        held = self._held(session, [a.id for a in articles])
        new, changed = [], []
        for a in articles:
            h = held.get(a.id)
            if h is None:
                new.append(a)
            elif h.path != a.path:
                outcome.failed.append(
                    FailedFile(a.path, f"id {a.id!r} is already used by {h.path}")
                )
            elif h.content_hash != a.content_hash:
                changed.append(a)
            else:
                outcome.unchanged += 1
                if (h.source_hash, h.lacks) != (a.article["source_hash"], a.article["lacks"]):
                    # Same content from different bytes: remember the bytes, no change event.
                    session.execute(
                        update(ARTICLE)
                        .where(ARTICLE.c.id == a.id)
                        .values(
                            source_hash=a.article["source_hash"],
                            size_bytes=a.article["size_bytes"],
                            lacks=a.article["lacks"],
                        )
                    )
        return new, changed, {a.id: held[a.id].content_hash for a in changed}

    @staticmethod
    def _held(session: Session, ids: Sequence[str]) -> dict[str, _Held]:
        out: dict[str, _Held] = {}
        cols = (
            ARTICLE.c.id,
            ARTICLE.c.path,
            ARTICLE.c.content_hash,
            ARTICLE.c.source_hash,
            ARTICLE.c.lacks,
        )
        for chunk in in_chunks(list(ids)):
            for row in session.execute(select(*cols).where(ARTICLE.c.id.in_(chunk))):
                out[row.id] = _Held(
                    row.path, row.content_hash, row.source_hash, list(row.lacks or [])
                )
        return out

    def _delete_rows(self, session: Session, ids: Sequence[str]) -> list[str]:
        present = list(self._held(session, list(dict.fromkeys(ids))))
        if present:
            delete_articles(session, present)
        return present

    def _tag_ids(self, session: Session, wanted: set[TagKey]) -> dict[TagKey, int]:
        """Ids of these tags, creating missing ones (a concurrent ingest may create them too)."""
        known = {**self.tags, **self._pending_tags}
        # Tags that exist already are kept for good (a rollback of ours cannot remove them);
        # only those created here wait for the commit.
        found = find_tags(session, wanted - known.keys())
        self.tags.update(found)
        created = add_tags(session, wanted - known.keys() - found.keys())
        self._pending_tags.update(created)
        known.update(found)
        known.update(created)
        return {t: known[t] for t in wanted}

    def _refill(
        self, session: Session, paths: Sequence[str], now: datetime
    ) -> list[tuple[SearchDocument, str]]:
        """Applies new or changed index entries to stored articles; returns the changed ones."""
        out: list[tuple[SearchDocument, str]] = []
        stored = load_stored(session, [article_id(p) for p in paths])
        for ident, article in stored.items():
            row = article.article
            before = row["content_hash"]
            if not fill_in(row, self.entries.get(row["path"])):
                continue
            after = document_hash(article.document())
            if after == before:
                continue
            row.update(content_hash=after, updated_at=now)
            session.execute(
                update(ARTICLE)
                .where(ARTICLE.c.id == ident)
                .values({k: row[k] for k in (*_FILLED, "content_hash", "updated_at")})
            )
            session.execute(delete(DOCUMENT).where(DOCUMENT.c.article_id == ident))
            copy_rows(session, DOCUMENT, [document_row(article)])
            rekey(session, ident, before, {"content_hash": after, "title": row["title"]})
            out.append((SearchDocument(ident, row["title"], row["body_text"]), after))
        return out

    @staticmethod
    def _publish(
        session: Session,
        upserted: Sequence[SearchDocument],
        hashes: dict[str, str],
        deleted: Sequence[str],
    ) -> None:
        """The one place the store tells search and the change feed what it did."""
        index_articles(session, upserted)
        unindex_articles(session, deleted)
        record_changes(
            session,
            [(doc.id, OP_UPSERT, hashes[doc.id]) for doc in upserted]
            + [(ident, OP_DELETE, None) for ident in deleted],
        )
