"""1,000 connections sending partial headers, and normal requests meanwhile, on a real server.

Starts ``corpus serve`` (this tree's, and with ``--baseline REF`` also that commit's, in
turns A B A B), opens ``--connections`` connections that each send the start of a request
and never its end, and meanwhile sends one ordinary ``GET --path`` every 50 ms on its own
connection. Prints, per run: how many slow connections the server closed and when (seconds
after they were opened: p50, max), and the latency of the ordinary requests (p50, p95,
max, failures).

Bars (issue 13): every partial-header connection closed by the server within 30 s; an
ordinary request meanwhile answers within 50 ms.

    flock /tmp/heavy.lock .venv/bin/python bench/slow_clients.py [--database-url URL]
        [--connections 1000] [--seconds 30] [--baseline main] [--rounds 2]
"""

import argparse
import asyncio
import multiprocessing
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from served import served
from sides import this_tree_and_baseline

REPO = Path(__file__).resolve().parent.parent
PARTIAL = b"GET /articles HTTP/1.1\r\nHost: bench\r\nUser-Agent: slow-client\r\nX-Slow: "


@dataclass
class Run:
    """What one run saw."""

    label: str
    closed_after: list[float]  # seconds from open to the server's close, per closed one
    still_open: int
    latencies_ms: list[float]
    failures: int
    sent_at: list[float]  # seconds from the slow connections' opening, per latency


def pct(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values``; nan when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def slow_connection(port: int, seconds: float) -> float | None:
    """Opens, sends a partial head, waits; seconds until the server closed it, or None."""
    opened = time.monotonic()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return None
    writer.write(PARTIAL)
    try:
        await writer.drain()
        while await asyncio.wait_for(reader.read(65536), seconds - (time.monotonic() - opened)):
            pass
        return time.monotonic() - opened
    except TimeoutError:
        return None
    except OSError:  # reset by the server: closed too
        return time.monotonic() - opened
    finally:
        writer.close()


def ordinary_get(port: int, path: str) -> bool:
    """One GET on a new connection (raw socket: no client library's own set-up is timed)."""
    request = f"GET {path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n".encode()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(request)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    return answer.startswith(b"HTTP/1.1 200 ")


def ordinary_requests(
    port: int, path: str, opened: float, until: float
) -> tuple[list[float], list[float], int]:
    """One GET every 50 ms, each on a new connection, until ``until``: latencies, when each
    was sent (seconds after ``opened``), failures."""
    latencies, sent_at, failures = [], [], 0
    while time.monotonic() < until:
        at = time.monotonic() - opened
        started = time.perf_counter()
        try:
            ok = ordinary_get(port, path)
        except OSError:
            ok = False
        elapsed = (time.perf_counter() - started) * 1000
        if ok:
            latencies.append(elapsed)
            sent_at.append(at)
        else:
            failures += 1
        time.sleep(max(0.0, 0.05 - elapsed / 1000))
    return latencies, sent_at, failures


async def one_run(
    label: str,
    base: str,
    path: str,
    connections: int,
    seconds: float,
    measurer: ProcessPoolExecutor,
) -> Run:
    """The slow connections and the ordinary requests, side by side, for ``seconds``.

    The ordinary requests are sent from ``measurer``, another process: in a thread of this
    one they waited for the GIL whenever this event loop woke a thousand slow connections
    at once (their closing at the header timeout), and that wait was timed as the server's.
    """
    port = int(base.rsplit(":", 1)[1])
    opened = time.monotonic()
    slow: list[asyncio.Task[float | None]] = []
    for _ in range(connections):
        slow.append(asyncio.create_task(slow_connection(port, seconds)))
        await asyncio.sleep(0)  # let it connect before the next one
    until = time.monotonic() + seconds
    latencies, sent_at, failures = await asyncio.get_running_loop().run_in_executor(
        measurer, ordinary_requests, port, path, opened, until
    )
    results = await asyncio.gather(*slow)
    closed = [r for r in results if r is not None]
    return Run(label, closed, len(results) - len(closed), latencies, failures, sent_at)


def report(run: Run) -> None:
    """One line per run."""
    lat, closed = run.latencies_ms, run.closed_after
    latest = max(closed, default=float("nan"))
    print(
        f"{run.label:>9}: closed {len(run.closed_after)} of "
        f"{len(run.closed_after) + run.still_open} slow connections "
        f"(after p50 {pct(closed, 0.5):.1f} s, max {latest:.1f} s); "
        f"ordinary GET x{len(lat)}: p50 {pct(lat, 0.5):.1f} ms, p95 {pct(lat, 0.95):.1f} ms, "
        f"max {max(lat, default=float('nan')):.1f} ms, {run.failures} failed",
        flush=True,
    )
    # When the slowest ones were sent tells whether the server's own work (the slow
    # connections' opening, their closing at the header timeout) or the machine held them.
    slowest = sorted(zip(lat, run.sent_at, strict=True), reverse=True)[:5]
    over = sum(1 for ms in lat if ms > 50)
    print(
        f"{'':>9}  over 50 ms: {over}; slowest (ms at s after opening): "
        + ", ".join(f"{ms:.0f} at {at:.1f}" for ms, at in slowest),
        flush=True,
    )


def example_database(folder: Path) -> str:
    """A SQLite database of examples/corpus, built with this tree's ingest."""
    url = f"sqlite:///{folder / 'bench.db'}"
    corpus = str(Path(sys.executable).parent / "corpus")
    subprocess.run(
        [corpus, "ingest", str(REPO / "examples" / "corpus")],
        env={"DATABASE_URL": url, "PATH": "/usr/bin:/bin"},
        check=True,
        capture_output=True,
    )
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: a temp SQLite of examples/corpus")
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--path", default="/articles?limit=20")
    parser.add_argument("--baseline", help="a commit to run in turns with this tree, e.g. main")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, args.connections + 500)), hard))
    with tempfile.TemporaryDirectory(prefix="slow-clients-") as tmp:
        folder = Path(tmp)
        url = args.database_url or example_database(folder)
        sides = this_tree_and_baseline(args.baseline, folder)
        spawn = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(1, mp_context=spawn) as measurer:
            measurer.submit(time.monotonic).result()  # started before any run is timed
            run_sides(args, url, sides, folder, measurer)


def run_sides(
    args: argparse.Namespace,
    url: str,
    sides: list[tuple[str, list[str] | None, Path | None]],
    folder: Path,
    measurer: ProcessPoolExecutor,
) -> None:
    """Every side in turn, ``--rounds`` times, each on a fresh server."""
    for round_no in range(args.rounds):
        for label, command, cwd in sides:
            with served(url, corpus=command, cwd=cwd, log=folder / "serve.log") as server:
                run = asyncio.run(
                    one_run(
                        label,
                        server.base,
                        args.path,
                        args.connections,
                        args.seconds,
                        measurer,
                    )
                )
            print(f"round {round_no + 1}", end=" ")
            report(run)


if __name__ == "__main__":
    main()
