"""Tombstone retention: deletions older than ``change_retention_days`` leave the feed.

Dropping a tombstone raises the feed's ``purged_seq`` to its seq, so a reader that stopped
before it gets ``410`` and starts again from 0 instead of silently missing the deletion.
Run by ``corpus serve`` at start and by ``corpus prune-changes``.
"""

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from app.db import unit_of_work
from app.feed.writes import OP_DELETE
from app.models import Change, FeedState, utcnow


def purge_tombstones(session: Session, *, older_than: datetime) -> int:
    """Drops delete-changes made before ``older_than`` and raises purged_seq; returns how many."""
    is_old_delete = (col(Change.op) == OP_DELETE) & (col(Change.changed_at) < older_than)
    highest = session.execute(select(func.max(col(Change.seq))).where(is_old_delete)).scalar_one()
    if highest is None:
        return 0
    dropped = session.execute(delete(Change).where(is_old_delete & (col(Change.seq) <= highest)))
    FeedState.raise_purged(session, int(highest))
    return int(dropped.rowcount or 0)  # type: ignore[attr-defined]


def prune_changes(engine: Engine, *, retention_days: int, now: datetime | None = None) -> int:
    """Purges tombstones older than ``retention_days`` in one transaction; returns how many."""
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    with unit_of_work(engine) as session:
        return purge_tombstones(session, older_than=cutoff)
