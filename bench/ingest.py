"""Ingest benchmark: a full run into an empty database, then a second run with nothing changed.

    .venv/bin/python bench/ingest.py ../shared/corpus/ourhimalayas-txt-dev.tar.xz
    .venv/bin/python bench/ingest.py ARCHIVE --database-url postgresql+psycopg://postgres@127.0.0.1/bench

Prints the files, added/updated/unchanged/failed, the seconds of each run, the change
events the second run wrote (bars: first run <= 120 s, second <= 15 s with 0 change events,
peak memory <= 1 GiB), the peak RSS and the size of the database. A benchmark, not a test.
"""

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine

from app.config import Settings
from app.db import make_engine
from app.ingest import IngestReport, ingest
from app.migrate import upgrade_to_head
from app.models import Article, Change, FeedState


def feed_position(engine: Engine) -> tuple[int, int]:
    """(rows in ``change``, ``feed_state.last_seq``)."""
    with engine.connect() as conn:
        rows = conn.execute(select(func.count()).select_from(Change)).scalar_one()
        last = conn.execute(
            select(FeedState.value).where(FeedState.name == "last_seq")
        ).scalar_one()
    return int(rows), int(last)


def database_bytes(engine: Engine, url: str) -> int:
    """Size of the database on disk (SQLite: file + WAL; PostgreSQL: pg_database_size)."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        db = Path(url.removeprefix("sqlite:///"))
        return sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one())


def peak_rss_mib() -> tuple[float, float]:
    """Peak resident memory of this process and of its largest finished child, in MiB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, child


def timed_run(
    engine: Engine, archive: Path, settings: Settings, workers: int
) -> tuple[IngestReport, float]:
    started = time.perf_counter()
    report = ingest(engine, archive, settings=settings, workers=workers)
    return report, time.perf_counter() - started


def line(label: str, report: IngestReport, seconds: float) -> str:
    c = report.counts()
    return (
        f"{label}: {seconds:6.1f} s  files {c['files']}  added {c['added']}  "
        f"updated {c['updated']}  "
        f"unchanged {c['unchanged']}  deleted {c['deleted']}  failed {c['failed']}  "
        f"index pages {c['index_pages']}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("archive", type=Path)
    parser.add_argument(
        "--database-url", help="an EMPTY database (default: a new temp SQLite file)"
    )
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade_to_head(url)
        engine = make_engine(url)
        with engine.connect() as conn:
            if conn.execute(select(func.count()).select_from(Article)).scalar_one():
                print("the database is not empty: give an empty one", file=sys.stderr)
                return 2
        settings = Settings(database_url=url)
        print(
            f"database: {engine.dialect.name}   workers: {args.workers}   archive: {args.archive}"
        )

        first, first_s = timed_run(engine, args.archive, settings, args.workers)
        print(line("first run ", first, first_s))
        before = feed_position(engine)
        second, second_s = timed_run(engine, args.archive, settings, args.workers)
        after = feed_position(engine)
        print(line("second run", second, second_s))
        print(
            f"change events written by the second run: {after[1] - before[1]} "
            f"(change rows {before[0]} -> {after[0]})"
        )
        own, child = peak_rss_mib()
        print(
            f"peak RSS: main {own:.0f} MiB, largest worker {child:.0f} MiB, "
            f"sum {own + child:.0f} MiB"
        )
        print(f"database size: {database_bytes(engine, url) / 2**20:.0f} MiB")
        reasons: dict[str, int] = {}
        for failure in first.failed:
            key = failure.reason.split(":")[0]
            reasons[key] = reasons.get(key, 0) + 1
        for reason, n in sorted(reasons.items(), key=lambda kv: -kv[1])[:10]:
            print(f"  failed {n:6d}  {reason}")
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
