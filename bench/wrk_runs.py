"""wrk runs: rotation scripts over request paths, the figures, and a table of two sides."""

import json
import statistics
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

WORKLOADS = {"list": "GET /articles?limit=20", "item": "GET /articles/{id}"}
WRK_INSTALL = "apt-get update -qq && apt-get install -y wrk"

# Both scripts end by printing wrk's summary as one JSON line: no parsing of "1.23ms" units.
DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "duration_us": %d, "p50_us": %.0f, "p99_us": %.0f, '
    .. '"errors": %d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout + e.status))
end
"""
# Each wrk thread has its own Lua state: start them at different places of the rotation.
ROTATION = """
local paths = {PATHS}
local headers = {HEADERS}
local threads = 0
setup = function(thread) thread:set("start", threads * 97); threads = threads + 1 end
init = function(args) i = start or 0 end
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1], headers)
end
"""


def lua_string(value: str) -> str:
    """A Lua string literal; ``value`` must be ASCII (percent-encode paths first)."""
    if not value.isascii():
        raise ValueError(f"not ASCII (percent-encode it): {value!r}")
    return json.dumps(value)


def rotation_script(paths: list[str], headers: dict[str, str] | None = None) -> str:
    """A wrk script that requests ``paths`` in turn (one path: always that one), with headers."""
    if not paths:
        raise ValueError("a rotation needs at least one path")
    listed = ", ".join(lua_string(p) for p in paths)
    sent = ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in (headers or {}).items())
    return ROTATION.replace("PATHS", listed).replace("HEADERS", sent) + DONE


@dataclass(frozen=True)
class Figure:
    """One wrk run: requests per second, latency p50/p99 in ms, failed or non-2xx requests."""

    rps: float
    p50: float
    p99: float
    errors: int


@dataclass(frozen=True)
class Wrk:
    """wrk with the workloads' scripts, a connection count and a log of its full output."""

    scripts: dict[str, Path]
    connections: int
    log: Path

    @classmethod
    def written(cls, folder: Path, ids: list[str], connections: int) -> "Wrk":
        """Writes the read workloads' scripts into ``folder``: the item script rotates ``ids``."""
        wrk = cls({}, connections, folder / "wrk.log")
        wrk.add(folder, "list", ["/articles?limit=20"])
        wrk.add(folder, "item", [f"/articles/{quote(i)}" for i in ids])
        return wrk

    def add(
        self, folder: Path, name: str, paths: list[str], headers: dict[str, str] | None = None
    ) -> None:
        """Writes the script of workload ``name`` (a rotation over ``paths``) into ``folder``."""
        script = folder / f"{name}.lua"
        script.write_text(rotation_script(paths, headers))
        self.scripts[name] = script

    def command(self, base: str, workload: str, seconds: float) -> list[str]:
        """The wrk command line for one run (the script gives every request's path)."""
        return [
            "wrk", "-t2", f"-c{self.connections}", f"-d{max(1, round(seconds))}s",
            "--latency", "--timeout", "10s", "-s", str(self.scripts[workload]), base,
        ]  # fmt: skip

    def run(self, base: str, workload: str, seconds: float) -> Figure:
        """One run against the server at ``base``."""
        command = self.command(base, workload, seconds)
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        with self.log.open("a") as out:
            out.write(f"$ {' '.join(command)}\n{output}\n")
        line = next(x for x in output.splitlines() if x.startswith("WRK_JSON "))
        summary = json.loads(line.removeprefix("WRK_JSON "))
        return Figure(
            rps=summary["requests"] / (summary["duration_us"] / 1e6),
            p50=summary["p50_us"] / 1000,
            p99=summary["p99_us"] / 1000,
            errors=summary["errors"],
        )


def latency(figures: list[Figure]) -> str:
    """Median p50/p99 over the rounds, in ms."""
    p50 = statistics.median(f.p50 for f in figures)
    p99 = statistics.median(f.p99 for f in figures)
    return f"{p50:.1f}/{p99:.1f}"


def table(rows: dict[str, dict[str, list[Figure]]]) -> list[str]:
    """Medians over the rounds, the ratio new/old, p50/p99, and each round's req/s and ratio."""
    lines = [
        f"{'workload':<24}{'old req/s':>10}{'new req/s':>10}{'ratio':>8}"
        f"{'old p50/p99 ms':>17}{'new p50/p99 ms':>17}   each round: old | new | ratio"
    ]
    for workload, sides in rows.items():
        old, new = sides["old"], sides["new"]
        old_rps = statistics.median(f.rps for f in old)
        new_rps = statistics.median(f.rps for f in new)
        rounds = " | ".join(
            [
                " ".join(f"{f.rps:.0f}" for f in old),
                " ".join(f"{f.rps:.0f}" for f in new),
                " ".join(f"{n.rps / o.rps:.2f}" for o, n in zip(old, new, strict=True)),
            ]
        )
        errors = sum(f.errors for f in old + new)
        lines.append(
            f"{WORKLOADS[workload]:<24}{old_rps:>10.1f}{new_rps:>10.1f}"
            f"{new_rps / old_rps:>7.2f}x{latency(old):>17}{latency(new):>17}   {rounds}"
            + (f"   ({errors} failed or non-2xx requests!)" if errors else "")
        )
    return lines
