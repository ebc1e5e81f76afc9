"""The soak's timeline: where in the run the slow reads were, against what else happened.

Per window of a few seconds: reads answered, their p50/p99/max, how long a `corpus ingest`
ran in it, the load generator's own event-loop lateness (a late client inflates every
latency it measures), and with ``--probe`` each server process's event-loop lag and garbage
collector pauses (``bench/soak_probe``). Then the reads' p99 with and without an ingest
running, and how many slow reads had one.
"""

import asyncio
import json
import time
from pathlib import Path
from typing import Any

from slow_clients import pct

WINDOW_S = 5.0
LAG_TICK_S = 0.01
SLOW_MS = 500.0


async def client_lag(lags: list[tuple[float, float]], until: float) -> None:
    """The lateness of a 10 ms timer on the load generator's loop, whenever over 5 ms."""
    loop = asyncio.get_running_loop()
    while time.monotonic() < until:
        before = loop.time()
        await asyncio.sleep(LAG_TICK_S)
        late = (loop.time() - before - LAG_TICK_S) * 1000
        if late > 5:
            lags.append((time.monotonic(), late))


def probe_rows(folder: Path) -> list[dict[str, Any]]:
    """Every line the server processes' probes wrote (``t`` is wall-clock time)."""
    rows = []
    for path in sorted(folder.glob("probe-*.jsonl")):
        rows.extend(json.loads(line) for line in path.read_text().splitlines() if line)
    return rows


def overlap(a: tuple[float, float], b: tuple[float, float]) -> float:
    return max(0.0, min(a[1], b[1]) - max(a[0], b[0]))


def print_timeline(
    ends: list[tuple[float, float]],
    ingests: list[tuple[float, float]],
    client_lags: list[tuple[float, float]],
    probes: list[dict[str, Any]],
    start: float,
    wall_offset: float,
) -> None:
    """The table by window, then the reads split by whether an ingest was running."""
    head = "{:>6} {:>6} {:>7} {:>7} {:>7} {:>7} {:>8} {:>8} {:>7} {:>4}"
    print(
        "\ntimeline (ms; ingest = seconds of `corpus ingest` running in the window; lag = "
        "longest lateness of a 10 ms timer on the client's / the servers' loops; gc = server "
        "collector pauses, gen2 = full collections):"
    )
    print(
        head.format("t s", "reads", "p50", "p99", "max", "ingest", "c-lag", "s-lag", "gc", "gen2")
    )
    last = max((e for e, _ in ends), default=start)
    at = start
    while at < last:
        window = (at, at + WINDOW_S)
        values = [ms for e, ms in ends if window[0] <= e < window[1]]
        ingest = sum(overlap(window, i) for i in ingests)
        c_lag = max((ms for t, ms in client_lags if window[0] <= t < window[1]), default=0.0)
        rows = [
            r for r in probes if window[0] <= r["t"] - wall_offset < window[1]
        ]  # wall -> monotonic
        s_lag = max((r["lag_ms"] for r in rows), default=float("nan"))
        gc_ms = sum(r["gc_ms"] for r in rows) if rows else float("nan")
        gen2 = sum(r["gc2"] for r in rows)
        print(
            head.format(
                f"{at - start:.0f}",
                len(values),
                f"{pct(values, 0.5):.0f}" if values else "-",
                f"{pct(values, 0.99):.0f}" if values else "-",
                f"{max(values):.0f}" if values else "-",
                f"{ingest:.1f}",
                f"{c_lag:.0f}",
                f"{s_lag:.0f}",
                f"{gc_ms:.0f}",
                gen2,
            )
        )
        at += WINDOW_S
    during = [ms for e, ms in ends if any(overlap((e - ms / 1000, e), i) > 0 for i in ingests)]
    apart = [ms for e, ms in ends if not any(overlap((e - ms / 1000, e), i) > 0 for i in ingests)]
    slow = sum(1 for ms in during if ms > SLOW_MS)
    slow_all = sum(1 for _, ms in ends if ms > SLOW_MS)
    took = [b - a for a, b in ingests]
    print(
        f"reads overlapping an ingest: {len(during)}, p50 {pct(during, 0.5):.0f} p99 "
        f"{pct(during, 0.99):.0f} ms; the others: {len(apart)}, p50 {pct(apart, 0.5):.0f} "
        f"p99 {pct(apart, 0.99):.0f} ms; reads over {SLOW_MS:.0f} ms: {slow_all}, "
        f"{slow} of them overlapping an ingest; an ingest ran {pct(took, 0.5):.2f} s (p50), "
        f"{max(took, default=0):.2f} s (max)"
    )
    if probes:
        lags = [r["lag_ms"] for r in probes]
        print(
            f"server loop lag per second: p50 {pct(lags, 0.5):.0f}, p99 {pct(lags, 0.99):.0f}, "
            f"max {max(lags):.0f} ms; gc pauses {sum(r['gc_ms'] for r in probes):.0f} ms in "
            f"{sum(r['gc'] for r in probes)} collections, full ones "
            f"{sum(r['gc2_ms'] for r in probes):.0f} ms in {sum(r['gc2'] for r in probes)}"
        )


def print_probe_memory(probes: list[dict[str, Any]], wall_offset: float, start: float) -> None:
    """Where the servers' memory was, every 30 s: summed over the processes' latest lines."""
    if not probes or "RssAnon" not in probes[0]:
        return
    print("server memory by kind (MB; sqlite = its allocations, its page caches most of them):")
    head = "{:>6} {:>8} {:>8} {:>8} {:>8} {:>10}  {}"
    print(
        head.format(
            "t s", "rss", "anon", "file", "sqlite", "py blocks", "sockets/db files by process"
        )
    )
    last = max(r["t"] for r in probes)
    at = min(r["t"] for r in probes)
    while at <= last + 0.5:
        latest: dict[int, dict[str, Any]] = {}
        for r in probes:
            if r["t"] <= at + 0.5:
                latest[r["pid"]] = r
        rows = list(latest.values())
        print(
            head.format(
                f"{at - wall_offset - start:.0f}",
                *(f"{sum(r[k] for r in rows) / 1024:.0f}" for k in ("VmRSS", "RssAnon", "RssFile")),
                f"{sum(r['sqlite_kb'] for r in rows) / 1024:.0f}",
                sum(r["py_blocks"] for r in rows),
                " ".join(f"{r.get('sockets', '?')}/{r.get('db_files', '?')}" for r in rows),
            )
        )
        at += 30


def server_buckets(metrics_text: str) -> dict[float, float]:
    """Cumulative count by upper bound (s) of the server's own latency histogram, over every
    GET route but the change feed (its long-polls wait by design)."""
    found: dict[float, float] = {}
    for line in metrics_text.splitlines():
        if not line.startswith("corpus_http_request_duration_seconds_bucket{"):
            continue
        labels, value = line.rsplit(" ", 1)
        if 'method="GET"' not in labels or 'route="/changes' in labels:
            continue
        bound = labels.split('le="', 1)[1].split('"', 1)[0]
        at = float("inf") if bound == "+Inf" else float(bound)
        found[at] = found.get(at, 0.0) + float(value)
    return found


def print_server_latency(before: str, after: str) -> None:
    """The share of the run's reads the server itself answered within each bound: what the
    server measured from a request's arrival to its last byte, against what the clients saw."""
    start, end = server_buckets(before), server_buckets(after)
    total = end.get(float("inf"), 0.0) - start.get(float("inf"), 0.0)
    if not total:
        return
    shares = [
        f"<= {bound * 1000:.0f} ms {100 * (count - start.get(bound, 0.0)) / total:.1f}%"
        for bound, count in sorted(end.items())
        if bound != float("inf") and bound <= 2.5
    ]
    print(f"server-side latency of {total:.0f} reads (its histogram): " + ", ".join(shares))
