"""Reading the change feed: pages of changes, the archive digest, and export snapshots.

Every read here runs inside ``snapshot``: one transaction whose statements all see the same
committed state (REPEATABLE READ on PostgreSQL, a deferred ``BEGIN`` on SQLite), so the
``last_seq`` a reader is given always agrees with the rows it was given. Writers commit in
seq order (see ``app.feed``), so a snapshot that holds seq N holds every seq below N too.
"""

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from app.db import dialect_name
from app.errors import Gone
from app.models import Article, Change
from app.queries.articles import load_articles
from app.search.indexer import searched_file_texts

DIGEST_ALGORITHM = (
    "SHA-256 over the UTF-8 bytes of one line `<id>\\t<content_hash>\\n` per live article, "
    "the lines in ascending order of `id` by Unicode code point (byte order of UTF-8); "
    "`count` is the number of those lines. An empty archive has the SHA-256 of no bytes."
)


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
class ArchiveDigest:
    """What a mirror compares to prove it holds what the origin holds."""

    last_seq: int
    count: int
    digest: str


@contextmanager
def snapshot(engine: Engine) -> Iterator[Session]:
    """A read-only session whose statements all see one consistent committed state."""
    session = Session(engine, expire_on_commit=False)
    try:
        if dialect_name(engine) == "postgresql":
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        else:
            # pysqlite starts no transaction for SELECTs: without this each statement would
            # see its own state. The snapshot is taken at the first read after BEGIN.
            session.connection().exec_driver_sql("BEGIN")
        yield session
    finally:
        session.rollback()
        session.close()


def feed_counter(session: Session, name: str) -> int:
    """``last_seq`` or ``purged_seq`` of ``feed_state``, as this session sees it."""
    value = session.execute(
        text("SELECT value FROM feed_state WHERE name = :name"), {"name": name}
    ).scalar_one()
    return int(value)


def check_since(session: Session, since: int) -> int:
    """Raises ``Gone`` when the feed cannot answer from ``since``; returns the last seq."""
    last_seq = feed_counter(session, "last_seq")
    if since > last_seq:
        # A seq this feed never handed out: the origin was rebuilt under the reader.
        raise Gone(f"since={since} is ahead of this feed (last_seq={last_seq}); start again from 0")
    purged = feed_counter(session, "purged_seq")
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


def _ids_in_code_point_order(session: Session) -> Iterator[tuple[str, str]]:
    id_column = (
        col(Article.id) if dialect_name(session) == "sqlite" else col(Article.id).collate("C")
    )
    result = session.execute(
        select(col(Article.id), col(Article.content_hash)).order_by(id_column),
        execution_options={"yield_per": 5000},
    )
    yield from ((article_id, content_hash) for article_id, content_hash in result)


def archive_digest(session: Session) -> ArchiveDigest:
    """The digest of every live article's ``(id, content_hash)``; see ``DIGEST_ALGORITHM``."""
    last_seq = feed_counter(session, "last_seq")
    digest = hashlib.sha256()
    count = 0
    for article_id, content_hash in _ids_in_code_point_order(session):
        digest.update(f"{article_id}\t{content_hash}\n".encode())
        count += 1
    return ArchiveDigest(last_seq=last_seq, count=count, digest=digest.hexdigest())


def article_ids_after(session: Session, after: str | None, limit: int) -> list[str]:
    """The next ``limit`` article ids after ``after`` (keyset order of the database)."""
    query = select(col(Article.id)).order_by(col(Article.id)).limit(limit)
    if after is not None:
        query = query.where(col(Article.id) > after)
    return list(session.execute(query).scalars())


# Articles read per keyset step of an export: bounds memory whatever the archive's size.
EXPORT_CHUNK = 50


def export_lines(engine: Engine, *, include_text: bool = False) -> Iterator[str]:
    """NDJSON lines of every live article in id order, then the trailer, from one snapshot.

    ``include_text`` adds each article's ``searched_text`` (``searched_file_texts``).
    """
    with snapshot(engine) as session:
        after: str | None = None
        while ids := article_ids_after(session, after, EXPORT_CHUNK):
            texts = searched_file_texts(session, ids) if include_text else {}
            for article in load_articles(session, ids):
                if not include_text:
                    yield article.model_dump_json() + "\n"
                    continue
                line = article.model_dump(mode="json")
                line["searched_text"] = texts.get(article.id)
                yield json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n"
            after = ids[-1]
        d = archive_digest(session)
        yield json.dumps({"last_seq": d.last_seq, "digest": d.digest, "count": d.count}) + "\n"
