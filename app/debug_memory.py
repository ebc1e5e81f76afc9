"""TEMPORARY (issue 13 soak): where the server's memory goes, sampled every 20 s.

Set ``CORPUS_DEBUG_MEMORY=/path/file`` to append, every 20 s: VmRSS/RssAnon/RssFile, SQLite's
own heap (``sqlite3_memory_used``), glibc's arenas (``mallinfo2``: in use and free), the
SQLite pool's state, and the top tracemalloc growth since the first snapshot.
"""

import ctypes
import ctypes.util
import os
import threading
import time
import tracemalloc
from typing import Any

from sqlalchemy.engine import Engine


class MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def _status() -> dict[str, int]:
    out = {}
    with open("/proc/self/status") as handle:
        for line in handle:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "RssAnon", "RssFile", "RssShmem"):
                out[key] = int(value.split()[0]) // 1024
    return out


def _anon_by_kind() -> str:
    """Resident kB of anonymous mappings: [heap], thread stacks (8 MiB), glibc thread
    arenas (inside 64 MiB reservations), 1 MiB (obmalloc arenas), other."""
    kinds: dict[str, int] = {}
    kind = ""
    with open("/proc/self/smaps") as handle:
        for line in handle:
            first = line.split(maxsplit=6)
            if "-" in first[0] and len(first) >= 5 and ":" not in first[0]:
                lo, hi = (int(x, 16) for x in first[0].split("-"))
                size = (hi - lo) // 1024
                name = first[5].strip() if len(first) > 5 else ""
                if name == "[heap]":
                    kind = "heap"
                elif name:
                    kind = ""
                elif size in (8192, 8196):
                    kind = "stack8M"
                elif size == 1024:
                    kind = "1M"
                elif size <= 65536 and lo % (64 * 2**20) == 0:
                    kind = "arena64M"
                else:
                    kind = "anon-other"
            elif line.startswith("Rss:") and kind:
                kinds[kind] = kinds.get(kind, 0) + int(line.split()[1])
    return " ".join(f"{k}={v // 1024}MB" for k, v in sorted(kinds.items()))


_engines: list[Engine] = []


def start(engine: Engine) -> None:
    """Starts the sampler thread when ``CORPUS_DEBUG_MEMORY`` names a file."""
    target = os.environ.get("CORPUS_DEBUG_MEMORY")
    _engines.append(engine)  # the module's own app is made first, the served one last
    if not target or len(_engines) > 1:
        return
    import _sqlite3  # noqa: PLC0415 - the library the driver really uses

    sqlite: Any = ctypes.CDLL(_sqlite3.__file__)
    sqlite.sqlite3_memory_used.restype = ctypes.c_int64
    libc: Any = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.mallinfo2.restype = MallInfo2
    frames = int(os.environ.get("CORPUS_DEBUG_MEMORY_FRAMES", "1"))
    if frames:
        tracemalloc.start(frames)

    def run() -> None:
        first = None
        started = time.monotonic()
        while True:
            time.sleep(20)
            info = libc.mallinfo2()
            lines = [
                f"t={time.monotonic() - started:.0f}s {_status()} "
                f"sqlite_heap={sqlite.sqlite3_memory_used() // 2**20}MB "
                f"malloc_in_use={info.uordblks // 2**20}MB free={info.fordblks // 2**20}MB "
                f"mmapped={info.hblkhd // 2**20}MB pool={_engines[-1].pool.status()}",
                f"  anon: {_anon_by_kind()} threads={threading.active_count()}",
            ]
            if frames:
                snap = tracemalloc.take_snapshot()
                lines.append(f"  traced={tracemalloc.get_traced_memory()[0] // 2**20}MB")
                if first is None:
                    first = snap
                else:
                    for stat in snap.compare_to(first, "traceback")[:12]:
                        lines.append(f"  {stat}")
                        lines.extend(f"      {x}" for x in stat.traceback.format()[-6:])
            with open(target, "a") as handle:
                handle.write("\n".join(lines) + "\n")

    threading.Thread(target=run, daemon=True, name="debug-memory").start()
