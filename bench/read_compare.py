"""Read API of an old commit against the working tree, side by side under wrk (issue 10's bar).

    .venv/bin/python bench/read_compare.py                  # 02d3a4b vs this tree, dev archive
    .venv/bin/python bench/read_compare.py --corpus ../shared/corpus/sample --duration 3 --rounds 1
    .venv/bin/python bench/read_compare.py --profile new --out bench/out/read-compare.txt

Each side runs its own code: the old commit is checked out with `git worktree add --detach`
into the work folder, and each side migrates and ingests the corpus into its own SQLite file
with its own `corpus migrate` + `corpus ingest` (kept in the work folder, keyed by the old
commit and by a hash of the new tree's app/ + migrations/, so a re-run does not re-ingest),
then `corpus serve` on a free loopback port. wrk (`-t2 -c16`) loads GET /articles?limit=20 and
GET /articles/{id} over ~200 ids, the sides alternating A B A B for --rounds rounds; the table
gives the median req/s, the ratio new/old, p50/p99 and each round's figures. Bar: ratio >= 5.
`--profile new|old` then samples that side's server with py-spy under each workload and prints
where the time goes. A benchmark, not a test: on a shared machine only the ratios of one run
mean much, and short runs swing (same code on both sides: 0.96x to 1.67x at -d2s..5s under
load), so give the figure that counts --duration 10 --rounds 3 or more.

Needs wrk (as root: apt-get update -qq && apt-get install -y wrk) and, for --profile, py-spy
(.venv/bin/pip install py-spy). The work folder keeps the databases (the dev archive: ~1.9 GB
a side) and the venv of a side whose dependencies differ from this tree's.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
from read_profile import profile_summary
from served import Served, served
from sides import (
    DEV_ARCHIVE,
    REPO,
    Side,
    database,
    default_corpus,
    git,
    listed_ids,
    make_side,
    spread_ids,
)
from wrk_runs import WORKLOADS, WRK_INSTALL, Figure, Wrk, table


def py_spy(side: Side) -> str:
    """The py-spy beside the side's interpreter, beside this one, or on PATH."""
    for folder in (side.python.parent, Path(sys.executable).parent):
        if (folder / "py-spy").exists():
            return str(folder / "py-spy")
    found = shutil.which("py-spy")
    if not found:
        raise SystemExit(
            f"py-spy is not installed: {Path(sys.executable).parent}/pip install py-spy"
        )
    return found


def profile(side: Side, server: Served, load: Wrk, args: argparse.Namespace) -> list[str]:
    """py-spy samples of the side's server under each workload, summarised."""
    spy, rate, seconds = py_spy(side), 100, max(1, round(args.duration))
    lines: list[str] = []
    for workload, name in WORKLOADS.items():
        raw = args.workdir / f"profile-{side.label}-{workload}.txt"
        raw.unlink(missing_ok=True)
        # py-spy samples a second longer than the load: it attaches before wrk starts. It does
        # not pause the server to read its stacks (--nonblocking), so the load runs at speed.
        sampler = subprocess.Popen(
            [spy, "record", "--pid", str(server.pid), "--duration", str(seconds + 1),
             "--rate", str(rate), "--format", "raw", "--nolineno", "--nonblocking",
             "--output", str(raw)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(0.5)
        figure = load.run(server.base, workload, seconds)
        if sampler.wait() != 0 or not raw.exists():
            raise SystemExit("py-spy record failed (it attaches with ptrace: run as root)")
        lines += [
            "",
            f"profile of the {side.label} side under {name}: {figure.rps:.0f} req/s while "
            f"sampled at {rate}/s (raw stacks for flamegraph.pl or speedscope: {raw})",
            *profile_summary(raw, side.tree, rate * (seconds + 1)),
        ]
    return lines


def arguments() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--old", default="02d3a4b", help="revision or tree (default 02d3a4b)")
    parser.add_argument("--new", default=str(REPO), help="tree or revision (default: this tree)")
    parser.add_argument("--corpus", type=Path, help=f"archive or folder (default ../{DEV_ARCHIVE})")
    parser.add_argument("--duration", type=float, default=10, help="seconds per wrk run")
    parser.add_argument("--warmup", type=float, default=2, help="seconds per side, not counted")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--ids", type=int, default=200, help="article ids the item run rotates")
    parser.add_argument("--workdir", type=Path, help="default: <tmp>/corpus-read-compare (kept)")
    parser.add_argument("--out", type=Path, help="also write the table (and profile) here")
    parser.add_argument("--profile", choices=["old", "new"], help="py-spy that side afterwards")
    parser.add_argument(
        "--own-venv", action="store_true", help="a venv per side even if the dependencies match"
    )
    parser.add_argument("--keep", action="store_true", help="keep the old worktree")
    return parser.parse_args()


def rotated_ids(urls: dict[str, str], count: int) -> tuple[int, list[str]]:
    """How many articles the new side lists, and the ids both sides have that wrk rotates."""
    ids = {label: set(listed_ids(url)) for label, url in urls.items()}
    if ids["old"] != ids["new"]:
        print(
            f"warning: the sides list different articles ({len(ids['old'])} vs "
            f"{len(ids['new'])}); rotating over the ones both have",
            file=sys.stderr,
        )
    chosen = spread_ids(list(ids["old"] & ids["new"]), count)
    if not chosen:
        raise SystemExit("no articles in the databases")
    return len(ids["new"]), chosen


def compare(load: Wrk, servers: dict[str, Served], args: argparse.Namespace) -> list[str]:
    """Each workload: a warm-up per side, then the rounds, old and new in turns."""
    rows: dict[str, dict[str, list[Figure]]] = {}
    for workload in WORKLOADS:
        for server in servers.values():
            load.run(server.base, workload, args.warmup)
        rows[workload] = {label: [] for label in servers}
        for _ in range(args.rounds):
            for label, server in servers.items():
                rows[workload][label].append(load.run(server.base, workload, args.duration))
    return table(rows)


def main() -> int:
    """Builds both sides, loads them in turns, prints the table (and the profile)."""
    args = arguments()
    if not shutil.which("wrk"):
        print(f"wrk is not installed; as root: {WRK_INSTALL}", file=sys.stderr)
        return 2
    corpus = (args.corpus or default_corpus()).resolve()
    if not corpus.exists():
        print(f"no corpus at {corpus}; give --corpus", file=sys.stderr)
        return 2
    args.workdir = (args.workdir or Path(tempfile.gettempdir()) / "corpus-read-compare").resolve()
    args.workdir.mkdir(parents=True, exist_ok=True)

    added: list[Path] = []  # the worktrees this run made, removed at the end
    try:
        with ExitStack() as stack:
            sides = {
                label: make_side(label, where, args.workdir, args.own_venv, added)
                for label, where in (("old", args.old), ("new", args.new))
            }
            head = [f"corpus: {corpus}", f"work folder: {args.workdir}"]
            urls: dict[str, str] = {}
            for label, side in sides.items():
                urls[label], built = database(side, corpus, args.workdir)
                head.append(f"{label}: {side.described}; python {side.python}; database {built}")
            listed, chosen = rotated_ids(urls, args.ids)
            load = Wrk.written(args.workdir, chosen, args.connections)
            servers: dict[str, Served] = {}
            for label, side in sides.items():
                log = args.workdir / f"{label}-serve.log"
                servers[label] = stack.enter_context(
                    served(urls[label], side.corpus(), side.env(), side.tree, log)
                )
                for path in ("/articles?limit=20", f"/articles/{chosen[0]}"):
                    httpx.get(servers[label].base + path, timeout=60).raise_for_status()
            head.append(
                f"{listed} articles listed, {len(chosen)} ids rotated; "
                f"{' '.join(load.command('URL', 'list', args.duration)[:4])}, "
                f"{args.rounds} rounds, old and new in turns; load average "
                + " ".join(f"{x:.1f}" for x in os.getloadavg())
            )
            print("\n".join(head), flush=True)
            lines = [*head, "", *compare(load, servers, args)]
            lines.append(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
            print("\n".join(lines[len(head) :]), flush=True)
            if args.profile:
                more = profile(sides[args.profile], servers[args.profile], load, args)
                print("\n".join(more), flush=True)
                lines += more
            if args.out:
                args.out.parent.mkdir(parents=True, exist_ok=True)
                args.out.write_text("\n".join(lines) + "\n")
    finally:
        if not args.keep:
            for tree in dict.fromkeys(added):
                try:
                    git("worktree", "remove", "--force", str(tree))
                except subprocess.CalledProcessError as error:
                    print(f"could not remove the worktree {tree}: {error.stderr}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
