"""Soak: mixed read traffic on a real server for minutes while a writer changes the archive.

Serves a copy of an ingested SQLite database (``--database``, copied into a temp folder and
migrated there, so the original is never written) or one built from ``--corpus`` with
``corpus migrate`` + ``corpus ingest``, with ``corpus serve`` (rate limits off). For
``--duration`` seconds ``--connections`` keep-alive connections (``soak_client``) send a mix of
``GET /articles?limit=20`` (also by tag, and the next page by cursor), ``/articles/{id}``
(half of them with the ETag seen before: 304s), ``/tags``, ``/tags/{name}/articles``,
``/search?q=`` (queries of ``queries-dev.jsonl``), and a sixteenth of the connections hold
``/changes?feed=longpoll&timeout=5`` long-polls. Meanwhile a writer makes one change a
second through the API with an ``unlimited`` token (PUT of an edited copy, DELETE, PUT
back) and every 5 s runs ``corpus ingest`` over a folder of edited copies of other articles.
The server's resident memory (VmRSS, summed over its worker processes) is sampled every
10 s.

Prints requests, req/s, the load generator's CPU (if it nears one core, the client was the
bottleneck), counts by status, errors (anything but 2xx, 304 or 429; the first few shown),
p50/p95/p99/max latency per kind and overall (long-polls apart: they wait by design), RSS
per minute and its growth from minute 1 to the end, and the changes the writer applied.

Bars (issue 13): 0 errors, p99 at most 500 ms, RSS growth minute 1 -> end at most 10%.

    .venv/bin/python bench/soak.py --database /work/devdb/dev.db        # the full soak
    .venv/bin/python bench/soak.py --corpus ../shared/corpus/sample --duration 20 --connections 16
"""

import argparse
import asyncio
import json
import os
import random
import resource
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import httpx
import uvloop
from served import served
from sides import default_corpus, spread_ids, this_tree_and_baseline
from soak_client import Answer, BadAnswer, ClosedUnanswered, Connection
from soak_process import sample_memory, tree_cpu_s, tree_rss_kb
from soak_report import Tally, report
from soak_timeline import (
    client_lag,
    print_probe_memory,
    print_server_latency,
    print_timeline,
    probe_rows,
)

REPO = Path(__file__).resolve().parent.parent
CLI = str(Path(sys.executable).parent / "corpus")
QUERIES = "queries-dev.jsonl"
# Weights of the read kinds a connection picks from (long-polls have their own connections).
MIX = {
    "list": 20,
    "list-tag": 8,
    "list-cursor": 8,
    "article": 30,
    "tags": 6,
    "tag": 10,
    "search": 18,
}
API_CHANGE_EVERY_S = 1.0
CLI_INGEST_EVERY_S = 5.0
WRITER_ARTICLES = 40  # half changed through the API, half through `corpus ingest`


# --- the database --------------------------------------------------------------------


@dataclass(frozen=True)
class Code:
    """The code a run serves and writes with: its `corpus` command and the folder it runs in."""

    label: str
    cli: list[str]
    cwd: Path | None


def prepare_database(args: argparse.Namespace, folder: Path, code: Code) -> str:
    """A SQLite URL in ``folder``: a migrated copy of ``--database``, or ``--corpus`` ingested."""
    db = folder / "soak.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}"}
    started = time.monotonic()
    if args.database:
        source = Path(args.database)
        for suffix in ("", "-wal", "-shm"):
            if Path(f"{source}{suffix}").exists():
                shutil.copyfile(f"{source}{suffix}", f"{db}{suffix}")
        steps = [["migrate"]]
    else:
        steps = [["migrate"], ["ingest", str(args.corpus)]]
    for step in steps:
        subprocess.run(
            [*code.cli, *step],
            env=env,
            cwd=code.cwd,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    what = f"copied {args.database}" if args.database else f"built from {args.corpus}"
    print(f"database: {what} in {time.monotonic() - started:.0f} s", flush=True)
    return f"sqlite:///{db}"


def stored(url: str) -> tuple[dict[str, str], int]:
    """Id -> path of the listed (non-empty) articles, and the change feed's last seq."""
    path = url.removeprefix("sqlite:///")
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        paths = dict(conn.execute("SELECT id, path FROM article WHERE NOT is_empty"))
        last = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM change").fetchone()[0]
    return paths, int(last)


def original_files(corpus: Path, wanted: set[str], count: int) -> dict[str, bytes]:
    """Corpus path -> file bytes for ``count`` of the ``wanted`` paths, read from the corpus
    (a folder, or the first matching members of an archive: it is read only that far)."""
    found: dict[str, bytes] = {}
    if corpus.is_dir():
        for path in sorted(wanted):
            if (corpus / path).is_file():
                found[path] = (corpus / path).read_bytes()
            if len(found) == count:
                break
        return found
    with tarfile.open(corpus) as archive:
        for member in archive:
            at = member.name.find("content/")
            path = member.name[at:] if at >= 0 else member.name
            if member.isfile() and path in wanted:
                handle = archive.extractfile(member)
                if handle:
                    found[path] = handle.read()
                if len(found) == count:
                    break
    return found


def edited(data: bytes, n: int) -> bytes:
    """The file with its last non-empty line edited (a marker appended to it)."""
    lines = data.decode("utf-8").split("\n")
    last = max((i for i, line in enumerate(lines) if line.strip()), default=0)
    base = lines[last].split(" [soak edit ")[0]
    lines[last] = f"{base} [soak edit {n}]"
    return "\n".join(lines).encode("utf-8")


def create_token(url: str, code: Code) -> str:
    """A new write token with the ``unlimited`` scope, from the CLI."""
    out = subprocess.run(
        [
            *code.cli,
            "token",
            "create",
            "--name",
            f"soak-{os.getpid()}",
            "--scope",
            "write",
            "--scope",
            "unlimited",
        ],
        env={**os.environ, "DATABASE_URL": url},
        cwd=code.cwd,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return next(w for w in out.split() if w.startswith("corpus_"))


# --- readers -------------------------------------------------------------------------


@dataclass
class Targets:
    """What the readers ask for."""

    ids: list[str]
    tags: list[str]
    queries: list[str]
    cursors: list[str] = field(default_factory=list)  # paths of next pages
    etags: dict[str, str] = field(default_factory=dict)


def read_request(kind: str, t: Targets, rng: random.Random) -> tuple[str, dict[str, str]]:
    """The path (and headers) of one request of ``kind``."""
    if kind == "list":
        return "/articles?limit=20", {}
    if kind == "list-tag":
        return f"/articles?limit=20&tag={quote(rng.choice(t.tags))}", {}
    if kind == "list-cursor":  # a next page some list answered (a cursor holds its filters)
        return (rng.choice(t.cursors) if t.cursors else "/articles?limit=20"), {}
    if kind == "article":
        ident = rng.choice(t.ids)
        etag = t.etags.get(ident)
        headers = {"If-None-Match": etag} if etag and rng.random() < 0.5 else {}
        return f"/articles/{quote(ident)}", headers
    if kind == "tags":
        return "/tags?limit=50", {}
    if kind == "tag":
        return f"/tags/{quote(rng.choice(t.tags), safe='')}/articles?limit=20", {}
    return f"/search?q={quote(rng.choice(t.queries))}&limit=20", {}


# What a read that got no answer counts as: its exception's name.
NO_ANSWER = (
    OSError,
    asyncio.TimeoutError,
    asyncio.IncompleteReadError,
    BadAnswer,
    ClosedUnanswered,
)


async def reader(connection: Connection, t: Targets, tally: Tally, until: float, seed: int) -> None:
    """One connection sending read requests back to back until ``until``."""
    rng = random.Random(seed)
    kinds, weights = list(MIX), list(MIX.values())
    while time.monotonic() < until:
        kind = rng.choices(kinds, weights)[0]
        path, headers = read_request(kind, t, rng)
        started = time.perf_counter()
        answer: Answer | None = None
        try:
            answer = await connection.get(path, headers)
            status = str(answer.status_code)
        except NO_ANSWER as exc:
            status = type(exc).__name__
        tally.add(kind, status, (time.perf_counter() - started) * 1000, path)
        if answer is not None and answer.status_code == 200:
            if kind == "article" and "etag" in answer.headers:
                t.etags[path.rsplit("/", 1)[1]] = answer.headers["etag"]
            elif kind.startswith("list") and len(t.cursors) < 500:
                following = answer.json().get("next")
                if following:
                    t.cursors.append(f"{path.split('&cursor=')[0]}&cursor={quote(following)}")


async def long_poller(connection: Connection, since: int, tally: Tally, until: float) -> None:
    """One connection long-polling the change feed from ``since``, following its last seq."""
    while time.monotonic() < until:
        path = f"/changes?since={since}&feed=longpoll&timeout=5"
        started = time.perf_counter()
        try:
            answer = await connection.get(path)
            status = str(answer.status_code)
            if answer.status_code == 200:
                since = int(answer.json()["last_seq"])
        except NO_ANSWER as exc:
            status = type(exc).__name__
        tally.add("longpoll", status, (time.perf_counter() - started) * 1000, path)


# --- the writer ----------------------------------------------------------------------


async def api_writer(
    client: httpx.AsyncClient,
    files: dict[str, bytes],
    ids: dict[str, str],
    tally: Tally,
    until: float,
) -> Counter[str]:
    """One change a second through the API: edit, edit, delete, put back, per article in turn."""
    done: Counter[str] = Counter()
    order = sorted(files)
    step = 0
    while time.monotonic() < until:
        tick = time.monotonic()
        path = order[(step // 4) % len(order)]
        ident, phase, n = ids[path], step % 4, step
        step += 1
        started = time.perf_counter()
        try:
            if phase == 2:
                kind, answer = (
                    "write-delete",
                    await client.delete(f"/articles/{quote(ident)}"),
                )
            else:
                kind = "write-put" if phase < 2 else "write-readd"
                answer = await client.put(
                    f"/articles/{quote(ident)}?path={quote(path)}",
                    content=edited(files[path], n),
                    headers={"Content-Type": "text/markdown"},
                )
            status = str(answer.status_code)
        except httpx.HTTPError as exc:
            kind, status = "write", type(exc).__name__
        tally.add(kind, status, (time.perf_counter() - started) * 1000, f"{ident} #{n}")
        if status[0] == "2":
            done[kind] += 1
        await asyncio.sleep(max(0.0, API_CHANGE_EVERY_S - (time.monotonic() - tick)))
    return done


async def cli_writer(
    files: dict[str, bytes],
    stage: Path,
    url: str,
    code: Code,
    tally: Tally,
    until: float,
    nice: int = 0,
) -> Counter[str]:
    """Every 5 s: edits two files in ``stage`` and runs `corpus ingest` over the folder
    (under ``nice -n NICE`` when given: an operator's choice, docs/operating.md)."""
    done: Counter[str] = Counter()
    order = sorted(files)
    run = 0
    env = {**os.environ, "DATABASE_URL": url, "CORPUS_LOG_LEVEL": "WARNING"}
    while time.monotonic() < until:
        tick = time.monotonic()
        for path in (order[(2 * run) % len(order)], order[(2 * run + 1) % len(order)]):
            (stage / path).parent.mkdir(parents=True, exist_ok=True)
            (stage / path).write_bytes(edited(files[path], 1000 + run))
        run += 1
        started, started_at = time.perf_counter(), time.monotonic()
        process = await asyncio.create_subprocess_exec(
            *(["nice", "-n", str(nice)] if nice else []),
            *code.cli,
            "ingest",
            str(stage),
            "--workers",
            "0",
            env=env,
            cwd=code.cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        output, _ = await process.communicate()
        tally.ingests.append((started_at, time.monotonic()))
        status = "200" if process.returncode == 0 else f"exit-{process.returncode}"
        if process.returncode == 0:
            for word, count in zip(output.split()[:-1], output.split()[1:], strict=False):
                if word in (b"Added", b"added", b"updated") and count.rstrip(b",").isdigit():
                    done[f"ingest-{word.decode().lower()}"] += int(count.rstrip(b","))
        tally.add("write-ingest", status, (time.perf_counter() - started) * 1000, str(stage))
        await asyncio.sleep(max(0.0, CLI_INGEST_EVERY_S - (time.monotonic() - tick)))
    return done


# --- the run -------------------------------------------------------------------------


async def soak(
    args: argparse.Namespace, base: str, pid: int, url: str, workdir: Path, code: Code
) -> None:
    paths, last_seq = stored(url)
    files = original_files(Path(args.corpus), set(paths.values()), WRITER_ARTICLES)
    if len(files) < 4:
        raise SystemExit(f"found only {len(files)} of the stored articles in {args.corpus}")
    by_path = {p: i for i, p in paths.items()}
    api_files = dict(sorted(files.items())[: len(files) // 2])
    cli_files = dict(sorted(files.items())[len(files) // 2 :])
    written = {by_path[p] for p in files}
    ids = spread_ids([i for i in paths if i not in written], 5000)
    queries = [json.loads(line)["q"] for line in (Path(args.queries).read_text().splitlines())]
    token = create_token(url, code)
    limits = httpx.Limits(max_connections=args.connections + 4, max_keepalive_connections=None)
    timeout = httpx.Timeout(60.0)
    async with (
        httpx.AsyncClient(base_url=base, limits=limits, timeout=timeout) as client,
        httpx.AsyncClient(
            base_url=base, timeout=timeout, headers={"Authorization": f"Bearer {token}"}
        ) as writer_client,
    ):
        tags_page = (await client.get("/tags?limit=200")).json()["items"]
        targets = Targets(ids, [tag["name"] for tag in tags_page] or ["none"], queries)
        tally = Tally()
        address = httpx.URL(base)

        def connect() -> Connection:
            return Connection(address.host, address.port or 80, tally.retried)

        pollers = max(1, args.connections // 16)
        start = time.monotonic()
        wall_offset = time.time() - start  # the probes write wall-clock times
        until = start + args.duration
        samples: list[tuple[float, int]] = [(0.0, tree_rss_kb(pid))]
        metrics_before = (await client.get("/metrics")).text
        server_cpu_before = tree_cpu_s(pid)
        cpu_before = resource.getrusage(resource.RUSAGE_SELF)
        print(
            f"soak of {code.label}: {args.duration} s, {args.connections} connections "
            f"({pollers} long-polling), "
            f"{len(ids)} article ids, {len(targets.tags)} tags, {len(queries)} queries; writer: "
            f"{len(api_files)} articles by API, {len(cli_files)} by `corpus ingest`"
            + (f" (nice {args.ingest_nice})" if args.ingest_nice else ""),
            flush=True,
        )
        stage = workdir / "stage"
        api = asyncio.create_task(api_writer(writer_client, api_files, by_path, tally, until))
        cli = asyncio.create_task(
            cli_writer(cli_files, stage, url, code, tally, until, args.ingest_nice)
        )
        await asyncio.gather(
            api,
            cli,
            sample_memory(pid, samples, start, until),
            client_lag(tally.client_lag_ms, until),
            *(long_poller(connect(), last_seq, tally, until) for _ in range(pollers)),
            *(
                reader(connect(), targets, tally, until, seed)
                for seed in range(args.connections - pollers)
            ),
        )
        wall = time.monotonic() - start
        server_cpu = tree_cpu_s(pid) - server_cpu_before
        metrics_after = (await client.get("/metrics")).text
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    report(args, tally, samples, wall, (cpu, server_cpu), api.result() + cli.result())
    if args.timeline:
        probes = probe_rows(workdir / "probe")
        print_timeline(tally.ends, tally.ingests, tally.client_lag_ms, probes, start, wall_offset)
        print_probe_memory(probes, wall_offset, start)
        print_server_latency(metrics_before, metrics_after)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", help="an ingested SQLite file (copied, never written)")
    parser.add_argument("--corpus", default=None, help="the archive (default: the dev archive)")
    parser.add_argument("--queries", default=None, help=f"default: {QUERIES} beside the corpus")
    parser.add_argument("--duration", type=float, default=300)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=None, help="`corpus serve --workers`")
    parser.add_argument("--baseline", help="a commit to soak after this tree, e.g. main")
    parser.add_argument(
        "--ingest-nice",
        type=int,
        default=0,
        help="run the writer's `corpus ingest` under `nice -n N` (default 0: as the server)",
    )
    parser.add_argument(
        "--timeline", action="store_true", help="print the reads' latency by 5 s window"
    )
    parser.add_argument(
        "--probe",
        action="store_true",
        help="also measure the servers' event-loop lag and gc pauses (implies --timeline)",
    )
    args = parser.parse_args()
    args.timeline = args.timeline or args.probe
    args.corpus = Path(args.corpus) if args.corpus else default_corpus()
    args.queries = Path(args.queries) if args.queries else args.corpus.parent / QUERIES
    # 64 connections plus the server's: well inside the default limit, but say so if not.
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 4 * args.connections:
        print(f"warning: open-file limit {soft}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="corpus-soak-") as tmp:
        for label, command, cwd in this_tree_and_baseline(args.baseline, Path(tmp)):
            workdir = Path(tmp) / f"side-{len(list(Path(tmp).glob('side-*')))}"
            workdir.mkdir()
            one_side(args, workdir, Code(label, command or [CLI], cwd))


def one_side(args: argparse.Namespace, workdir: Path, code: Code) -> None:
    """A fresh copy of the database, served by ``code``, soaked; the copy is removed after."""
    url = prepare_database(args, workdir, code)
    log = workdir / "serve.log"
    probe = workdir / "probe"
    probe.mkdir()
    env = (
        {
            "PYTHONPATH": str(REPO / "bench" / "soak_probe"),
            "CORPUS_SOAK_PROBE": str(probe),
        }
        if args.probe
        else {}
    )
    with served(
        url, corpus=code.cli, env=env, cwd=code.cwd, log=log, workers=args.workers
    ) as server:
        uvloop.run(soak(args, server.base, server.pid, url, workdir, code))
    lines = log.read_text(errors="replace").splitlines()
    other = [line for line in lines if '"event": "request"' not in line and line.strip()]
    if other:
        print(f"server log: {len(other)} lines besides requests; the last:", *other[-5:])
    for copy in workdir.glob("soak.db*"):  # 2.4 GB: not two of them at once
        copy.unlink()


if __name__ == "__main__":
    main()
