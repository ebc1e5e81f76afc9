"""``corpus ingest REPO --history [--ref REF]`` from the command line, and the hash of an
article read from a history (its times are content: a mirror must receive them)."""

import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from app.articles.mapping import document_hash, load_stored
from app.cli import cli
from app.config import Settings
from app.ingest import GitHistory, ingest
from app.models import Article
from history.repo_kit import Repo, gnews

NEWS = "content/gnews/1600100.md"


def _repo(root: Path) -> Repo:
    repo = Repo(root)
    repo.commit({NEWS: gnews("初版", "https://gnews.org/zh-hans/1600100/")})
    repo.commit({"content/gnews/1600101.md": gnews("二", "https://gnews.org/zh-hans/1600101/")})
    repo.commit({NEWS: None})
    return repo


def test_history_from_the_command_line(env_database: str, tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    runner = CliRunner()
    result = runner.invoke(cli, ["ingest", str(repo.root), "--history", "--workers", "0"])
    assert result.exit_code == 0, result.output
    assert "added 2, updated 0, unchanged 0, deleted 0, failed 0" in result.output
    older = runner.invoke(
        cli, ["ingest", str(repo.root), "--history", "--ref", "HEAD~1", "--workers", "0"]
    )
    # At HEAD~1 the first file was still there: its times and in_head are what changed.
    assert "added 0, updated 1, unchanged 1" in older.output, older.output


def test_ref_without_history_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["ingest", str(tmp_path), "--ref", "main"])
    assert result.exit_code == 2 and "--ref and --full need --history" in result.output


def test_the_history_times_are_in_the_content_hash(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    repo = _repo(tmp_path / "repo")
    ingest(engine, GitHistory(repo.root, settings), settings=settings)
    with Session(engine) as session:
        ident = session.scalars(select(Article.id).where(Article.path == NEWS)).one()
        stored = load_stored(session, [ident])[ident]
    document = stored.document()
    assert document["in_head"] is False
    assert document_hash(document) == stored.article["content_hash"]
    assert document_hash({**document, "in_head": True}) != stored.article["content_hash"]
    # Null, the fields are left out: articles not read from a history keep their hashes.
    blank = {**document, "first_seen_at": None, "last_seen_at": None, "in_head": None}
    legacy = {
        k: v for k, v in blank.items() if k not in ("first_seen_at", "last_seen_at", "in_head")
    }
    assert document_hash(blank) == document_hash(legacy)


def _on_a_terminal(args: list[str]) -> str:
    """Runs ``corpus`` with its stderr on a pseudo-terminal (where the bar is drawn); what
    it wrote there."""
    main, other = pty.openpty()
    corpus = Path(sys.executable).with_name("corpus")
    with subprocess.Popen([str(corpus), *args], stdout=subprocess.PIPE, stderr=other) as proc:
        os.close(other)
        chunks = []
        while True:
            try:
                chunk = os.read(main, 1 << 16)
            except OSError:  # the other end closed: the command ended
                break
            if not chunk:
                break
            chunks.append(chunk)
        out, _ = proc.communicate(timeout=120)
    os.close(main)
    assert proc.returncode == 0, out
    shown = b"".join(chunks).decode(errors="replace") + out.decode()
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown)  # the terminal's control codes


def test_a_progress_bar_over_commits_then_files_and_failed_versions_reported(
    env_database: str, tmp_path: Path
) -> None:
    repo = Repo(tmp_path / "repo")
    slot = "content/gnews/1/README.md"
    for n in range(70):  # one new article a commit, rolling through slot 1
        link = f"https://gnews.org/zh-hans/{1600200 + n}/"
        repo.commit({slot: gnews(f"第{n}篇", link if n != 7 else "https://example.org/x")})
    bad = repo.git("rev-list", "--reverse", "HEAD").split()[7]
    report = tmp_path / "failed.jsonl"
    shown = _on_a_terminal(
        ["ingest", str(repo.root), "--history", "--workers", "0", "--report", str(report)]
    )
    assert "ingest commits" in shown and "64/70" in shown and "70/70" in shown
    assert "ingest files" in shown
    assert "added 69, updated 0, unchanged 0, deleted 0, failed 1" in shown
    failed = [json.loads(line) for line in report.read_text().splitlines()]
    assert failed == [
        {
            "path": f"{slot}@{bad[:12]}",
            "reason": "slot version links no article of the zh-hans or articles id spaces "
            "(https://example.org/x)",
        }
    ]
