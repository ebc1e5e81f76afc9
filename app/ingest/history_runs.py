"""A history ingest that remembers where it got to: the next run reads only newer commits.

``ingest_history`` reads the commit a previous run of the same repository and ref read to
(``history_state``), replays the history with ``since`` set (the log is cheap; only paths
and slot articles that commits after it changed are read, parsed and written) and, when the
whole history was read, stores the new tip. A rewritten history (the stored commit is no
longer an ancestor) fails with a clear message; ``full`` reads everything again.
"""

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine

from app.config import Settings
from app.ingest.git_history import GitHistory
from app.ingest.report import IngestReport
from app.ingest.run import IngestProgress, ingest
from app.models import HistoryState, utcnow

STATE = HistoryState.__table__  # type: ignore[attr-defined]


def repository_key(location: Path) -> str:
    """How a repository is named in ``history_state``: its absolute path."""
    return str(location.resolve())


def stored_commit(engine: Engine, location: Path, ref: str | None) -> str | None:
    """The commit the last complete run over this repository and ref read to."""
    with engine.connect() as conn:
        found = conn.execute(
            select(STATE.c.commit).where(
                STATE.c.repository == repository_key(location), STATE.c.ref == (ref or "HEAD")
            )
        ).scalar_one_or_none()
    return str(found) if found is not None else None


def _store_commit(engine: Engine, location: Path, ref: str | None, commit: str) -> None:
    key = {"repository": repository_key(location), "ref": ref or "HEAD"}
    with engine.begin() as conn:
        conn.execute(
            delete(STATE).where(STATE.c.repository == key["repository"], STATE.c.ref == key["ref"])
        )
        conn.execute(insert(STATE).values(**key, commit=commit, updated_at=utcnow()))


def ingest_history(
    engine: Engine,
    location: Path,
    settings: Settings,
    *,
    ref: str | None = None,
    full: bool = False,
    workers: int = 0,
    progress: Callable[[IngestProgress], None] | None = None,
) -> tuple[IngestReport, GitHistory]:
    """Ingests a repository's history from where the last run left it (all with ``full``)."""
    since = None if full else stored_commit(engine, location, ref)
    source = GitHistory(location, settings, ref=ref, since=since, progress=progress)
    report = ingest(engine, source, settings=settings, workers=workers, progress=progress)
    if report.complete and source.tip is not None:
        _store_commit(engine, location, ref, source.tip)
    return report, source
