"""The pieces the side-by-side benchmarks share: a version of the code (a side), its database.

A side is a tree (or a revision checked out into a worktree) with the interpreter that runs
it; its database is the corpus migrated and ingested by that side's own `corpus` CLI into a
SQLite file of the work folder, kept and reused while the key (code and corpus) is the same.
Used by bench/read_compare.py (an old commit against this tree) and bench/peers.py (this
service against Datasette).
"""

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import tomllib
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEV_ARCHIVE = "shared/corpus/ourhimalayas-txt-dev.tar.xz"
# Runs the side's own CLI through its interpreter, so PYTHONPATH decides which `app` it is.
CLI = "import sys; from app.cli import main; sys.argv[0] = 'corpus'; main()"


@dataclass(frozen=True)
class Side:
    """One version of the code: its tree, the interpreter that runs it, its database key."""

    label: str
    tree: Path
    python: Path
    key: str
    described: str

    def env(self, database_url: str | None = None) -> dict[str, str]:
        """Environment for the side's commands: its tree first on the import path."""
        env = {**os.environ, "PYTHONPATH": str(self.tree), "CORPUS_LOG_LEVEL": "WARNING"}
        if database_url:
            env["DATABASE_URL"] = database_url
        return env

    def corpus(self) -> list[str]:
        """The command that runs this side's `corpus` CLI."""
        return [str(self.python), "-c", CLI]


def git(*args: str, cwd: Path = REPO) -> str:
    """Output of one git command in ``cwd``, stripped."""
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def default_corpus() -> Path:
    """The shared dev archive beside this tree, or beside the main tree when this is a worktree."""
    main_tree = Path(git("rev-parse", "--path-format=absolute", "--git-common-dir")).parent
    for root in (REPO.parent, main_tree.parent):
        if (root / DEV_ARCHIVE).exists():
            return root / DEV_ARCHIVE
    return REPO.parent / DEV_ARCHIVE


def content_key(tree: Path, tops: tuple[str, ...] = ("app", "migrations")) -> str:
    """Hash of the tree's files under ``tops``: the new side's tree may be uncommitted."""
    digest = hashlib.sha256()
    for top in tops:
        found = [tree / top] if (tree / top).is_file() else (tree / top).rglob("*")
        for path in sorted(found):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(tree)).encode() + b"\0")
                digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def corpus_key(corpus: Path) -> str:
    """Hash of the corpus's name, sizes and times, so another corpus gets another database."""
    files = [corpus] if corpus.is_file() else sorted(p for p in corpus.rglob("*") if p.is_file())
    digest = hashlib.sha256(str(corpus).encode())
    for path in files:
        stat = path.stat()
        digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:8]


def dependencies(tree: Path) -> list[str]:
    """The `[project] dependencies` of a tree's pyproject.toml."""
    with (tree / "pyproject.toml").open("rb") as f:
        return list(tomllib.load(f)["project"]["dependencies"])


def interpreter(tree: Path, workdir: Path, own_venv: bool) -> Path:
    """The tree's own .venv; else this interpreter when the dependencies are the same; else a
    venv built in the work folder for that pyproject.toml (kept for the next run)."""
    if (tree / ".venv/bin/python").exists():
        return tree / ".venv/bin/python"
    if not own_venv and dependencies(tree) == dependencies(REPO):
        return Path(sys.executable)
    pyproject = hashlib.sha256((tree / "pyproject.toml").read_bytes()).hexdigest()[:12]
    venv = workdir / f"venv-{pyproject}"
    if not (venv / ".installed").exists():
        print(f"building {venv} for {tree} (about a minute)", flush=True)
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin/pip"), "install", "-q", "-e", str(tree)],
            check=True,
            stderr=subprocess.DEVNULL,  # the local index's "location is ignored" warnings
        )
        (venv / ".installed").touch()
    return venv / "bin/python"


def checkout(rev: str, workdir: Path) -> tuple[Path, str]:
    """A detached worktree of ``rev`` in the work folder (reused when already there)."""
    commit = git("rev-parse", "--verify", f"{rev}^{{commit}}")
    tree = workdir / "trees" / commit[:12]
    if tree.exists() and (tree / ".git").exists() and git("rev-parse", "HEAD", cwd=tree) == commit:
        return tree, commit
    shutil.rmtree(tree, ignore_errors=True)
    git("worktree", "prune")
    tree.parent.mkdir(parents=True, exist_ok=True)
    git("worktree", "add", "--detach", str(tree), commit)
    return tree, commit


def make_side(label: str, where: str, workdir: Path, own_venv: bool, added: list[Path]) -> Side:
    """A side from a tree's path, or from a revision checked out into a new worktree."""
    if Path(where).is_dir():
        tree = Path(where).resolve()
        dirty = git("status", "--porcelain", "--", "app", "migrations", cwd=tree)
        head = git("rev-parse", "--short", "HEAD", cwd=tree)
        key = f"tree-{content_key(tree)}"
        described = f"tree {tree} (HEAD {head}{', app/ or migrations/ changed' if dirty else ''})"
        python = interpreter(tree, workdir, own_venv)
    else:
        tree, commit = checkout(where, workdir)
        added.append(tree)
        key, described = f"commit-{commit[:12]}", f"commit {commit[:12]} ({where})"
        python = interpreter(tree, workdir, own_venv)
    side = Side(label, tree, python, key, described)
    found = subprocess.run(
        [str(python), "-c", "import app; print(app.__file__)"],
        env=side.env(),
        cwd=tree,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    if not Path(found).resolve().is_relative_to(tree / "app"):
        raise SystemExit(f"{label}: `import app` found {found}, not the code in {tree}")
    return Side(label, tree, python, key, f"{described}, imports {Path(found).parent}")


def database(side: Side, corpus: Path, workdir: Path) -> tuple[str, str]:
    """The side's SQLite URL with the corpus ingested by its own code; and how long that took."""
    db = workdir / f"{side.label}-{side.key}-{corpus_key(corpus)}.db"
    stamp = db.with_suffix(".ingested")
    url = f"sqlite:///{db}"
    if db.exists() and stamp.exists():
        return url, f"reused ({stamp.read_text().strip()} s when built)"
    for stale in db.parent.glob(db.name + "*"):
        stale.unlink()
    log = workdir / f"{side.label}-ingest.log"
    print(f"{side.label}: migrate + ingest {corpus} (log {log})", flush=True)
    started = time.monotonic()
    with log.open("w") as out:
        for args in (["migrate"], ["ingest", str(corpus)]):
            subprocess.run(
                [*side.corpus(), *args],
                env=side.env(url),
                cwd=side.tree,
                check=True,
                stdout=out,
                stderr=out,
            )
    seconds = time.monotonic() - started
    stamp.write_text(f"{seconds:.0f}\n")
    return url, f"built in {seconds:.0f} s"


def listed_ids(url: str, table: str | None = None) -> list[str]:
    """Ids of the articles the list shows (not empty), read straight from the SQLite file;
    with ``table``, every id of that table (a peer's table of the corpus)."""
    path = url.removeprefix("sqlite:///")
    query = f"SELECT id FROM {table}" if table else "SELECT id FROM article WHERE NOT is_empty"
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        return [row[0] for row in conn.execute(query)]


def spread_ids(ids: list[str], count: int) -> list[str]:
    """``count`` ids evenly spaced over the sorted ids: the same set for both sides."""
    ordered = sorted(ids)
    step = max(1, len(ordered) // count)
    return ordered[::step][:count]


def baseline_command(ref: str, folder: Path) -> list[str]:
    """The ``corpus`` command of commit ``ref``, extracted (git archive) into ``folder``."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", ref], check=True, capture_output=True
    )
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    code = "import sys; sys.path.insert(0, '.'); from app.cli import main; main()"
    return [sys.executable, "-c", code]


def this_tree_and_baseline(
    baseline: str | None, folder: Path
) -> list[tuple[str, list[str] | None, Path | None]]:
    """The sides a benchmark runs in turns: (label, corpus command, cwd), this tree first."""
    sides: list[tuple[str, list[str] | None, Path | None]] = [("this tree", None, None)]
    if baseline:
        old = folder / "baseline"
        old.mkdir()
        sides.append((baseline, baseline_command(baseline, old), old))
    return sides
