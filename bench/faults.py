"""Answer times of a real ``corpus serve`` while its PostgreSQL hangs (SIGSTOP) or stops.

Starts a throwaway cluster on a free port (``tests/faults/cluster.py``), ingests the example
corpus, serves it, and keeps ``--clients`` clients sending reads (a page, an article, a
search, /readyz) in a loop. Each round hangs the server for ``--outage`` seconds, then stops
it like a crash for as long, bringing it back each time. Prints per outage: the requests
answered during it and their statuses, the slowest answer, any 500, the seconds from the
database's return to the first 200 and to the point after which every answer was a 200, and
the most threads the service had.

    flock /tmp/heavy.lock .venv/bin/python bench/faults.py --rounds 2 --clients 16
"""

import argparse
import itertools
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from faults.cluster import PgCluster  # noqa: E402
from faults.conftest import EXAMPLES  # noqa: E402
from mirror.processes import CORPUS, Server, env_for  # noqa: E402

from app.migrate import upgrade_to_head  # noqa: E402

PATHS = [
    "/articles",
    "/articles/gnews-9000101",
    "/search?q=%E8%8F%9C%E5%9C%92",
    "/readyz",
    "/tags",
]

# Between two requests of one client: the load of a busy site, not a CPU-saturating flood.
PAUSE_S = 0.1


@dataclass
class Answer:
    """One request: when it was sent and answered (monotonic seconds), and its status."""

    sent: float
    done: float
    status: int
    path: str
    error: str = ""


class Clients:
    """``n`` threads sending GETs in a loop until stopped, each answer recorded."""

    def __init__(self, url: str, n: int) -> None:
        self.url = url
        self.answers: list[Answer] = []
        self.lock = threading.Lock()
        self.running = True
        self.threads = [threading.Thread(target=self._loop, args=(i,)) for i in range(n)]

    def _loop(self, i: int) -> None:
        with httpx.Client(timeout=120) as client:
            for path in itertools.cycle(PATHS[i % len(PATHS) :] + PATHS[: i % len(PATHS)]):
                if not self.running:
                    return
                sent = time.monotonic()
                error = ""
                try:
                    status = client.get(self.url + path).status_code
                except httpx.HTTPError as exc:
                    status, error = 0, f"{type(exc).__name__}: {exc}"
                with self.lock:
                    self.answers.append(Answer(sent, time.monotonic(), status, path, error))
                time.sleep(PAUSE_S)

    def __enter__(self) -> "Clients":
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.running = False
        for thread in self.threads:
            thread.join()


def thread_count(pid: int) -> int:
    """The threads of process ``pid`` now."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            return int(line.split()[1])
    return 0


def one_outage(kind: str, cluster: PgCluster, server: Server, clients: int, outage: float) -> None:
    """Runs one outage of ``kind`` (hung or stopped) under load and prints what it saw."""
    assert server.process is not None
    most_threads = 0
    with Clients(server.url, clients) as load:
        time.sleep(2)
        fault = time.monotonic()
        if kind == "hung":
            cluster.pause()
        else:
            cluster.stop("immediate")
        while time.monotonic() - fault < outage:
            most_threads = max(most_threads, thread_count(server.process.pid))
            time.sleep(0.2)
        if kind == "hung":
            cluster.resume()
        else:
            cluster.start()
        back = time.monotonic()
        while time.monotonic() - back < 6:
            most_threads = max(most_threads, thread_count(server.process.pid))
            time.sleep(0.2)
    during = [a for a in load.answers if a.sent >= fault and a.done <= back]
    statuses = {
        s: sum(1 for a in during if a.status == s) for s in sorted({a.status for a in during})
    }
    after = sorted((a for a in load.answers if a.sent >= back), key=lambda a: a.done)
    first_ok = next((a.done - back for a in after if a.status == 200), float("nan"))
    last_bad = max((a.done - back for a in after if a.status != 200), default=0.0)
    spanning = [a for a in load.answers if a.sent < back and a.done > fault]
    slowest = max(spanning, key=lambda a: a.done - a.sent, default=None)
    errors = sorted({a.error for a in load.answers if a.error})
    print(
        f"{kind:8} answers during {len(during):5d} {statuses}  "
        f"slowest {0 if slowest is None else slowest.done - slowest.sent:5.2f} s "
        f"({slowest.path if slowest else '-'})  "
        f"p50 {statistics.median([a.done - a.sent for a in during] or [0]):5.2f} s  "
        f"500s {sum(1 for a in load.answers if a.status == 500)}  "
        f"first 200 after return {first_ok:5.2f} s  all 200 after {last_bad:5.2f} s  "
        f"threads max {most_threads}  client errors {errors}",
        flush=True,
    )


def main() -> None:
    """Parses the arguments, sets the cluster and the service up, and runs the rounds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--outage", type=float, default=8.0, help="seconds each outage lasts")
    parser.add_argument("--log", type=Path, help="keep the service's log here")
    args = parser.parse_args()
    cluster = PgCluster(Path(tempfile.mkdtemp(prefix="corpus-pg-bench-"))).init().start()
    try:
        url = cluster.create_database()
        upgrade_to_head(url)
        subprocess.run(
            [CORPUS, "ingest", str(EXAMPLES), "--workers", "0"],
            env=env_for(url),
            check=True,
            capture_output=True,
        )
        server = Server(url, args.log or cluster.folder / "serve.log").start()
        try:
            print(
                f"clients {args.clients}, outages of {args.outage:g} s, bar: 503 within 5 s, "
                "200 within 5 s of the return",
                flush=True,
            )
            for _ in range(args.rounds):
                for kind in ("hung", "stopped"):
                    one_outage(kind, cluster, server, args.clients, args.outage)
        finally:
            server.stop()
    finally:
        cluster.remove()


if __name__ == "__main__":
    main()
