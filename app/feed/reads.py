"""Reading the change feed: pages of changes, the since checks, and the documents it sends.

Every read runs inside ``app.db.snapshot_session``: one transaction whose statements all see
the same committed state, so the ``last_seq`` a reader is given always agrees with the rows
it was given. Writers commit in seq order (see ``app.feed.writes``), so a snapshot that
holds seq N holds every seq below N too.
"""

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from app.articles.revisions import records_of, stored_sizes
from app.db import snapshot_session
from app.errors import FeedAhead, Gone
from app.feed.writes import OP_UPSERT
from app.models import Change, FeedState
from app.queries.articles import document_sizes, documents
from app.search.indexer import searched_file_texts


@dataclass(frozen=True, slots=True)
class ChangeEntry:
    """One change as the feed shows it: the newest change of one article."""

    seq: int
    article_id: str
    op: str
    content_hash: str | None
    changed_at: datetime


@dataclass(frozen=True, slots=True)
class ChangesPage:
    """Changes after ``since`` in seq order, and the seq a reader may go on from."""

    entries: list[ChangeEntry]
    last_seq: int


@dataclass(frozen=True, slots=True)
class FeedDocument:
    """An article as the feed sends it: its public JSON and, when asked, its searched text."""

    article: bytes  # the stored document, as every read serves it
    searched_text: str | None
    revisions: list[dict[str, Any]] | None = None  # records (``app.articles.revisions``)


def check_since(session: Session, since: int) -> int:
    """Raises ``Gone`` when the feed cannot answer from ``since``; returns the last seq."""
    last_seq = FeedState.read(session, FeedState.LAST_SEQ)
    if since > last_seq:
        # A seq this feed never handed out: the origin was rebuilt under the reader.
        raise FeedAhead(
            f"since={since} is ahead of this feed (last_seq={last_seq}); start again from 0"
        )
    purged = FeedState.read(session, FeedState.PURGED_SEQ)
    if 0 < since < purged:
        raise Gone(
            f"since={since} is older than the retained deletions (purged up to {purged}); "
            "start again from 0"
        )
    return last_seq


def read_changes(session: Session, *, since: int, limit: int) -> ChangesPage:
    """The newest change of each article changed after ``since``, in seq order."""
    last_seq = check_since(session, since)
    rows = session.execute(
        select(
            col(Change.seq),
            col(Change.article_id),
            col(Change.op),
            col(Change.content_hash),
            col(Change.changed_at),
        )
        .where(col(Change.seq) > since)
        .order_by(col(Change.seq))
        .limit(limit)
    ).all()
    entries = [ChangeEntry(*row) for row in rows]
    # A full page may be followed by more: go on from its end. A short page is everything up
    # to the snapshot's last_seq (tombstones purged past the end leave no row behind).
    if len(entries) == limit:
        return ChangesPage(entries, entries[-1].seq)
    return ChangesPage(entries, max(last_seq, entries[-1].seq if entries else since))


def documents_of(
    session: Session,
    ids: Sequence[str],
    *,
    include_text: bool = False,
    include_revisions: bool = False,
) -> dict[str, FeedDocument]:
    """The document of each live article among ``ids``, in their order; the feed's one read.

    ``include_text`` adds each article's ``searched_text`` (``searched_file_texts``: null for
    an article indexed by its title and body text only); ``include_revisions`` its revisions.
    """
    texts = searched_file_texts(session, ids) if include_text else {}
    revisions = records_of(session, ids) if include_revisions else {}
    stored = documents(session, ids)
    return {
        i: FeedDocument(
            stored[i], texts.get(i), revisions.get(i, []) if include_revisions else None
        )
        for i in ids
        if i in stored
    }


# zlib keeps 0.4-0.55 of a revision's text (``app.articles.revisions``): a record sent is at
# most about 3 times what is stored for it.
REVISION_EXPANSION = 3


def feed_sizes(
    session: Session,
    ids: Sequence[str],
    *,
    include_text: bool = False,
    include_revisions: bool = False,
) -> dict[str, int]:
    """About how many bytes each of ``ids`` weighs in the feed, from stored lengths alone.

    The document's own length; with ``include_text`` twice that (the searched text is the
    file's plain text, shorter than the document, which holds the markdown and the text);
    with ``include_revisions`` plus its revisions' stored bytes, expanded.
    """
    sizes = document_sizes(session, ids)
    if include_text:
        sizes = {i: 2 * n for i, n in sizes.items()}
    if include_revisions:
        for i, n in stored_sizes(session, ids).items():
            sizes[i] = sizes.get(i, 0) + REVISION_EXPANSION * n
    return sizes


def runs_within(ids: Sequence[str], sizes: Mapping[str, int], budget: int) -> Iterator[list[str]]:
    """``ids`` in order, in consecutive runs of at most ``budget`` bytes (an article larger
    than that is a run of its own), so a reader holds one run's documents at a time."""
    run: list[str] = []
    total = 0
    for i in ids:
        size = sizes.get(i, 0)
        if run and total + size > budget:
            yield run
            run, total = [], 0
        run.append(i)
        total += size
    if run:
        yield run


def bounded(page: ChangesPage, sizes: Mapping[str, int], max_bytes: int) -> ChangesPage:
    """``page`` cut before the first upsert that would take its articles past ``max_bytes``
    (never before its first entry); a reader goes on from the last seq it keeps."""
    upserted = [e.article_id for e in page.entries if e.op == OP_UPSERT]
    kept = set(next(runs_within(upserted, sizes, max_bytes), []))
    for n, entry in enumerate(page.entries):
        if n > 0 and entry.op == OP_UPSERT and entry.article_id not in kept:
            return ChangesPage(page.entries[:n], page.entries[n - 1].seq)
    return page


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def changes_body(
    engine: Engine,
    *,
    since: int,
    limit: int,
    include_docs: bool,
    include_text: bool = False,
    include_revisions: bool = False,
    max_bytes: int | None = None,
) -> dict[str, Any] | None:
    """One snapshot read of the feed as the ``/changes`` JSON body; ``None`` if nothing is new.

    With ``include_docs``, ``max_bytes`` bounds the page's articles too (``bounded``), so a
    reader's page costs the server about that much memory whatever the articles weigh.

    Articles are ``orjson.Fragment``s of their stored bytes: encode the body with orjson.

    ``include_docs`` puts each upserted article in its change; with ``include_text`` too,
    its ``searched_text`` beside it, with ``include_revisions`` its revisions.
    """
    with snapshot_session(engine) as session:
        page = read_changes(session, since=since, limit=limit)
        docs: dict[str, FeedDocument] = {}
        if include_docs and page.entries:
            if max_bytes is not None:
                ids = [e.article_id for e in page.entries if e.op == OP_UPSERT]
                sizes = feed_sizes(
                    session, ids, include_text=include_text, include_revisions=include_revisions
                )
                page = bounded(page, sizes, max_bytes)
            upserted = [e.article_id for e in page.entries if e.op == OP_UPSERT]
            docs = documents_of(
                session,
                upserted,
                include_text=include_text,
                include_revisions=include_revisions,
            )
    if not page.entries and page.last_seq == since:
        return None
    results = []
    for e in page.entries:
        entry: dict[str, Any] = {
            "seq": e.seq,
            "id": e.article_id,
            "op": e.op,
            "content_hash": e.content_hash,
            "changed_at": _iso(e.changed_at),
        }
        doc = docs.get(e.article_id)
        if doc is not None:
            entry["article"] = orjson.Fragment(doc.article)  # written as stored, not re-encoded
            if include_text:
                entry["searched_text"] = doc.searched_text
            if doc.revisions is not None:
                entry["revisions"] = doc.revisions
        results.append(entry)
    return {"results": results, "last_seq": page.last_seq}
