"""History ingest benchmark: a repository's whole history into an empty database, twice.

    .venv/bin/python bench/history.py ../shared/corpus/ourhimalayas-txt-history-sample.git.bundle
    .venv/bin/python bench/history.py REPO --ref main --database-url postgresql+psycopg://...

Prints commits, files (paths and slot articles), versions (distinct blobs read), articles,
failed, wall and CPU seconds, peak memory and the database size; then the same for a second
run over the same repository, which reads only the commits after the first's (and the
change events it wrote); then the revisions kept (current, replaced, older versions of the
history), the space their table and index take on disk, and that against the stored
article text (the current files' bytes, and the article rows' body_markdown + body_text).
With ``--new-commits N``: a working-tree clone of the repository is read into the same
database (nothing changes: the same paths, bytes and times), N commits are made in it (each
a new GNews article in slot 1 and a new version of README.md listing it), and a run after
them prints what it read: only those commits' files. A benchmark, not a test.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ingest import TreeMemory, cpu_seconds, database_bytes, feed_position, peak_rss_mib
from sqlalchemy import func, select, text
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


def _run_line(
    label: str,
    engine: Engine,
    run: tuple[GitHistory, IngestReport, float, float, float],
    before: tuple[int, int],
) -> str:
    source, report, wall, cpu, peak = run
    with engine.connect() as conn:
        articles = conn.execute(select(func.count()).select_from(Article)).scalar_one()
    c = report.counts()
    return (
        f"{label}: commits {source.commits} (read {source.commits_after})  "
        f"files {c['files']}  "
        f"versions {source.versions}  articles {articles}  failed {c['failed']}  "
        f"added {c['added']}  updated {c['updated']}  unchanged {c['unchanged']}  "
        f"index pages {c['index_pages']}  {wall:.1f} s wall  {cpu:.1f} s CPU  "
        f"peak memory {peak:.0f} MiB (PSS, this process + workers)  "
        f"change events {feed_position(engine)[1] - before[1]}"
    )


def _git(tree: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@localhost"}
    env.update(GIT_COMMITTER_NAME="bench", GIT_COMMITTER_EMAIL="bench@localhost")
    subprocess.run(["git", "-C", str(tree), *args], check=True, capture_output=True, env=env)


def new_commits(tree: Path, count: int) -> None:
    """``count`` commits in a working tree, each a new GNews article in slot 1 and a new
    version of README.md listing it (the shape of the archive's 2021-22 commits)."""
    slot, index = tree / "content" / "gnews" / "1" / "README.md", tree / "README.md"
    slot.parent.mkdir(parents=True, exist_ok=True)
    for n in range(count):
        gnews_id = 9_000_000 + n
        slot.write_bytes(
            "###  [:house:返回首頁](https://github.com/ourhimalayas/txt)\r\n---\r\n\r\n\r\n"
            f"## 新文章 {n}\r\n` 农场` [轉載自GNews](https://gnews.org/zh-hans/{gnews_id}/)"
            "\r\n\r\n正文。\r\n".encode()
        )
        old = index.read_bytes() if index.exists() else b""
        entry = f"### [新文章 {n}](/content/gnews/1/README.md)\r\n ` 农场`\r\n\r\n"
        index.write_bytes(entry.encode() + old)
        _git(tree, "add", "--all")
        _git(tree, "commit", "--quiet", "-m", f"bench: new article {n}")


def revision_figures(engine: Engine) -> str:
    """Revisions by form, their size on disk, and that against the stored article text."""
    sqlite = engine.dialect.name == "sqlite"
    octets = "length(CAST({} AS BLOB))" if sqlite else "octet_length({})"
    with engine.connect() as conn:
        forms = conn.execute(
            text(
                "SELECT count(*), count(markdown), count(document), "
                f"coalesce(sum({octets.format('markdown')}), 0), "
                f"coalesce(sum({octets.format('document')}), 0) FROM article_revision"
            )
        ).one()
        files, bodies = conn.execute(
            text(
                "SELECT coalesce(sum(size_bytes), 0), coalesce(sum("
                f"{octets.format('body_markdown')} + {octets.format('body_text')}), 0) "
                "FROM article"
            )
        ).one()
        if sqlite:
            on_disk = conn.execute(
                text(
                    "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name IN "
                    "(SELECT name FROM sqlite_master WHERE tbl_name = 'article_revision')"
                )
            ).scalar_one()
        else:
            on_disk = conn.execute(
                text("SELECT pg_total_relation_size('article_revision')")
            ).scalar_one()
    total, markdown, document, markdown_bytes, document_bytes = forms
    mib = 2**20
    return (
        f"revisions: {total} ({total - markdown - document} current, {document} replaced, "
        f"{markdown} older versions of the history); stored texts "
        f"{(markdown_bytes + document_bytes) / mib:.2f} MiB compressed; table + index on disk "
        f"{int(on_disk) / mib:.2f} MiB\n"
        f"article text: files {int(files) / mib:.1f} MiB, body_markdown + body_text "
        f"{int(bodies) / mib:.1f} MiB; revisions on disk / files "
        f"{int(on_disk) / max(int(files), 1):.3f}x, "
        f"/ bodies {int(on_disk) / max(int(bodies), 1):.3f}x"
    )


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
    parser.add_argument(
        "--new-commits", type=int, default=0, help="then N new commits in a clone, read again"
    )
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
            run = _run(engine, args.repo, args.ref, settings, args.workers)
            print(_run_line(label, engine, run, before))
        if args.new_commits:
            tree = Path(tmp) / "clone"
            ref = ["--branch", args.ref] if args.ref else []
            subprocess.run(["git", "clone", "--quiet", *ref, str(args.repo), str(tree)], check=True)
            before = feed_position(engine)
            run = _run(engine, tree, None, settings, args.workers)
            print(_run_line("a clone   ", engine, run, before))
            new_commits(tree, args.new_commits)
            before = feed_position(engine)
            run = _run(engine, tree, None, settings, args.workers)
            print(_run_line(f"+{args.new_commits} commits", engine, run, before))
        own, child = peak_rss_mib()
        print(f"getrusage peak RSS: main {own:.0f} MiB, largest child {child:.0f} MiB")
        print(f"database size: {database_bytes(engine, url) / 2**20:.1f} MiB")
        print(revision_figures(engine))
        print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
