"""The archive digest: what a mirror compares to prove it holds what the origin holds."""

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from app.articles.mapping import json_time
from app.db import code_point_order, snapshot_session
from app.models import Article, ArticleRevision, FeedState

DIGEST_ALGORITHM = (
    "SHA-256 over the UTF-8 bytes of one line `<id>\\t<content_hash>\\n` per live article, "
    "the lines in ascending order of `id` by Unicode code point (byte order of UTF-8); "
    "`count` is the number of those lines. An empty archive has the SHA-256 of no bytes."
)
REVISIONS_DIGEST_ALGORITHM = (
    "SHA-256 over the UTF-8 bytes of one line "
    "`<id>\\t<content_hash>\\t<commit>\\t<committed_at>\\n` per revision of a live article "
    "(`commit` empty when null, `committed_at` as the API writes it), in ascending order of "
    "`id`, then `content_hash`, by Unicode code point; `revisions` is the number of lines."
)


@dataclass(frozen=True, slots=True)
class ArchiveDigest:
    """What a mirror compares to prove it holds what the origin holds."""

    last_seq: int
    count: int
    digest: str
    revisions: int = 0
    revisions_digest: str = hashlib.sha256().hexdigest()


def _ids_in_code_point_order(session: Session) -> Iterator[tuple[str, str]]:
    result = session.execute(
        select(col(Article.id), col(Article.content_hash)).order_by(
            code_point_order(col(Article.id), session)
        ),
        execution_options={"yield_per": 5000},
    )
    yield from ((article_id, content_hash) for article_id, content_hash in result)


def _revision_lines(session: Session) -> Iterator[str]:
    revision = ArticleRevision
    result = session.execute(
        select(
            col(revision.article_id),
            col(revision.content_hash),
            col(revision.commit),
            col(revision.committed_at),
        ).order_by(
            code_point_order(col(revision.article_id), session),
            code_point_order(col(revision.content_hash), session),
        ),
        execution_options={"yield_per": 5000},
    )
    for article_id, content_hash, commit, committed_at in result:
        yield f"{article_id}\t{content_hash}\t{commit or ''}\t{json_time(committed_at)}\n"


def archive_digest(session: Session) -> ArchiveDigest:
    """The digest of every live article's ``(id, content_hash)``; see ``DIGEST_ALGORITHM``.

    Also that of every revision (``REVISIONS_DIGEST_ALGORITHM``), in the same snapshot.
    """
    last_seq = FeedState.read(session, FeedState.LAST_SEQ)
    digest = hashlib.sha256()
    count = 0
    for article_id, content_hash in _ids_in_code_point_order(session):
        digest.update(f"{article_id}\t{content_hash}\n".encode())
        count += 1
    revisions = hashlib.sha256()
    revision_count = 0
    for line in _revision_lines(session):
        revisions.update(line.encode())
        revision_count += 1
    return ArchiveDigest(
        last_seq=last_seq,
        count=count,
        digest=digest.hexdigest(),
        revisions=revision_count,
        revisions_digest=revisions.hexdigest(),
    )


def current_digest(engine: Engine) -> ArchiveDigest:
    """``archive_digest`` from a snapshot of its own."""
    with snapshot_session(engine) as session:
        return archive_digest(session)
