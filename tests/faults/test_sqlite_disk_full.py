"""The SQLite file's disk fills up: the ingest stops with a clear report, nothing half-written
stays, and the running service keeps serving reads.

The file lives on a small tmpfs of its own (mounting one needs root), with about 1 MiB free
once the example corpus is in: a batch of the sample corpus, or an upload of a few hundred
articles, does not fit.
"""

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from mirror.processes import CORPUS, Server, env_for
from writes.articles import article_bytes, gnews_path, tar_archive
from writes.store import dump_store, make_token

from app.db import make_engine
from faults.conftest import EXAMPLES

ARTICLE = "gnews-9000101"
IN_CI = os.environ.get("CI", "").lower() == "true"
HEADROOM_BYTES = 1024 * 1024

pytestmark = pytest.mark.slow


def _ingest(database_url: str, path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CORPUS, "ingest", str(path), "--workers", "0"],
        env=env_for(database_url),
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def small_disk(sqlite_template: Path, tmp_path: Path) -> Iterator[str]:
    """A URL of a SQLite file holding the example corpus, on a tmpfs with ~1 MiB left."""
    if os.geteuid() != 0 and not IN_CI:
        pytest.skip("mounting a tmpfs needs root")
    built = tmp_path / "built.db"
    shutil.copyfile(sqlite_template, built)
    assert _ingest(f"sqlite:///{built}", EXAMPLES).returncode == 0
    engine = make_engine(f"sqlite:///{built}")
    with engine.connect() as conn:  # the WAL folded in: the file is the whole store
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    mount = tmp_path / "disk"
    mount.mkdir()
    size = built.stat().st_size + HEADROOM_BYTES
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)], check=True)
    try:
        shutil.copyfile(built, mount / "corpus.db")
        yield f"sqlite:///{mount / 'corpus.db'}"
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.fixture
def small_disk_service(small_disk: str, tmp_path: Path) -> Iterator[Server]:
    """A real ``corpus serve`` over the file on the small disk."""
    server = Server(small_disk, tmp_path / "serve.log")
    try:
        yield server.start()
    finally:
        server.stop()


def _reads_answer(server: Server) -> None:
    for path in ("/articles", f"/articles/{ARTICLE}", "/tags", "/search?q=%E8%8F%9C%E5%9C%92"):
        response = httpx.get(server.url + path, timeout=30)
        assert response.status_code == 200, (path, response.text[:300])


def test_an_ingest_that_fills_the_disk_stops_clearly_and_stores_nothing(
    small_disk: str, small_disk_service: Server, sample_dir: Path
) -> None:
    engine = make_engine(small_disk)
    try:
        _reads_answer(small_disk_service)
        before = dump_store(engine)
        done = _ingest(small_disk, sample_dir)
        assert done.returncode == 1, done.stderr[-2000:]
        assert "ingest stopped: the database's disk is full." in done.stderr
        assert "Traceback" not in done.stderr
        assert dump_store(engine) == before
        _reads_answer(small_disk_service)
    finally:
        engine.dispose()


def test_an_upload_that_fills_the_disk_is_refused_whole_and_reads_go_on(
    small_disk: str, small_disk_service: Server
) -> None:
    engine = make_engine(small_disk)
    try:
        token = make_token(engine, "editor", ["write"])
        before = dump_store(engine)
        body = "".join(f"第{i}段：社区菜园的志愿者们讨论了新的种植计划。\n\n" for i in range(400))
        members = [
            (gnews_path(n), article_bytes(n, body=body)) for n in range(8_000_000, 8_000_300)
        ]
        response = httpx.post(
            f"{small_disk_service.url}/articles",
            files={"file": ("batch.tar.gz", tar_archive(members), "application/gzip")},
            headers={"Authorization": f"Bearer {token}"},
            timeout=120,
        )
        assert response.status_code == 503, response.text[:500]
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"].startswith("the database's disk is full")
        assert dump_store(engine) == before
        _reads_answer(small_disk_service)
    finally:
        engine.dispose()
