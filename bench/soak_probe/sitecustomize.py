"""The soak's probe inside each server process: event-loop lag and garbage-collector pauses.

Loaded by Python at start-up when ``bench/soak.py --probe`` puts this folder on the server's
``PYTHONPATH``; it does nothing unless ``CORPUS_SOAK_PROBE`` names a folder. Each process
appends one line a second to ``probe-<pid>.jsonl`` there: the wall-clock second, the longest
lateness of a 10 ms timer on its event loop (every request on the loop waited that long), and
the collector's pauses (count and milliseconds, full collections apart).
"""

import gc
import json
import os
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
        ms = (time.perf_counter() - self.gc_started) * 1000
        self.gc_ms += ms
        self.gc_count += 1
        if info.get("generation") == 2:
            self.gc2_ms += ms
            self.gc2_count += 1

    def line(self, at: float) -> str:
        row = {
            "t": round(at, 3),
            "pid": os.getpid(),
            "lag_ms": round(self.lag_ms, 1),
            "gc_ms": round(self.gc_ms, 1),
            "gc": self.gc_count,
            "gc2_ms": round(self.gc2_ms, 1),
            "gc2": self.gc2_count,
        }
        self.__init__()  # type: ignore[misc]
        return json.dumps(row)


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
