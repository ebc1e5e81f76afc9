"""This service against Datasette over the same corpus, side by side under wrk (issue 12).

    .venv/bin/python bench/peers.py                          # the dev archive, RESULTS.md + chart
    .venv/bin/python bench/peers.py --corpus ../shared/corpus/sample --duration 2 --rounds 1
    .venv/bin/python bench/peers.py --workers 2              # `corpus serve --workers 2`

Builds (once per corpus and stored format, in the work folder) this service's SQLite database
with its own `corpus migrate` + `corpus ingest`, and the table a Datasette user would make
(one row a file: id, path, title, body; FTS5 through sqlite-utils) with Datasette in a
virtual environment of the bench's own (bench/datasette_peer.py). Starts both servers on
free loopback ports, one process each, and drives them with the same wrk load (`-t2 -c16`),
the sides in turns (A B A B) for --rounds rounds, for each workload: a page of 20 summaries
(against Datasette's table view and its hand-written SQL), one article by id (rotating over
--ids ids, against its row page), a search for a common and a rare term (its FTS `_search`),
the page with a matching If-None-Match, a tag's page (Datasette has no tags: `_search` of the
tag's name). Prints and writes to bench/RESULTS.md the median req/s, p50/p99 and the ratio per
workload, both sides' recall on the query set, the ceiling of a bare ASGI app
(bench/bare_asgi.py), both servers' resident memory after the run; and bench/peers.png, the
ratios. A benchmark, not a test: run it under `flock /tmp/heavy.lock` on a shared machine.
Needs wrk (as root: apt-get update -qq && apt-get install -y wrk).
"""

import argparse
import os
import platform
import shutil
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

import httpx
from datasette_peer import DATABASE, TABLE, DatasetteCommand, bench_venv, peer_database
from peers_recall import queries, recall, recall_of_common
from peers_report import Row, chart, results_markdown, rows_table
from served import Served, listening, served
from sides import (
    DEV_ARCHIVE,
    REPO,
    Side,
    content_key,
    database,
    default_corpus,
    git,
    listed_ids,
    spread_ids,
)
from wrk_runs import WRK_INSTALL, Figure, Wrk

# What decides the bytes of the service's database: its key, so that an optimisation of the
# read path reuses the database and a change of what is stored builds it again.
STORED = ("app/ingest", "app/articles", "app/parsing", "app/search", "app/models.py",
          "app/schemas.py", "migrations")  # fmt: skip
COMMON, RARE, TAG = "中国", "然后是阳光", "美国"
# Datasette's cheapest table view: no count, no facets, no facet suggestions.
CHEAP = {"_nocount": "1", "_nofacet": "1", "_nosuggest": "1"}


@dataclass(frozen=True)
class Load:
    """The requests of one side under one workload: paths in rotation, headers."""

    paths: list[str]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Workload:
    """A workload: the service's load, each Datasette variant's, the issue's bar if any."""

    key: str
    name: str
    service: Load
    peers: dict[str, Load]
    bar: float | None = None
    note: str = ""


WORKLOAD_KEYS = ("page", "item", "search common", "search rare", "page If-None-Match", "tag page")


def table_view(*params: tuple[str, str]) -> str:
    """A Datasette table-view JSON path of the articles table."""
    return f"/{DATABASE}/{TABLE}.json?" + urlencode([*params, *CHEAP.items()])


def workloads(ids: list[str], etags: dict[str, str]) -> list[Workload]:
    """The workloads, with the paths each side is asked for."""
    sql = "select id, path, title from articles limit 20"
    sql_page = f"/{DATABASE}.json?" + urlencode({"sql": sql})
    summaries = table_view(("_size", "20"), ("_col", "path"), ("_col", "title"))
    searched = {q: table_view(("_search", q), ("_size", "20")) for q in (COMMON, RARE, TAG)}
    return [
        Workload("page", "page of 20 summaries", Load(["/articles?limit=20"]),
                 {"table view": Load([summaries]), "hand-written SQL": Load([sql_page])}, 4.0),
        Workload("item", "one article by id", Load([f"/articles/{quote(i)}" for i in ids]),
                 {"row page": Load([f"/{DATABASE}/{TABLE}/{quote(i)}.json" for i in ids])}, 5.0),
        Workload("search common", f"search {COMMON}, first 20",
                 Load([f"/search?{urlencode({'q': COMMON, 'limit': 20})}"]),
                 {"FTS _search": Load([searched[COMMON]])}, 1.0),
        Workload("search rare", f"search {RARE}, first 20",
                 Load([f"/search?{urlencode({'q': RARE, 'limit': 20})}"]),
                 {"FTS _search": Load([searched[RARE]])}),
        Workload("page If-None-Match", "page of 20, If-None-Match",
                 Load(["/articles?limit=20"], {"If-None-Match": etags["service"]}),
                 {"hand-written SQL": Load([sql_page], {"If-None-Match": etags["datasette"]})},
                 note="Datasette sends no ETag: it answers 200 with the page"
                 if etags["datasette"] == '"none"' else ""),
        Workload("tag page", f"tag {TAG}'s page of 20",
                 Load([f"/tags/{quote(TAG)}/articles?limit=20"]),
                 {"FTS _search of the name": Load([searched[TAG]])}),
    ]  # fmt: skip


def etags(service: str, datasette: str) -> dict[str, str]:
    """The ETag each side gives its page of 20 (Datasette: '"none"' when it gives none)."""
    sql = f"/{DATABASE}.json?" + urlencode({"sql": "select id, path, title from articles limit 20"})
    mine = httpx.get(f"{service}/articles?limit=20", timeout=60).headers["etag"]
    theirs = httpx.get(f"{datasette}{sql}", timeout=60).headers.get("etag", '"none"')
    return {"service": mine, "datasette": theirs}


def resident_mb(pid: int) -> list[float]:
    """Resident memory (MB) of the process, or of each worker when it has children."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    pids = [int(c) for c in children] or [pid]
    sizes = []
    for one in pids:
        status = Path(f"/proc/{one}/status").read_text()
        kb = next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:"))
        sizes.append(int(kb) / 1024)
    return sizes


def script_name(workload: Workload, side: str) -> str:
    """The file name (no suffix) of a side's wrk script for a workload."""
    return f"{workload.key}-{side}".replace(" ", "_")


def measure(wrk: Wrk, servers: dict[str, Served], rows: list[Workload], args: argparse.Namespace,
            folder: Path) -> list[Row]:  # fmt: skip
    """Each workload: a warm-up per side, then the rounds with the sides in turns."""
    out = []
    for workload in rows:
        sides = {"service": workload.service} | {
            name: load for name, load in workload.peers.items()
        }
        for side, load in sides.items():
            wrk.add(folder, script_name(workload, side), load.paths, load.headers)
        figures: dict[str, list[Figure]] = {side: [] for side in sides}
        for side in sides:
            base = servers["service" if side == "service" else "datasette"].base
            wrk.run(base, script_name(workload, side), args.warmup)
        for _ in range(args.rounds):
            for side in sides:
                base = servers["service" if side == "service" else "datasette"].base
                figure = wrk.run(base, script_name(workload, side), args.duration)
                figures[side].append(figure)
        for peer in workload.peers:
            out.append(Row(workload.name, workload.key, peer, figures["service"],
                           figures[peer], workload.bar, workload.note))  # fmt: skip
            print(rows_table(out[-1:], header=not out[:-1]), flush=True)
    return out


def ceiling(wrk: Wrk, args: argparse.Namespace, folder: Path) -> Figure:
    """The bare ASGI app's req/s under the same wrk (uvicorn + uvloop + httptools)."""
    uvicorn = str(Path(sys.executable).parent / "uvicorn")
    wrk.add(folder, "bare", ["/"])
    command = [uvicorn, "bare_asgi:app", "--app-dir", str(REPO / "bench"), "--loop", "uvloop",
               "--http", "httptools", "--lifespan", "off", "--no-access-log",
               "--log-level", "warning", "--host", "127.0.0.1", "--port"]  # fmt: skip
    with listening(lambda port: [*command, str(port)], "/") as bare:
        wrk.run(bare.base, "bare", args.warmup)
        return max((wrk.run(bare.base, "bare", args.duration) for _ in range(args.rounds)),
                   key=lambda f: f.rps)  # fmt: skip


def arguments() -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", type=Path, help=f"archive or folder (default ../{DEV_ARCHIVE})")
    parser.add_argument("--duration", type=float, default=8, help="seconds per wrk run")
    parser.add_argument("--warmup", type=float, default=2, help="seconds per side, not counted")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--ids", type=int, default=200, help="article ids the item run rotates")
    parser.add_argument("--workers", type=int, help="passed to `corpus serve --workers`")
    parser.add_argument(
        "--queries", type=Path, help="the recall query set (default: queries-dev.jsonl beside it)"
    )
    parser.add_argument("--workdir", type=Path, help="default: <tmp>/corpus-peers (kept)")
    parser.add_argument(
        "--workloads",
        nargs="+",
        choices=WORKLOAD_KEYS,
        help="only these workloads, printed (no recall, ceiling, RESULTS.md or chart)",
    )
    parser.add_argument("--results", type=Path, default=REPO / "bench/RESULTS.md")
    parser.add_argument("--chart", type=Path, default=REPO / "bench/peers.png")
    return parser.parse_args()


def main() -> int:
    """Builds both databases, loads both servers in turns, prints and writes the results."""
    args = arguments()
    if not shutil.which("wrk"):
        print(f"wrk is not installed; as root: {WRK_INSTALL}", file=sys.stderr)
        return 2
    corpus = (args.corpus or default_corpus()).resolve()
    query_file = args.queries or default_corpus().parent / "queries-dev.jsonl"
    if not query_file.exists():  # checked now: the recall runs after the load
        print(f"no query set at {query_file}; give --queries", file=sys.stderr)
        return 2
    workdir = (args.workdir or Path(tempfile.gettempdir()) / "corpus-peers").resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    key = f"stored-{content_key(REPO, STORED)}"
    head = git("rev-parse", "--short", "HEAD")
    side = Side("service", REPO, Path(sys.executable), key, f"this tree (HEAD {head})")
    url, built = database(side, corpus, workdir)
    bin_dir = bench_venv(workdir)
    peer_db, peer_built = peer_database(corpus, workdir, bin_dir)
    datasette = DatasetteCommand(bin_dir, peer_db)
    with ExitStack() as stack:
        servers = {
            "service": stack.enter_context(
                served(url, log=workdir / "service.log", workers=args.workers)
            ),
            "datasette": stack.enter_context(
                listening(datasette, f"/{DATABASE}.json", log=workdir / "datasette.log")
            ),
        }
        # From the file: Datasette answers a query with 1,000 rows at most.
        both = set(listed_ids(url)) & set(listed_ids(f"sqlite:///{peer_db}", TABLE))
        chosen = spread_ids(list(both), args.ids)
        wrk = Wrk({}, args.connections, workdir / "wrk.log")
        load = workloads(chosen, etags(servers["service"].base, servers["datasette"].base))
        print(f"corpus {corpus}; service database {built}; Datasette table {peer_built}; "
              f"{len(both)} ids on both sides, {len(chosen)} rotated", flush=True)  # fmt: skip
        if args.workloads:
            load = [w for w in load if w.key in args.workloads]
        rows = measure(wrk, servers, load, args, workdir)
        memory = {name: resident_mb(s.pid) for name, s in servers.items()}
        if args.workloads:  # a quick look: the rows printed above, and the memory
            print(f"resident memory MB after the run: {memory}")
            return 0
        query_set = queries(query_file)
        recalls = {
            name: recall(s.base, query_set, datasette=name == "datasette")
            for name, s in servers.items()
        }
        common = {
            name: recall_of_common(s.base, COMMON, None, datasette=name == "datasette")
            for name, s in servers.items()
        }
    bare = ceiling(wrk, args, workdir)
    lines = results_markdown(
        rows=rows,
        started=started,
        command=" ".join(["python", *sys.argv]),
        facts={
            "machine": f"{platform.node()}: {platform.machine()}, {os.cpu_count()} cores, "
            f"{platform.platform()}, Python {platform.python_version()}",
            "load average at the end": " ".join(f"{x:.1f}" for x in os.getloadavg()),
            "service": f"{side.described}, {url} ({built}); workers: {args.workers or 1}",
            "Datasette": f"{datasette.version()}, `datasette serve -i` ({peer_built})",
            "corpus": f"{corpus}; {len(both)} ids on both sides, {len(chosen)} rotated",
            "load": f"wrk -t2 -c{args.connections} -d{args.duration:g}s, {args.rounds} rounds "
            f"in turns after a {args.warmup:g} s warm-up a side; medians",
        },
        recalls=recalls,
        common=common,
        bare=bare,
        memory=memory,
        chart=args.chart,
    )
    print("\n".join(lines), flush=True)
    args.results.write_text("\n".join(lines) + "\n")
    chart(rows, bin_dir, args.chart, workdir, f"{started}, {corpus.name}")
    print(f"wrote {args.results} and {args.chart}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
