"""Real ``corpus serve`` and ``corpus mirror`` processes on loopback, for mirror tests."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx

CORPUS = str(Path(sys.executable).with_name("corpus"))
# Bounds on every wait, so a broken mirror fails the test instead of hanging the suite.
# Start: two workers took 46 s to answer with a load average of 17 on the shared 2 cores.
START_TIMEOUT_S, SYNC_TIMEOUT_S = 120.0, 180.0


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def env_for(database_url: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["DATABASE_URL"] = database_url
    env["CORPUS_LOG_LEVEL"] = "WARNING"
    # Mirror tests restart and poll at will; the limits have their own tests.
    env["CORPUS_RATE_LIMITS_ENABLED"] = "false"
    env.update(extra or {})
    return env


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    """Polls ``condition`` until it holds; fails after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class Server:
    """``corpus serve`` over one database on a loopback port; restartable on the same port."""

    def __init__(
        self,
        database_url: str,
        log: Path,
        *,
        workers: int = 1,
        env: dict[str, str] | None = None,
    ) -> None:
        self.database_url = database_url
        self.workers = workers
        self.env = env
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> "Server":
        """Starts the process and waits until it answers /healthz."""
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [CORPUS, "serve", "--host", "127.0.0.1", "--port", str(self.port)]
                + ["--workers", str(self.workers)],
                env=env_for(self.database_url, self.env),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        wait_for(self._answers, timeout=START_TIMEOUT_S, what=f"{self.url} to answer")
        return self

    def _answers(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"server exited: {self.log.read_text()[-2000:]}")
        try:
            return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        """Stops the process (SIGTERM, then SIGKILL after 10 s)."""
        if self.process is not None:
            stop(self.process)

    def get(self, path: str, **params: object) -> dict[str, object]:
        """A JSON GET on this server."""
        response = httpx.get(f"{self.url}{path}", params=params, timeout=60)  # type: ignore[arg-type]
        response.raise_for_status()
        body: dict[str, object] = response.json()
        return body


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stops a process that may still run: SIGTERM, then SIGKILL after 10 s."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def start_mirror(
    origin: str,
    database_url: str,
    log: Path,
    *,
    follow: bool = False,
    options: Sequence[str] = (),
) -> subprocess.Popen[bytes]:
    """Starts ``corpus mirror ORIGIN [OPTIONS]`` into ``database_url``, output to ``log``."""
    args = [CORPUS, "mirror", origin, *options] + (["--follow"] if follow else [])
    with log.open("ab") as out:
        return subprocess.Popen(
            args, env=env_for(database_url), stdout=out, stderr=subprocess.STDOUT
        )


def run_mirror(
    origin: str, database_url: str, log: Path, *, options: Sequence[str] = ()
) -> tuple[int, str]:
    """Runs ``corpus mirror ORIGIN [OPTIONS]`` to the end; returns its exit code and output."""
    start = log.stat().st_size if log.exists() else 0
    process = start_mirror(origin, database_url, log, options=options)
    try:
        code = process.wait(timeout=SYNC_TIMEOUT_S)
    finally:
        if process.poll() is None:
            process.kill()
    return code, log.read_text()[start:]
