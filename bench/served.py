"""A `corpus serve` process on a free loopback port, for the benchmarks that talk real HTTP."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx


@dataclass(frozen=True)
class Served:
    """A running server: its base URL and the process id (for a profiler to attach to)."""

    base: str
    pid: int


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(
    database_url: str,
    corpus: Sequence[str] | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    log: Path | None = None,
) -> Iterator[Served]:
    """`corpus serve` over ``database_url`` for the duration of the block.

    ``corpus`` is the command that runs the CLI (default: the one beside this interpreter),
    ``env`` is added to this process's environment, ``log`` takes the server's output.
    """
    command = list(corpus or [str(Path(sys.executable).parent / "corpus")])
    port = free_port()
    full_env = {
        **os.environ,
        **(env or {}),
        "DATABASE_URL": database_url,
        "CORPUS_LOG_LEVEL": "WARNING",
        "CORPUS_RATE_LIMITS_ENABLED": "false",  # benchmarks measure throughput, not the limits
    }
    out = log.open("ab") if log else None
    process = subprocess.Popen(
        [*command, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=full_env,
        cwd=cwd,
        stdout=out or subprocess.DEVNULL,
        stderr=out or subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
            if process.poll() is not None:
                raise SystemExit(f"corpus serve exited before answering (log: {log})")
        else:
            raise SystemExit(f"corpus serve did not answer /healthz in time (log: {log})")
        yield Served(base, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if out:
            out.close()
