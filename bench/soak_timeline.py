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
