"""The server's memory for one greedy /changes request: 10,000 changes with docs and text.

Serves a copy of an ingested database (default: the dev archive at /work/devdb/dev.db,
copied, since ``corpus serve`` writes to it at start) with this tree's ``corpus serve``
and, with ``--baseline REF``, with that commit's, in turns (A B A B). Each run starts a
fresh server, reads its resident memory, resets its peak (``clear_refs``), sends
``GET /changes?since=0&limit=10000&include_docs=true&include_text=true`` (read as a
stream, thrown away), and prints the peak growth (``VmHWM`` minus the RSS before), the
answer's bytes, changes and seconds.

Bar (issue 13): the server's resident memory grows by at most 100 MB.

    flock /tmp/heavy.lock .venv/bin/python bench/feed_memory.py [--database PATH.db]
        [--baseline main] [--rounds 2]
"""

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import httpx
from served import served
from sides import this_tree_and_baseline

REPO = Path(__file__).resolve().parent.parent
BAR_MB = 100
QUERY = "/changes?since=0&limit=10000&include_docs=true&include_text=true"


def status_kb(pid: int, field: str) -> int:
    """A ``kB`` field of /proc/<pid>/status (VmRSS, VmHWM)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def one_run(label: str, base: str, pid: int, query: str) -> str:
    """One greedy request on a fresh server; the line to print."""
    before_kb = status_kb(pid, "VmRSS")
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # VmHWM := VmRSS, so it measures this
    started = time.monotonic()
    size, tail = 0, b""
    with httpx.stream("GET", base + query, timeout=600) as response:
        response.raise_for_status()
        for chunk in response.iter_bytes():
            size += len(chunk)
            tail = (tail + chunk)[-4096:]
    seconds = time.monotonic() - started
    peak_kb = status_kb(pid, "VmHWM")
    last_seq = json.loads(b'{"x":0' + tail[tail.rindex(b',"last_seq"') :])["last_seq"]
    growth_mb = (peak_kb - before_kb) / 1024
    verdict = "meets" if growth_mb <= BAR_MB else "MISSES"
    return (
        f"{label:>9}: RSS before {before_kb / 1024:.1f} MB, peak growth {growth_mb:.1f} MB "
        f"({verdict} the {BAR_MB} MB bar); answer {size / 1e6:.1f} MB up to seq {last_seq} "
        f"in {seconds:.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="/work/devdb/dev.db", help="an ingested SQLite file")
    parser.add_argument("--baseline", help="a commit to run in turns with this tree, e.g. main")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--query", default=QUERY)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="feed-memory-", dir="/tmp") as tmp:
        folder = Path(tmp)
        copy = folder / "feed.db"
        shutil.copyfile(args.database, copy)  # never the original: serving writes to it
        url = f"sqlite:///{copy}"
        sides = this_tree_and_baseline(args.baseline, folder)
        for round_no in range(args.rounds):
            for label, command, cwd in sides:
                with served(url, corpus=command, cwd=cwd, log=folder / "serve.log") as server:
                    line = one_run(label, server.base, server.pid, args.query)
                print(f"round {round_no + 1} {line}", flush=True)


if __name__ == "__main__":
    main()
