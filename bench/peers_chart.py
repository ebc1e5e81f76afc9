"""The chart of bench/peers.py: this service's req/s over Datasette's, one bar a workload.

    bench-venv/bin/python bench/peers_chart.py RATIOS.json OUT.png

Run by bench/peers.py with the bench's own environment (matplotlib is not a dependency of the
service). RATIOS.json: {"title": str, "bars": [{"label", "ratio", "bar"}]} (bar: the issue's
bar for that ratio, or null).
"""

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display: write the file only
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FormatStrFormatter, NullFormatter  # noqa: E402


def main() -> int:
    """Reads the ratios, draws the bars (with the issue's bars as marks), writes the PNG."""
    data = json.loads(Path(sys.argv[1]).read_text())
    bars = data["bars"]
    labels = [b["label"] for b in bars]
    ratios = [b["ratio"] for b in bars]
    figure, axes = plt.subplots(figsize=(9, 0.55 * len(bars) + 1.6))
    positions = range(len(bars))
    # Green: the bar met; red: not met; grey: no bar for that workload.
    colours = [
        "tab:gray" if b["bar"] is None else "tab:green" if b["ratio"] >= b["bar"] else "tab:red"
        for b in bars
    ]
    axes.barh(positions, ratios, color=colours)
    for i, b in enumerate(bars):
        axes.text(b["ratio"], i, f" {b['ratio']:.2f}x", va="center")
        if b["bar"] is not None:
            axes.plot([b["bar"], b["bar"]], [i - 0.4, i + 0.4], color="black", linewidth=2)
    axes.axvline(1.0, color="grey", linestyle="--", linewidth=1)
    axes.set_yticks(list(positions), labels)
    axes.invert_yaxis()
    axes.set_xscale("log")
    axes.xaxis.set_major_formatter(FormatStrFormatter("%gx"))
    axes.xaxis.set_minor_formatter(NullFormatter())
    axes.set_xlabel("this service's req/s / Datasette's req/s (log; black marks: the issue's bars)")
    axes.set_title(data["title"], fontsize=10)
    figure.tight_layout()
    figure.savefig(sys.argv[2], dpi=110)
    return 0


if __name__ == "__main__":
    sys.exit(main())
