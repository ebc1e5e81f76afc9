"""What bench/peers.py prints and writes: the table, bench/RESULTS.md and the chart."""

import json
import statistics
import subprocess
from dataclasses import dataclass
from pathlib import Path

from bare_asgi import BODY
from peers_recall import Recall
from wrk_runs import Figure, latency

CHART_SCRIPT = Path(__file__).resolve().parent / "peers_chart.py"


@dataclass(frozen=True)
class Row:
    """One workload against one Datasette variant: both sides' figures over the rounds."""

    workload: str
    key: str
    peer: str
    service: list[Figure]
    datasette: list[Figure]
    bar: float | None
    note: str = ""

    @property
    def service_rps(self) -> float:
        """The service's median req/s."""
        return statistics.median(f.rps for f in self.service)

    @property
    def datasette_rps(self) -> float:
        """Datasette's median req/s."""
        return statistics.median(f.rps for f in self.datasette)

    @property
    def ratio(self) -> float:
        """Service over Datasette."""
        return self.service_rps / self.datasette_rps

    def verdict(self) -> str:
        """The bar and whether this run met it."""
        if self.bar is None:
            return ""
        return f">= {self.bar:g}x: {'met' if self.ratio >= self.bar else 'NOT met'}"

    def errors(self) -> int:
        """Failed or non-2xx/3xx requests on both sides."""
        return sum(f.errors for f in self.service + self.datasette)


def rows_table(rows: list[Row], header: bool = True) -> str:
    """Markdown table lines: req/s, p50/p99, ratio, bar and each round's req/s."""
    lines = (
        [
            "| workload | Datasette as | service req/s | p50/p99 ms | Datasette req/s "
            "| p50/p99 ms | ratio | bar | rounds: service / Datasette |",
            "|---|---|---:|---:|---:|---:|---:|---|---|",
        ]
        if header
        else []
    )
    for row in rows:
        rounds = " ".join(f"{f.rps:.0f}" for f in row.service) + " / "
        rounds += " ".join(f"{f.rps:.0f}" for f in row.datasette)
        if row.errors():
            rounds += f" ({row.errors()} failed or non-2xx requests!)"
        lines.append(
            f"| {row.workload} | {row.peer} | {row.service_rps:.0f} | {latency(row.service)} "
            f"| {row.datasette_rps:.0f} | {latency(row.datasette)} | {row.ratio:.2f}x "
            f"| {row.verdict()} | {rounds} |"
        )
    return "\n".join(lines)


def results_markdown(
    *,
    rows: list[Row],
    started: str,
    command: str,
    facts: dict[str, str],
    recalls: dict[str, Recall],
    common: dict[str, str],
    bare: Figure,
    memory: dict[str, list[float]],
    chart: Path,
) -> list[str]:
    """The lines of bench/RESULTS.md."""
    notes = [f"- {row.workload}: {row.note}" for row in rows if row.note]
    worst = max(memory["service"])
    return [
        "# This service against Datasette (bench/peers.py)",
        "",
        f"Run {started}: `{command}`",
        "",
        *[f"- {name}: {value}" for name, value in facts.items()],
        "",
        rows_table(rows),
        "",
        *notes,
        "- recall on the query set (mean over the queries; queries found completely): "
        + "; ".join(
            f"{name} {r.mean:.3f} ({r.complete}/{r.queries})" for name, r in recalls.items()
        ),
        "- hits of the common term (totals; Datasette's over the service's is its recall there): "
        + "; ".join(f"{name} {value}" for name, value in common.items()),
        f"- bare ASGI ceiling (bench/bare_asgi.py, {len(BODY) / 1000:.1f} KB body, "
        f"uvicorn + uvloop + httptools, best round): {bare.rps:.0f} req/s, p50/p99 "
        f"{bare.p50:.1f}/{bare.p99:.1f} ms",
        "- resident memory after the run: service "
        + ", ".join(f"{mb:.0f} MB" for mb in memory["service"])
        + f" (bar: one worker <= 250 MB: {'met' if worst <= 250 else 'NOT met'}); Datasette "
        + ", ".join(f"{mb:.0f} MB" for mb in memory["datasette"]),
        "",
        f"![ratios]({chart.name})",
    ]


def chart(rows: list[Row], bin_dir: Path, out: Path, workdir: Path, title: str) -> None:
    """The PNG of the ratios, drawn by the bench environment's matplotlib."""
    data = {
        "title": f"this service / Datasette, req/s ({title})",
        "bars": [{"label": f"{r.key} vs {r.peer}", "ratio": r.ratio, "bar": r.bar} for r in rows],
    }
    ratios = workdir / "ratios.json"
    ratios.write_text(json.dumps(data, ensure_ascii=False))
    subprocess.run([str(bin_dir / "python"), str(CHART_SCRIPT), str(ratios), str(out)], check=True)
