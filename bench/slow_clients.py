"""1,000 connections sending partial headers, and normal requests meanwhile, on a real server.

Starts ``corpus serve`` (this tree's, and with ``--baseline REF`` also that commit's, in
turns A B A B), opens ``--connections`` connections that each send the start of a request
and never its end, and meanwhile sends one ordinary ``GET --path`` every 50 ms on its own
connection. Prints, per run: how many slow connections the server closed and when (seconds
after they were opened: p50, max), and the latency of the ordinary requests (p50, p95,
max, failures), and for each ordinary request over 50 ms what the machine did meanwhile:
how long the server's event-loop thread ran and how long it waited for a CPU, and how long
the measuring client itself waited for one (the kernel's schedstat), so that a slow answer
is the server's work or the shared machine's, measured rather than guessed. ``--burst``
opens the slow connections all at once (a harder test: their accepting and their header
timeouts then come together), not one after another.

Bars (issue 13): every partial-header connection closed by the server within 30 s; an
ordinary request meanwhile answers within 50 ms.

    flock /tmp/heavy.lock .venv/bin/python bench/slow_clients.py [--database-url URL]
        [--connections 1000] [--seconds 30] [--baseline main] [--rounds 2] [--burst]
"""

import argparse
import asyncio
import multiprocessing
import os
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

from served import Served, served
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
    waits: list["Waits"]  # per latency
    load: float  # the machine's 1-minute load average at the end


@dataclass(frozen=True)
class Waits:
    """Milliseconds, during one ordinary request, of the server's loop thread running and
    waiting for a CPU, and of the measuring client waiting for one."""

    server_ran: float
    server_queued: float
    client_queued: float


def schedstat(path: str) -> tuple[float, float]:
    """A thread's milliseconds on a CPU and waiting in a run queue (0, 0 when unknown)."""
    try:
        with open(path) as f:
            ran, queued, _ = f.read().split()
    except (OSError, ValueError):  # gone, or a kernel without schedstats
        return 0.0, 0.0
    return int(ran) / 1e6, int(queued) / 1e6


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
    port: int, path: str, opened: float, until: float, server_pid: int
) -> tuple[list[float], list[float], list[Waits], int]:
    """One GET every 50 ms, each on a new connection, until ``until``: latencies, when each
    was sent (seconds after ``opened``), the waits around each, failures."""
    latencies, sent_at, waits, failures = [], [], [], 0
    server_loop = f"/proc/{server_pid}/task/{server_pid}/schedstat"  # its main thread
    while time.monotonic() < until:
        at = time.monotonic() - opened
        server_before, own_before = schedstat(server_loop), schedstat("/proc/thread-self/schedstat")
        started = time.perf_counter()
        try:
            ok = ordinary_get(port, path)
        except OSError:
            ok = False
        elapsed = (time.perf_counter() - started) * 1000
        server_after, own_after = schedstat(server_loop), schedstat("/proc/thread-self/schedstat")
        if ok:
            latencies.append(elapsed)
            sent_at.append(at)
            waits.append(
                Waits(
                    server_after[0] - server_before[0],
                    server_after[1] - server_before[1],
                    own_after[1] - own_before[1],
                )
            )
        else:
            failures += 1
        time.sleep(max(0.0, 0.05 - elapsed / 1000))
    return latencies, sent_at, waits, failures


async def one_run(
    label: str,
    server: Served,
    path: str,
    connections: int,
    seconds: float,
    burst: bool,
    measurer: ProcessPoolExecutor,
) -> Run:
    """The slow connections and the ordinary requests, side by side, for ``seconds``.

    The ordinary requests are sent from ``measurer``, another process: in a thread of this
    one they waited for the GIL whenever this event loop woke a thousand slow connections
    at once (their closing at the header timeout), and that wait was timed as the server's.
    """
    port = int(server.base.rsplit(":", 1)[1])
    opened = time.monotonic()
    slow: list[asyncio.Task[float | None]] = []
    for _ in range(connections):
        slow.append(asyncio.create_task(slow_connection(port, seconds)))
        if not burst:
            await asyncio.sleep(0)  # let it connect before the next one
    until = time.monotonic() + seconds
    latencies, sent_at, waits, failures = await asyncio.get_running_loop().run_in_executor(
        measurer, ordinary_requests, port, path, opened, until, server.pid
    )
    results = await asyncio.gather(*slow)
    closed = [r for r in results if r is not None]
    load = os.getloadavg()[0]
    return Run(
        label, closed, len(results) - len(closed), latencies, failures, sent_at, waits, load
    )


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
    # When the slowest ones were sent, and what the server's loop thread and the client did
    # meanwhile, tell the server's own work (its running) from the machine's (their waiting
    # for a CPU; the rest of a slow answer, neither running nor queued, is the VM's).
    slowest = sorted(zip(lat, run.sent_at, run.waits, strict=True), key=lambda r: -r[0])[:5]
    over = [w for ms, w in zip(lat, run.waits, strict=True) if ms > 50]
    queued = sum(1 for w in over if w.server_queued + w.client_queued > 25)
    print(
        f"{'':>9}  load {run.load:.1f}; over 50 ms: {len(over)} ({queued} with over 25 ms of "
        "it waiting for a CPU); slowest (ms at s after opening: server ran/queued, "
        "client queued ms): "
        + ", ".join(
            f"{ms:.0f} at {at:.1f}: {w.server_ran:.0f}/{w.server_queued:.0f}, "
            f"{w.client_queued:.0f}"
            for ms, at, w in slowest
        ),
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
    parser.add_argument(
        "--burst", action="store_true", help="open the slow connections all at once"
    )
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
            own = resource.getrusage(resource.RUSAGE_SELF)
            with served(url, corpus=command, cwd=cwd, log=folder / "serve.log") as server:
                run = asyncio.run(
                    one_run(
                        label,
                        server,
                        args.path,
                        args.connections,
                        args.seconds,
                        args.burst,
                        measurer,
                    )
                )
            print(f"round {round_no + 1}", end=" ")
            report(run)
            used = resource.getrusage(resource.RUSAGE_SELF)
            cpu = used.ru_utime + used.ru_stime - own.ru_utime - own.ru_stime
            print(f"{'':>9}  the slow connections' client used {cpu:.2f} s of CPU", flush=True)


if __name__ == "__main__":
    main()
