"""Ingest benchmark: a full run into an empty database, then a second run with nothing changed.

    .venv/bin/python bench/ingest.py ../shared/corpus/ourhimalayas-txt-dev.tar.xz
    .venv/bin/python bench/ingest.py ARCHIVE --database-url postgresql+psycopg://postgres@127.0.0.1/bench

Prints the files, added/updated/unchanged/failed, the seconds of each run, the change
events the second run wrote (bars: first run <= 120 s, second <= 15 s with 0 change events,
peak memory <= 1 GiB), the peak RSS and the size of the database. A benchmark, not a test.
"""

import argparse
import os
import resource
import sys
import tempfile
import threading
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


class TreeMemory:
    """Samples the memory (PSS) of this process plus its children (the parse workers) twice
    a second: the peak of their sum is what the machine had to hold at once."""

    def __init__(self) -> None:
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "TreeMemory":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self.peak_kib = max(self.peak_kib, sum(_pss_kib(p) for p in _tree(os.getpid())))


def _tree(pid: int) -> list[int]:
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        for child in task.read_text().split():
            pids += _tree(int(child))
    return pids


def _pss_kib(pid: int) -> int:
    """Proportional set size: pages shared with the parent (forked workers) counted once."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass  # the process ended between the listing and the read
    return 0


def peak_rss_mib() -> tuple[float, float]:
    """Peak resident memory of this process and of its largest finished child, in MiB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, child


def cpu_seconds() -> float:
    """CPU time (user + system) used so far by this process and its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def timed_run(
    engine: Engine, archive: Path, settings: Settings, workers: int
) -> tuple[IngestReport, float, float]:
    """The report, wall seconds and CPU seconds of one ingest (CPU: what a busy machine hides)."""
    started, cpu = time.perf_counter(), cpu_seconds()
    report = ingest(engine, archive, settings=settings, workers=workers)
    return report, time.perf_counter() - started, cpu_seconds() - cpu


def line(label: str, report: IngestReport, seconds: float, cpu: float) -> str:
    c = report.counts()
    return (
        f"{label}: {seconds:6.1f} s wall, {cpu:6.1f} s CPU  files {c['files']}  "
        f"added {c['added']}  updated {c['updated']}  "
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

        print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        with TreeMemory() as first_memory:
            first, first_s, first_cpu = timed_run(engine, args.archive, settings, args.workers)
        print(line("first run ", first, first_s, first_cpu))
        before = feed_position(engine)
        with TreeMemory() as second_memory:
            second, second_s, second_cpu = timed_run(engine, args.archive, settings, args.workers)
        after = feed_position(engine)
        print(line("second run", second, second_s, second_cpu))
        print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        print(
            f"change events written by the second run: {after[1] - before[1]} "
            f"(change rows {before[0]} -> {after[0]})"
        )
        print(
            f"peak memory (PSS of this process + its workers, sampled every 0.5 s): first run "
            f"{first_memory.peak_kib / 1024:.0f} MiB, "
            f"second run {second_memory.peak_kib / 1024:.0f} MiB"
        )
        own, child = peak_rss_mib()
        print(
            f"getrusage peak RSS: main {own:.0f} MiB, largest child {child:.0f} MiB "
            "(a child's figure can include pages of the parent it was started from)"
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
