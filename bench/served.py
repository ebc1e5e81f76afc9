"""A `corpus serve` process on a free loopback port, for the benchmarks that talk real HTTP."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
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
def listening(
    command: Callable[[int], list[str]],
    health: str,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    log: Path | None = None,
) -> Iterator[Served]:
    """The server ``command(port)`` starts, once ``health`` answers 200, for the block.

    ``env`` replaces this process's environment when given, ``log`` takes the server's output;
    the server is stopped (SIGTERM, then SIGKILL after 30 s) when the block ends.
    """
    port = free_port()
    out = log.open("ab") if log else None
    process = subprocess.Popen(
        command(port),
        env=env,
        cwd=cwd,
        stdout=out or subprocess.DEVNULL,
        stderr=out or subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                if httpx.get(f"{base}{health}", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
            if process.poll() is not None:
                raise SystemExit(f"{command(port)[0]} exited before answering (log: {log})")
        else:
            raise SystemExit(f"{command(port)[0]} did not answer {health} in time (log: {log})")
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


def served(
    database_url: str,
    corpus: Sequence[str] | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    log: Path | None = None,
    workers: int | None = None,
) -> AbstractContextManager[Served]:
    """`corpus serve` over ``database_url`` for the duration of the block.

    ``corpus`` is the command that runs the CLI (default: the one beside this interpreter),
    ``env`` is added to this process's environment, ``log`` takes the server's output,
    ``workers`` is passed as `--workers` when given.
    """
    cli = list(corpus or [str(Path(sys.executable).parent / "corpus")])
    more = ["--workers", str(workers)] if workers is not None else []
    full_env = {
        **os.environ,
        **(env or {}),
        "DATABASE_URL": database_url,
        "CORPUS_LOG_LEVEL": "WARNING",
        "CORPUS_RATE_LIMITS_ENABLED": "false",  # benchmarks measure throughput, not the limits
    }
    return listening(
        lambda port: [*cli, "serve", "--host", "127.0.0.1", "--port", str(port), *more],
        "/healthz",
        full_env,
        cwd,
        log,
    )
