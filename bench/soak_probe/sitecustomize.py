"""The soak's probe inside each server process: event-loop lag and garbage-collector pauses.

Loaded by Python at start-up when ``bench/soak.py --probe`` puts this folder on the server's
``PYTHONPATH``; it does nothing unless ``CORPUS_SOAK_PROBE`` names a folder. Each process
appends one line a second to ``probe-<pid>.jsonl`` there: the wall-clock second, the longest
lateness of a 10 ms timer on its event loop (every request on the loop waited that long), and
the collector's pauses (count and milliseconds, full collections apart), and where its
memory is: anonymous and file-backed resident kB, SQLite's own allocations (its page caches)
and the blocks Python's allocator holds.
"""

import ctypes
import gc
import json
import os
import sys
import time

FOLDER = os.environ.get("CORPUS_SOAK_PROBE")
TICK_S = 0.01


class Second:
    """What one process saw during the current second."""

    def __init__(self) -> None:
        self.lag_ms = 0.0
        self.gc_ms = 0.0
        self.gc_count = 0
        self.gc2_ms = 0.0
        self.gc2_count = 0
        self.gc_started = 0.0

    def on_gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self.gc_started = time.perf_counter()
            return
        if not self.gc_started:  # installed during a collection: its start was not seen
            return
        ms = (time.perf_counter() - self.gc_started) * 1000
        self.gc_started = 0.0
        self.gc_ms += ms
        self.gc_count += 1
        if info.get("generation") == 2:
            self.gc2_ms += ms
            self.gc2_count += 1

    def line(self, at: float) -> str:
        row: dict[str, float] = {
            "t": round(at, 3),
            "pid": os.getpid(),
            "lag_ms": round(self.lag_ms, 1),
            "gc_ms": round(self.gc_ms, 1),
            "gc": self.gc_count,
            "gc2_ms": round(self.gc2_ms, 1),
            "gc2": self.gc2_count,
            **memory(),
        }
        self.__init__()  # type: ignore[misc]
        return json.dumps(row)


def sqlite_memory_used() -> int:
    """Bytes SQLite has allocated in this process (``sqlite3_memory_used``), or -1."""
    try:
        import _sqlite3

        used = ctypes.CDLL(_sqlite3.__file__).sqlite3_memory_used
    except (ImportError, OSError, AttributeError):
        return -1
    used.restype = ctypes.c_int64
    return int(used())


def _link(path: str) -> str:
    try:
        return os.readlink(path)
    except OSError:
        return ""


def memory() -> dict[str, float]:
    """Resident kB by kind (/proc/self/status), SQLite's kB, Python's allocated blocks."""
    found: dict[str, float] = {}
    with open("/proc/self/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "RssAnon", "RssFile"):
                found[name] = int(value.split()[0])
    found["sqlite_kb"] = sqlite_memory_used() // 1024
    links = [_link(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")]
    found["sockets"] = sum(1 for link in links if link.startswith("socket:"))
    found["db_files"] = sum(1 for link in links if link.endswith(".db"))  # SQLite connections
    found["py_blocks"] = sys.getallocatedblocks()
    return found


def install(folder: str) -> None:
    """Measures gc pauses from now on, and the loop's lag once uvicorn serves."""
    import asyncio

    from uvicorn.server import Server

    second = Second()
    gc.callbacks.append(second.on_gc)
    serve = Server.serve

    async def lag_monitor() -> None:
        loop = asyncio.get_running_loop()
        mark = time.time()
        with open(os.path.join(folder, f"probe-{os.getpid()}.jsonl"), "a", buffering=1) as out:
            while True:
                before = loop.time()
                await asyncio.sleep(TICK_S)
                second.lag_ms = max(second.lag_ms, (loop.time() - before - TICK_S) * 1000)
                if time.time() - mark >= 1.0:
                    mark = time.time()
                    out.write(second.line(mark) + "\n")

    async def probed_serve(self: Server, sockets: object = None) -> None:
        task = asyncio.create_task(lag_monitor())
        try:
            await serve(self, sockets)  # type: ignore[arg-type]
        finally:
            task.cancel()

    Server.serve = probed_serve  # type: ignore[method-assign]


if FOLDER:
    install(FOLDER)
