"""Totals, facets and related articles against the plain pages, over real HTTP.

A `corpus serve` over a copy of an ingested database (migrated to head by the server), then
blocks of requests in turns, A B A B, one request at a time. Prints per block p50 and p95
wall time and the server's CPU time per request, and the ratios B/A of both.

    flock /tmp/heavy.lock .venv/bin/python bench/browse.py --database /work/devdb/dev.db
    .venv/bin/python bench/browse.py --database-url postgresql+psycopg://...   # as it is
"""

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from served import served  # noqa: E402

PAIRS = [
    ("/articles?limit=20", "/articles?limit=20&facets=collection,year,tag"),
    ("/articles?limit=20", "/articles?limit=20&total=true"),
    ("/articles?limit=20", "/articles?limit=20&facets=collection,year,month,tag,author&total=true"),
    ("/search?q=中国", "/search?q=中国&facets=collection,year"),
    ("/search?q=郭文贵", "/search?q=郭文贵&facets=collection,year,tag"),
    (
        "/articles?limit=20&tag=美国",
        "/articles?limit=20&tag=美国&total=true&facets=collection,year",
    ),
    ("/tags?limit=20", "/tags?limit=20&total=true"),
    ("/articles?limit=20", "/collections"),
    ("/articles?limit=20", "/authors?limit=20"),
]


def timed(client: httpx.Client, path: str) -> float:
    """Seconds of one GET, which must answer 200."""
    start = time.perf_counter()
    r = client.get(path)
    elapsed = time.perf_counter() - start
    if r.status_code != 200:
        raise SystemExit(f"{path}: {r.status_code} {r.text[:200]}")
    return elapsed


def p(values: list[float], q: float) -> float:
    """The ``q`` quantile of ``values``, in milliseconds."""
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of the server process so far (one worker: one process)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def block(client: httpx.Client, pid: int, paths: list[str], n: int) -> tuple[list[float], float]:
    """``n`` GETs cycling through ``paths``: their wall seconds, and server CPU s per request."""
    cpu = cpu_seconds(pid)
    walls = [timed(client, paths[i % len(paths)]) for i in range(n)]
    return walls, (cpu_seconds(pid) - cpu) / n


def compare(
    client: httpx.Client, pid: int, label: str, a: list[str], b: list[str], n: int, rounds: int
) -> None:
    """Blocks of ``n`` requests in turns, A B A B: p50/p95 wall, server CPU, their ratios.

    The server's CPU time per request is what the extra work costs; the wall time also
    holds the waits of a loaded machine.
    """
    for path in {*a, *b}:  # warm both sides once
        timed(client, path)
    for r in range(1, rounds + 1):
        wa, ca = block(client, pid, a, n)
        wb, cb = block(client, pid, b, n)
        print(
            f"{label} round {r}: A p50 {p(wa, 0.5):.2f} ms p95 {p(wa, 0.95):.2f} "
            f"cpu {1000 * ca:.2f} ms | B p50 {p(wb, 0.5):.2f} ms p95 {p(wb, 0.95):.2f} "
            f"cpu {1000 * cb:.2f} ms | ratio p50 {p(wb, 0.5) / p(wa, 0.5):.2f}x "
            f"cpu {cb / ca if ca else float('nan'):.2f}x",
            flush=True,
        )


def article_ids(client: httpx.Client, count: int, seed: int) -> list[str]:
    """``count`` ids spread over the archive: pages of the newest, sampled."""
    ids: list[str] = []
    cursor = None
    while len(ids) < count * 20:
        r = client.get("/articles", params={"limit": 200, **({"cursor": cursor} if cursor else {})})
        body = r.json()
        ids += [i["id"] for i in body["items"] if i["tags"]]
        cursor = body["next"]
        if cursor is None:
            break
    return random.Random(seed).sample(ids, min(count, len(ids)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--database", type=Path, help="an ingested SQLite file (copied first)")
    where.add_argument("--database-url", help="a database used as it is (migrated to head)")
    parser.add_argument("--pairs", type=int, default=200, help="pairs of requests per round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--related-ids", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url
        if args.database is not None:
            copy = Path(tmp) / "bench.db"
            shutil.copyfile(args.database, copy)
            url = f"sqlite:///{copy}"
        started = time.perf_counter()
        with (
            served(url, log=Path(tmp) / "serve.log") as server,
            httpx.Client(base_url=server.base, timeout=120) as client,
        ):
            print(f"server up (migrated) in {time.perf_counter() - started:.1f} s", flush=True)
            for a, b in PAIRS:
                compare(client, server.pid, f"{a} vs {b}", [a], [b], args.pairs, args.rounds)
            ids = article_ids(client, args.related_ids, seed=7)
            views = [f"/articles/{i}" for i in ids]
            related = [f"/articles/{i}/related" for i in ids]
            compare(
                client,
                server.pid,
                "/articles/{id} vs /articles/{id}/related",
                views,
                related,
                args.pairs,
                args.rounds,
            )
            sizes = [len(client.get(r).json()["items"]) for r in related[:50]]
            print(f"related: {len(ids)} ids, mean items {statistics.mean(sizes):.1f} (of 10)")


if __name__ == "__main__":
    main()
