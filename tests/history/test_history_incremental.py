"""A second history run reads only the commits after the first one's: nothing new is no
change event; new commits are read alone; a rewritten history is said so. Both databases."""

from pathlib import Path

from ingest.corpus_kit import feed_rows
from sqlalchemy.engine import Engine

from app.config import Settings
from app.ingest import ingest_history
from app.ingest.history_runs import stored_commit
from history.repo_kit import Repo, gnews

SLOT1, SLOT2 = "content/gnews/1/README.md", "content/gnews/2/README.md"


def _link(n: int) -> str:
    return f"https://gnews.org/zh-hans/{n}/"


def _repo(root: Path) -> Repo:
    repo = Repo(root)
    repo.commit(
        {"content/gnews/1600100.md": gnews("一", _link(1600100)), SLOT1: gnews("甲", _link(7))}
    )
    repo.commit(
        {
            "content/gnews/1600101.md": gnews("二", _link(1600101)),
            SLOT1: gnews("乙", _link(8)),
            SLOT2: gnews("甲", _link(7)),
        }
    )
    return repo


def test_nothing_new_reads_nothing_and_writes_no_change(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    repo = _repo(tmp_path / "repo")
    first, source = ingest_history(engine, repo.root, settings)
    assert len(first.added) == 4 and source.commits_after == 2
    assert stored_commit(engine, repo.root, None) == source.tip
    before = feed_rows(engine)
    again, source = ingest_history(engine, repo.root, settings)
    assert again.files == 0 and again.changes == 0 and source.commits_after == 0
    assert feed_rows(engine) == before


def test_new_commits_are_read_alone(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    ingest_history(engine, repo.root, settings)
    repo.commit({"content/gnews/1600100.md": None, "content/gettr/p1.md": gnews("帖", _link(9))})
    # Slot 2 lets 甲 (id 7) go; 乙 moves to slot 2; a new article comes to slot 1.
    repo.commit({SLOT1: gnews("丙", _link(10)), SLOT2: gnews("乙", _link(8))})
    report, source = ingest_history(engine, repo.root, settings)
    assert source.commits_after == 2
    assert sorted(report.added) == ["gettr-p1", "gnews-zh-hans-10"]
    # The deleted file and the slot article that left are rewritten; nothing else is read.
    assert sorted(report.updated) == ["gnews-1600100", "gnews-zh-hans-7"]
    assert report.files == 4
    full, _ = ingest_history(engine, repo.root, settings, full=True)
    assert full.changes == 0 and full.unchanged == 6  # the same as reading it all


def test_a_rewritten_history_is_said_so_and_read_again_on_request(
    engine: Engine, settings: Settings, tmp_path: Path
) -> None:
    repo = _repo(tmp_path / "repo")
    ingest_history(engine, repo.root, settings)
    repo.git("reset", "--quiet", "--hard", "HEAD~1")
    repo.commit({"content/gnews/1600102.md": gnews("三", _link(1600102))})
    refused, _ = ingest_history(engine, repo.root, settings)
    assert refused.complete is False and refused.changes == 0
    assert "history was rewritten" in refused.failed[0].reason
    assert "--full" in refused.failed[0].reason
    report, source = ingest_history(engine, repo.root, settings, full=True)
    assert report.complete and "gnews-1600102" in report.added
    assert stored_commit(engine, repo.root, None) == source.tip
