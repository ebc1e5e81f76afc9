"""Writing the change feed: every upsert or delete of an article gets the next ``seq``.

The seq comes from bumping ``feed_state.last_seq`` in the writer's own transaction. The
UPDATE takes a row lock held until commit, so writers commit in seq order: a reader can
never be shown seq N and later a smaller one. On SQLite writers are serialised anyway.
"""

from sqlalchemy import delete, text
from sqlmodel import Session

from app.models import Change, utcnow

OP_UPSERT = "upsert"
OP_DELETE = "delete"


def next_seq(session: Session) -> int:
    """Allots the next sequence number; the caller's transaction holds the lock until it ends."""
    row = session.execute(
        text("UPDATE feed_state SET value = value + 1 WHERE name = 'last_seq' RETURNING value")
    ).one()
    return int(row[0])


def record_change(session: Session, *, article_id: str, op: str, content_hash: str | None) -> int:
    """Records the newest change of one article, replacing its previous entry; returns its seq."""
    seq = next_seq(session)
    session.execute(delete(Change).where(Change.article_id == article_id))  # type: ignore[arg-type]
    session.add(Change(seq=seq, article_id=article_id, op=op, content_hash=content_hash, changed_at=utcnow()))
    session.flush()
    return seq
