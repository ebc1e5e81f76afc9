"""Writing the change feed: every upsert or delete of an article gets the next ``seq``.

The seqs come from ``FeedState.next_seqs``, which bumps ``last_seq`` in the writer's own
transaction under a lock held until commit, so writers commit in seq order: a reader can
never be shown seq N and later a smaller one.
"""

from collections.abc import Sequence

from sqlalchemy import delete, insert
from sqlmodel import Session, col

from app.models import Change, FeedState, utcnow

OP_UPSERT = "upsert"
OP_DELETE = "delete"

# Bound on the ids of one IN (...): SQLite and PostgreSQL both cap bound parameters.
_CHUNK = 500


def record_changes(session: Session, changes: Sequence[tuple[str, str, str | None]]) -> list[int]:
    """Records the newest change of each article, (article_id, op, content_hash) each.

    Each replaces the article's previous entry and gets its own seq, in the order given;
    one UPDATE allots the whole block under the same lock, so a bulk ingest costs three
    statements per batch instead of three per article. Returns the seqs.
    """
    if not changes:
        return []
    ids = [article_id for article_id, _, _ in changes]
    if len(set(ids)) != len(ids):
        raise ValueError("one change per article in a call")
    seqs = list(FeedState.next_seqs(session, len(changes)))
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        session.execute(delete(Change).where(col(Change.article_id).in_(chunk)))
    now = utcnow()
    session.execute(
        insert(Change),
        [
            {
                "seq": seq,
                "article_id": article_id,
                "op": op,
                "content_hash": content_hash,
                "changed_at": now,
            }
            for seq, (article_id, op, content_hash) in zip(seqs, changes, strict=True)
        ],
    )
    return seqs
