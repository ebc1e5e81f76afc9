"""The event loop's longest pause while N connections' header timeouts pass at one instant.

In-process, without the app: a uvloop server of ``CorpusHttpProtocol`` (this tree's, and with
``--baseline REF`` that commit's, in turns A B A B, each in a process of its own), N
connections each sending the start of a request, their header timers made due at the same
instant (as when N connections open within one turn of the loop; over real sockets the load
generator cannot open them that fast), and a 1 ms ticker whose longest gap is how long a
request arriving then would wait for the loop. Prints, per run: the longest gap while the N
are accepted and while they are closed, and the CPU the closing took.

    flock /tmp/heavy.lock .venv/bin/python bench/header_deadlines.py [--connections 1000]
        [--baseline main] [--rounds 2]
"""

import argparse
import asyncio
import gc
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sides import this_tree_and_baseline

REPO = Path(__file__).resolve().parent.parent
PARTIAL = b"GET /articles HTTP/1.1\r\nHost: bench\r\nUser-Agent: slow-client\r\nX-Slow: "


async def measure(connections: int) -> dict[str, float]:
    """One run in this process, with the ``app.server`` on the import path."""
    import uvloop  # noqa: F401  (the loop `corpus serve` runs; asserted below)
    from uvicorn.config import Config
    from uvicorn.server import ServerState

    from app.server import CorpusHttpProtocol

    loop = asyncio.get_running_loop()
    assert type(loop).__module__.startswith("uvloop")
    due = loop.time() + 3.0

    def arm_at_due(self: CorpusHttpProtocol) -> None:  # every timer due at one instant
        if self.header_timer is None:
            self.header_timer = self.loop.call_at(due, self._header_deadline)

    CorpusHttpProtocol._arm_header_timer = arm_at_due  # type: ignore[method-assign]

    async def app(scope: Any, receive: Any, send: Any) -> None:
        """Never reached: no request completes its headers."""

    config = Config(app=app, http=CorpusHttpProtocol, lifespan="off", log_level="warning")
    config.load()
    state = ServerState()
    server = await loop.create_server(
        lambda: CorpusHttpProtocol(config, state, {}, loop), "127.0.0.1", 0, backlog=4096
    )
    port = server.sockets[0].getsockname()[1]
    gc.freeze()  # as served_app does after start-up
    gaps: list[float] = []

    async def ticker() -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    clients = []
    for _ in range(connections):  # queued in the backlog: the loop accepts them in one go
        client = socket.create_connection(("127.0.0.1", port))
        client.sendall(PARTIAL)
        clients.append(client)
    tick = asyncio.create_task(ticker())
    while len(state.connections) < connections:
        await asyncio.sleep(0)
    await asyncio.sleep(0.05)
    accept_gap = max(gaps)
    await asyncio.sleep(max(0.0, due - loop.time() - 0.2))
    gaps.clear()
    cpu = time.process_time()
    while state.connections:
        await asyncio.sleep(0.001)
    closing_cpu = time.process_time() - cpu
    await asyncio.sleep(0.05)
    tick.cancel()
    for client in clients:
        client.close()
    return {
        "accept_gap_ms": accept_gap * 1000,
        "closing_gap_ms": max(gaps) * 1000,
        "closing_cpu_ms": closing_cpu * 1000,
    }


def one_run(tree: Path, connections: int) -> dict[str, float]:
    """A run in a new process whose ``app`` is the one in ``tree``."""
    env = {**os.environ, "PYTHONPATH": f"{tree}{os.pathsep}{REPO / 'bench'}"}
    out = subprocess.run(
        [sys.executable, __file__, "--measure", "--connections", str(connections)],
        env=env,
        cwd=tree,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--baseline", help="a commit to run in turns with this tree, e.g. main")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(
        resource.RLIMIT_NOFILE, (max(soft, min(hard, 2 * args.connections + 500)), hard)
    )
    if args.measure:
        import uvloop

        print(json.dumps(uvloop.run(measure(args.connections))))
        return
    with tempfile.TemporaryDirectory(prefix="header-deadlines-") as tmp:
        sides = this_tree_and_baseline(args.baseline, Path(tmp))
        for round_no in range(args.rounds):
            for label, _, cwd in sides:
                run = one_run(cwd or REPO, args.connections)
                print(
                    f"round {round_no + 1} {label:>9}: {args.connections} connections; longest "
                    f"loop pause while accepted {run['accept_gap_ms']:.1f} ms, while their "
                    f"header timeouts close them {run['closing_gap_ms']:.1f} ms "
                    f"(CPU from 0.2 s before to the last close {run['closing_cpu_ms']:.0f} ms); "
                    f"load {os.getloadavg()[0]:.1f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
