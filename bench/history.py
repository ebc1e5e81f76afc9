"""History ingest benchmark: a repository's whole history into an empty database, twice.

    .venv/bin/python bench/history.py ../shared/corpus/ourhimalayas-txt-history-sample.git.bundle
    .venv/bin/python bench/history.py REPO --ref main --database-url postgresql+psycopg://...

Prints commits, files (paths and slot articles), versions (distinct blobs read), articles,
failed, wall and CPU seconds, peak memory and the database size; then the same for a second
run over the same repository, which reads only the commits after the first's (and the
change events it wrote). A benchmark, not a test.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from ingest import TreeMemory, cpu_seconds, database_bytes, feed_position, peak_rss_mib
from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from app.config import Settings
from app.db import make_engine
from app.ingest import GitHistory, IngestReport, ingest_history
from app.migrate import upgrade_to_head
from app.models import Article


def _run(
    engine: Engine, repo: Path, ref: str | None, settings: Settings, workers: int
) -> tuple[GitHistory, IngestReport, float, float, float]:
    started, cpu = time.perf_counter(), cpu_seconds()
    with TreeMemory() as memory:
        report, source = ingest_history(engine, repo, settings, ref=ref, workers=workers)
    wall, used = time.perf_counter() - started, cpu_seconds() - cpu
    return source, report, wall, used, memory.peak_kib / 1024


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("repo", type=Path, help="a working tree, bare repository or .bundle")
    parser.add_argument("--ref", default=None)
    parser.add_argument(
        "--database-url", help="an EMPTY database (default: a new temp SQLite file)"
    )
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-history-") as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade_to_head(url)
        engine = make_engine(url)
        settings = Settings(database_url=url)
        print(f"database: {engine.dialect.name}   workers: {args.workers}   repo: {args.repo}")
        print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        for label in ("first run ", "second run"):
            before = feed_position(engine)
            source, report, wall, cpu, peak = _run(
                engine, args.repo, args.ref, settings, args.workers
            )
            with engine.connect() as conn:
                articles = conn.execute(select(func.count()).select_from(Article)).scalar_one()
            c = report.counts()
            print(
                f"{label}: commits {source.commits} (read {source.commits_after})  "
                f"files {c['files']}  "
                f"versions {source.versions}  articles {articles}  failed {c['failed']}  "
                f"added {c['added']}  updated {c['updated']}  unchanged {c['unchanged']}  "
                f"index pages {c['index_pages']}  {wall:.1f} s wall  {cpu:.1f} s CPU  "
                f"peak memory {peak:.0f} MiB (PSS, this process + workers)  "
                f"change events {feed_position(engine)[1] - before[1]}"
            )
        own, child = peak_rss_mib()
        print(f"getrusage peak RSS: main {own:.0f} MiB, largest child {child:.0f} MiB")
        print(f"database size: {database_bytes(engine, url) / 2**20:.1f} MiB")
        print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
