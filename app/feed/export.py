"""The NDJSON export: every live article, then the digest trailer, from one snapshot."""

import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from app.articles.stored import with_members
from app.db import snapshot_session
from app.feed.digest import archive_digest
from app.feed.reads import documents_of, feed_sizes, runs_within
from app.models import Article

# Articles read per keyset step of an export: bounds memory whatever the archive's size.
EXPORT_CHUNK = 50
# Bytes of articles held at once when the caller names no bound (the setting's default).
EXPORT_MAX_BYTES = 8 * 1024 * 1024


def article_ids_after(session: Session, after: str | None, limit: int) -> list[str]:
    """The next ``limit`` article ids after ``after`` (keyset order of the database)."""
    query = select(col(Article.id)).order_by(col(Article.id)).limit(limit)
    if after is not None:
        query = query.where(col(Article.id) > after)
    return list(session.execute(query).scalars())


def export_lines(
    engine: Engine,
    *,
    include_text: bool = False,
    include_revisions: bool = False,
    max_bytes: int = EXPORT_MAX_BYTES,
) -> Iterator[str]:
    """NDJSON lines of every live article in id order, then the trailer, from one snapshot.

    ``include_text`` adds each article's ``searched_text`` to its line, ``include_revisions``
    its ``revisions`` (records, as ``/changes`` sends them). At most ``EXPORT_CHUNK``
    articles and about ``max_bytes`` of them (an article larger than that alone) are held
    at once.
    """
    options = {"include_text": include_text, "include_revisions": include_revisions}
    with snapshot_session(engine) as session:
        after: str | None = None
        while ids := article_ids_after(session, after, EXPORT_CHUNK):
            for run in runs_within(ids, feed_sizes(session, ids, **options), max_bytes):
                for doc in documents_of(session, run, **options).values():
                    members: dict[str, Any] = {}
                    if include_text:
                        members["searched_text"] = doc.searched_text
                    if doc.revisions is not None:
                        members["revisions"] = doc.revisions
                    yield with_members(doc.article, members).decode() + "\n"
            after = ids[-1]
        d = archive_digest(session)
        trailer = {"last_seq": d.last_seq, "digest": d.digest, "count": d.count}
        trailer.update(revisions=d.revisions, revisions_digest=d.revisions_digest)
        yield json.dumps(trailer) + "\n"
