"""Writing the change feed: every upsert or delete of an article gets the next ``seq``.

The seq comes from bumping ``feed_state.last_seq`` in the writer's own transaction. The
UPDATE takes a row lock held until commit, so writers commit in seq order: a reader can
never be shown seq N and later a smaller one. On SQLite writers are serialised anyway.
"""

from collections.abc import Sequence

from sqlalchemy import delete, insert, text
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
    session.add(
        Change(
            seq=seq, article_id=article_id, op=op, content_hash=content_hash, changed_at=utcnow()
        )
    )
    session.flush()
    return seq


def record_changes(session: Session, changes: Sequence[tuple[str, str, str | None]]) -> list[int]:
    """``record_change`` for many articles at once: (article_id, op, content_hash) each.

    One UPDATE allots a block of seqs under the same row lock, so each article still gets
    its own seq, in the order given, and seq order stays commit order; a bulk ingest thus
    costs three statements per batch instead of three per article.
    """
    if not changes:
        return []
    last = int(
        session.execute(
            text(
                "UPDATE feed_state SET value = value + :n WHERE name = 'last_seq' RETURNING value"
            ),
            {"n": len(changes)},
        ).scalar_one()
    )
    seqs = list(range(last - len(changes) + 1, last + 1))
    ids = [article_id for article_id, _, _ in changes]
    if len(set(ids)) != len(ids):
        raise ValueError("one change per article in a call")
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        session.execute(delete(Change).where(Change.article_id.in_(chunk)))  # type: ignore[attr-defined]
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
