"""The peer of bench/peers.py: the table a Datasette user would make of the corpus, served.

The bench's own virtual environment (Datasette, sqlite-utils, matplotlib; never the service's
dependencies) is built in the work folder. The table is one row a file (id, path, title,
body) inserted with `sqlite-utils insert` and searchable through `sqlite-utils enable-fts`
(FTS5, its default tokenizer), as the Datasette documentation shows; served by
`datasette serve -i` (immutable: the fastest way it serves a file that does not change).
"""

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from sides import corpus_key

from app.config import Settings
from app.identity import article_id
from app.ingest import open_source

# The versions the issue measured (Datasette 0.65.5); matplotlib draws the chart.
PACKAGES = ["datasette>=0.65.5,<0.66", "sqlite-utils>=3.36,<4", "matplotlib>=3.8,<4"]
DATABASE = "peers"  # the file's stem: Datasette's name of the database in its URLs
TABLE = "articles"
# A query of the whole table may take longer than Datasette's default 1 s on this archive;
# a timed-out request would count as an error instead of as the slow answer it is.
SETTINGS = ["--setting", "sql_time_limit_ms", "20000"]


def bench_venv(workdir: Path) -> Path:
    """The bench environment's bin folder, built (once) with PACKAGES."""
    venv = workdir / "bench-venv"
    stamp = venv / ".installed"
    if not stamp.exists() or stamp.read_text() != "\n".join(PACKAGES):
        print(f"building {venv} ({', '.join(PACKAGES)})", flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin/pip"), "install", "-q", *PACKAGES],
            check=True,
            stderr=subprocess.DEVNULL,  # the local index's "location is ignored" warnings
        )
        stamp.write_text("\n".join(PACKAGES))
    return venv / "bin"


def title_of(text: str, path: str) -> str:
    """What a Datasette user takes as the title: the first markdown heading, else the name."""
    for line in text.splitlines():
        if line.startswith("#"):
            return line.lstrip("#").strip()
    return path.rsplit("/", 1)[-1]


def rows(corpus: Path) -> Iterator[dict[str, str]]:
    """One row per readable file of the corpus, read by the service's own sources."""
    for file in open_source(corpus, Settings()):
        if file.data is None:
            continue
        text = file.data.decode("utf-8", errors="replace")
        yield {
            "id": article_id(file.path),
            "path": file.path,
            "title": title_of(text, file.path),
            "body": text,
        }


def peer_database(corpus: Path, workdir: Path, bin_dir: Path) -> tuple[Path, str]:
    """The Datasette table of the corpus (kept per corpus), and how long it took to build."""
    db = workdir / f"datasette-{corpus_key(corpus)}" / f"{DATABASE}.db"
    stamp = db.with_suffix(".built")
    if db.exists() and stamp.exists():
        return db, f"reused ({stamp.read_text().strip()} s when built)"
    db.parent.mkdir(parents=True, exist_ok=True)
    db.unlink(missing_ok=True)
    started = time.monotonic()
    lines = db.with_suffix(".jsonl")
    with lines.open("w") as out:
        for row in rows(corpus):
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    utils = str(bin_dir / "sqlite-utils")
    subprocess.run([utils, "insert", str(db), TABLE, str(lines), "--nl", "--pk", "id"], check=True)
    subprocess.run([utils, "enable-fts", str(db), TABLE, "title", "body", "--fts5"], check=True)
    lines.unlink()
    seconds = time.monotonic() - started
    stamp.write_text(f"{seconds:.0f}\n")
    return db, f"built in {seconds:.0f} s"


class DatasetteCommand:
    """`datasette serve -i DB` on 127.0.0.1 at a given port."""

    def __init__(self, bin_dir: Path, db: Path) -> None:
        self.bin_dir, self.db = bin_dir, db

    def __call__(self, port: int) -> list[str]:
        """The command line for ``port``."""
        return [
            str(self.bin_dir / "datasette"), "serve", "-i", str(self.db),
            "-h", "127.0.0.1", "-p", str(port), *SETTINGS,
        ]  # fmt: skip

    def version(self) -> str:
        """`datasette --version`."""
        return subprocess.run(
            [str(self.bin_dir / "datasette"), "--version"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
