"""A SIGKILLed worker of ``corpus serve --workers 2`` leaves no live-only gauge behind.

prometheus-client keeps a worker's ``livesum`` gauge (the pool's connections in use) in a
file named by its pid until told the worker died; the supervisor tells it when it reaps one.
"""

import os
import signal
import subprocess
from pathlib import Path

import httpx
import pytest
from mirror.processes import Server, wait_for

pytestmark = pytest.mark.slow

POOL_GAUGE = "corpus_db_pool_connections_in_use"


def _workers(server: Server) -> set[int]:
    assert server.process is not None
    found = subprocess.run(
        ["pgrep", "-P", str(server.process.pid)], capture_output=True, text=True, check=False
    )
    # The supervisor's children are its spawned workers and multiprocessing's resource tracker.
    return {int(pid) for pid in found.stdout.split() if b"spawn_main" in _cmdline(int(pid))}


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:  # gone meanwhile
        return b""


def _live_gauge_pids(metrics_dir: Path) -> set[int]:
    return {int(f.stem.rsplit("_", 1)[1]) for f in metrics_dir.glob("gauge_livesum_*.db")}


def test_a_killed_worker_is_forgotten_by_the_metrics(database_url: str, tmp_path: Path) -> None:
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    env = {"PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    server = Server(database_url, tmp_path / "server.log", workers=2, env=env)
    try:
        server.start()
        wait_for(lambda: len(_workers(server)) == 2, timeout=60, what="two workers")
        workers = _workers(server)
        wait_for(lambda: _live_gauge_pids(metrics_dir) >= workers, timeout=60, what="their gauges")
        killed = min(workers)
        os.kill(killed, signal.SIGKILL)
        wait_for(
            lambda: killed not in _workers(server) and len(_workers(server)) == 2,
            timeout=120,
            what="the supervisor to replace the killed worker",
        )
        wait_for(
            lambda: killed not in _live_gauge_pids(metrics_dir),
            timeout=10,
            what="the killed worker's gauge file to go",
        )
        assert (metrics_dir / f"gauge_livesum_{max(workers)}.db").exists()  # the live one's stays
        scrape = httpx.get(f"{server.url}/metrics", timeout=30)
        assert scrape.status_code == 200 and POOL_GAUGE in scrape.text
    finally:
        server.stop()
