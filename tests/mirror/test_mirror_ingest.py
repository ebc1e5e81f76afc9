"""A mirror of an origin fed by the real ingest: edits, deletions and re-ingests follow."""

import shutil
import subprocess
from pathlib import Path

import pytest

from mirror.processes import CORPUS, Server, env_for, run_mirror
from mirror.test_mirror_sync import assert_same_archive

pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "corpus"


def ingest(folder: Path, database_url: str, *extra: str) -> None:
    """Runs ``corpus ingest`` at the origin, as its operator would."""
    done = subprocess.run(
        [CORPUS, "ingest", str(folder), "--workers", "0", *extra],
        env=env_for(database_url),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]


def test_ingested_edits_deletions_and_reingests_reach_the_mirror(
    origin_url: str, database_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "corpus"
    shutil.copytree(EXAMPLES, folder)
    ingest(folder, origin_url)
    origin = Server(origin_url, tmp_path / "origin.log").start()
    log = tmp_path / "mirror.log"
    try:
        code, out = run_mirror(origin.url, database_url, log)
        assert code == 0 and "digest MATCH" in out, out
        assert_same_archive(origin, database_url)

        edited = folder / "content" / "gnews" / "9000102.md"
        edited.write_text(
            edited.read_text(encoding="utf-8") + "\n补充：货轮已于次日离港。\n", encoding="utf-8"
        )
        removed = next(p for p in (folder / "content" / "gettr").glob("*.md"))
        removed.unlink()
        ingest(folder, origin_url, "--prune")

        code, out = run_mirror(origin.url, database_url, log)
        assert code == 0 and "digest MATCH" in out, out
        assert "1 written, 1 deleted" in out, out
        assert_same_archive(origin, database_url)

        ingest(folder, origin_url)  # unchanged files: no change at the origin, none at the mirror
        code, out = run_mirror(origin.url, database_url, log)
        assert code == 0 and "digest MATCH" in out and " written" not in out, out
    finally:
        origin.stop()
