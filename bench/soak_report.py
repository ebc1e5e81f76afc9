"""What the soak's clients saw (``Tally``) and the summary it prints: counts, latencies by
kind, errors, the server's memory and CPU, and the issue's bars."""

import argparse
import time
from collections import Counter
from dataclasses import dataclass, field

from slow_clients import pct

SHOWN_ERRORS = 8


@dataclass
class Tally:
    """What the clients saw, per kind."""

    latencies_ms: dict[str, list[float]] = field(default_factory=dict)
    statuses: dict[str, Counter[str]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    error_count: int = 0
    retried: Counter[str] = field(default_factory=Counter)  # GETs closed before an answer
    # (monotonic time the answer ended, ms) of every read, for the timeline
    ends: list[tuple[float, float]] = field(default_factory=list)
    ingests: list[tuple[float, float]] = field(default_factory=list)  # (start, end) of each
    client_lag_ms: list[tuple[float, float]] = field(default_factory=list)  # (at, lateness)

    def add(self, kind: str, status: str, ms: float, what: str) -> None:
        self.latencies_ms.setdefault(kind, []).append(ms)
        if not kind.startswith("write") and kind != "longpoll":
            self.ends.append((time.monotonic(), ms))
        self.statuses.setdefault(kind, Counter())[status] += 1
        if not (status.isdigit() and (status[0] == "2" or status in ("304", "429"))):
            self.error_count += 1
            if len(self.errors) < SHOWN_ERRORS:
                self.errors.append(f"{kind} {what} -> {status}")


def report(
    args: argparse.Namespace,
    tally: Tally,
    samples: list[tuple[float, int]],
    wall: float,
    cpus: tuple[float, float],
    changes: Counter[str],
) -> None:
    reads = [k for k in tally.statuses if not k.startswith("write") and k != "longpoll"]
    served_reads = sum(sum(tally.statuses[k].values()) for k in reads)
    everything = sum(sum(c.values()) for c in tally.statuses.values())
    print(
        f"\nrequests: {everything} in {wall:.1f} s (the last long-polls and ingest included); "
        f"reads {served_reads} ({served_reads / args.duration:.1f} req/s over the "
        f"{args.duration:.0f} s they were sent in, long-polls and writes apart)"
    )
    cpu, server_cpu = cpus
    print(
        f"load generator CPU: {cpu:.1f} s = {100 * cpu / wall:.0f}% of one core "
        "(near 100%: the client, not the server, was the limit)"
    )
    print(
        f"server CPU: {server_cpu:.1f} s = {100 * server_cpu / wall:.0f}% of one core "
        f"(each worker can use at most 100%; well under that with long waits: the machine "
        f"did not give it the CPU)"
    )
    line = "{:<13} {:>8} {:>9} {:>9} {:>9} {:>9}  {}"
    print("\n" + line.format("kind", "count", "p50 ms", "p95 ms", "p99 ms", "max ms", "statuses"))

    def row(kind: str, values: list[float], statuses: Counter[str]) -> None:
        shown = " ".join(f"{s}:{n}" for s, n in sorted(statuses.items()))
        print(
            line.format(
                kind,
                len(values),
                *(f"{pct(values, q):.1f}" for q in (0.5, 0.95, 0.99)),
                f"{max(values, default=float('nan')):.1f}",
                shown,
            )
        )

    for kind in sorted(tally.statuses):
        row(kind, tally.latencies_ms[kind], tally.statuses[kind])
    all_reads = [ms for k in reads for ms in tally.latencies_ms[k]]
    read_statuses = sum((tally.statuses[k] for k in reads), Counter())
    row("reads (all)", all_reads, read_statuses)
    print(f"\nerrors (not 2xx/304/429, any kind): {tally.error_count}")
    retried = ", ".join(f"{n} {name}" for name, n in tally.retried.most_common()) or "none"
    print(f"GETs sent again after their connection closed before any answer: {retried}")
    for error in tally.errors:
        print(f"  {error}")
    print("\nserver RSS (MB): " + ", ".join(f"{t:.0f}s {kb / 1024:.0f}" for t, kb in samples))
    per_minute = [
        (m, next((kb for t, kb in samples if t >= 60 * m - 1), None))
        for m in range(1, int(wall // 60) + 1)
    ]
    if per_minute:
        print(
            "per minute: "
            + ", ".join(f"min {m} {kb / 1024:.0f}" for m, kb in per_minute if kb is not None)
        )
    mark = 60.0 if wall >= 120 else wall / 5  # a short run measures growth from its first fifth
    at, first = next(((t, kb) for t, kb in samples if t >= mark - 1), samples[-1])
    start_kb, end_kb = samples[0][1], samples[-1][1]
    growth = 100 * (end_kb - first) / first if first else float("nan")
    label = "minute 1" if mark == 60.0 else f"{at:.0f} s"
    print(
        f"RSS start {start_kb / 1024:.0f} MB, {label} {first / 1024:.0f} MB, "
        f"end {end_kb / 1024:.0f} MB: growth {label} -> end {growth:+.1f}%"
    )
    print(
        "writer changes applied: "
        + (", ".join(f"{k} {n}" for k, n in sorted(changes.items())) or "none")
    )
    p99 = pct(all_reads, 0.99)
    print(
        f"\nbars: errors {tally.error_count} (0) {'ok' if tally.error_count == 0 else 'FAIL'}; "
        f"read p99 {p99:.1f} ms (<= 500) {'ok' if p99 <= 500 else 'FAIL'}; "
        f"RSS growth {growth:+.1f}% (<= 10) {'ok' if growth <= 10 else 'FAIL'}"
    )
