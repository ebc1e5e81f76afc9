"""The soak's server processes: which they are, their resident memory and CPU, from /proc."""

import asyncio
import os
import time
from pathlib import Path

from feed_memory import status_kb

SAMPLE_EVERY_S = 10


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (the workers of `--workers N`)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def tree_rss_kb(pid: int) -> int:
    """VmRSS of ``pid`` and its descendants."""
    total = 0
    for current in process_tree(pid):
        try:
            total += status_kb(current, "VmRSS")
        except (OSError, KeyError):
            continue
    return total


def tree_cpu_s(pid: int) -> float:
    """CPU seconds (user and system) used so far by ``pid`` and its live descendants."""
    ticks = 0
    for current in process_tree(pid):
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


async def sample_memory(
    pid: int, samples: list[tuple[float, int]], start: float, until: float
) -> None:
    """(seconds since start, RSS kB) every 10 s until ``until``, and once at the end."""
    while time.monotonic() < until:
        await asyncio.sleep(min(SAMPLE_EVERY_S, max(0.0, until - time.monotonic())))
        samples.append((time.monotonic() - start, tree_rss_kb(pid)))
