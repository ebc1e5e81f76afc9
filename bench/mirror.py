"""Mirror figures: full-archive sync vs ingest, --follow latency, SIGKILLs, concurrent writers.

Usage (each part can be run alone; every server is on loopback and stopped at the end):

    .venv/bin/python bench/mirror.py full   [--archive PATH] [--work DIR] [--mirror-pg]
    .venv/bin/python bench/mirror.py kills  [--archive PATH] [--work DIR] [--kills 20]
    .venv/bin/python bench/mirror.py follow [--changes 40]
    .venv/bin/python bench/mirror.py writers [--seconds 60] [--pg postgresql://postgres@127.0.0.1:5432/test]
    .venv/bin/python bench/mirror.py export  (the server's peak memory while streaming /export)

``full`` ingests the archive into an origin SQLite (timed), serves it, mirrors it into an
empty SQLite (timed) and compares digests; ``kills`` reuses that origin. Bars: mirror time
<= 1.5x ingest time, follow p95 <= 2 s, final digest equal after the kills, and no seq out
of order or missed with 4 writers.
"""

import argparse
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg
from sqlalchemy import func, select

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from app.db import make_engine, snapshot_session, unit_of_work  # noqa: E402
from app.feed import OP_UPSERT, archive_digest, record_changes  # noqa: E402
from app.migrate import upgrade_to_head  # noqa: E402
from app.models import Article, MirrorState  # noqa: E402

CORPUS = str(Path(sys.executable).with_name("corpus"))
ARCHIVE = REPO.parent / "shared" / "corpus" / "ourhimalayas-txt-dev.tar.xz"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def env_for(url: str) -> dict[str, str]:
    # A benchmark measures throughput, not the rate limits (CORPUS_RATE_LIMITS_ENABLED).
    return {
        **os.environ,
        "DATABASE_URL": url,
        "CORPUS_LOG_LEVEL": "WARNING",
        "CORPUS_RATE_LIMITS_ENABLED": "false",
    }


class Origin:
    """A ``corpus serve`` process over one database."""

    def __init__(self, url: str, log: Path) -> None:
        self.db, self.port, self.log = url, free_port(), log
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> "Origin":
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [CORPUS, "serve", "--port", str(self.port)],
                env=env_for(self.db),
                stdout=out,
                stderr=out,
            )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.2)
        raise SystemExit(f"origin did not start; see {self.log}")

    def __exit__(self, *_: object) -> None:
        assert self.process is not None
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


def local_digest(url: str) -> tuple[str, int]:
    engine = make_engine(url)
    with snapshot_session(engine) as session:
        d = archive_digest(session)
    engine.dispose()
    return d.digest, d.count


def origin_digest(origin: Origin) -> tuple[str, int]:
    body = httpx.get(f"{origin.url}/changes/digest", timeout=120).json()
    return body["digest"], body["count"]


def ingested_origin(work: Path, archive: Path) -> tuple[str, float]:
    """The origin database with the archive ingested; ingest seconds (cached across parts)."""
    db = work / "origin.db"
    stamp = work / "ingest-seconds"
    url = f"sqlite:///{db}"
    if db.exists() and stamp.exists():
        return url, float(stamp.read_text())
    db.unlink(missing_ok=True)
    upgrade_to_head(url)
    started = time.monotonic()
    subprocess.run(
        [CORPUS, "ingest", str(archive)],
        env=env_for(url),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=(work / "ingest.log").open("wb"),
    )
    seconds = time.monotonic() - started
    stamp.write_text(f"{seconds:.1f}")
    return url, seconds


def fresh_mirror(work: Path, name: str) -> str:
    db = work / f"{name}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{db}"


def part_full(args: argparse.Namespace) -> None:
    origin_url, ingest_s = ingested_origin(args.work, args.archive)
    print(f"ingest of {args.archive.name}: {ingest_s:.1f} s")
    with empty_mirror(args) as (mirror_url, kind):
        with Origin(origin_url, args.work / "origin.log") as origin:
            started = time.monotonic()
            done = subprocess.run(
                [CORPUS, "mirror", origin.url],
                env=env_for(mirror_url),
                capture_output=True,
                text=True,
            )
            mirror_s = time.monotonic() - started
            theirs = origin_digest(origin)
        ours = local_digest(mirror_url)
    print(
        f"mirror into an empty {kind}: {mirror_s:.1f} s (exit {done.returncode}); "
        f"ratio {mirror_s / ingest_s:.2f}x (bar <= 1.5x)"
    )
    print(
        f"digest origin {theirs[0][:16]}... ({theirs[1]}), mirror {ours[0][:16]}... ({ours[1]}): "
        f"{'MATCH' if theirs == ours else 'MISMATCH'}"
    )
    print(done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-2000:])


@contextmanager
def empty_mirror(args: argparse.Namespace) -> Iterator[tuple[str, str]]:
    """An empty SQLite file, or with --mirror-pg a new PostgreSQL database dropped at the end."""
    if not args.mirror_pg:
        yield fresh_mirror(args.work, "mirror"), "SQLite"
        return
    name = f"corpus_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.pg, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield (
            args.pg.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
            + f"/{name}",
            "PostgreSQL",
        )
    finally:
        with psycopg.connect(args.pg, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def mirror_position(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            value = conn.execute(select(func.max(MirrorState.last_seq))).scalar()
        return int(value or 0)
    except Exception:  # the schema is not there before the first run has migrated it
        return 0
    finally:
        engine.dispose()


def part_kills(args: argparse.Namespace) -> None:
    """Each run is killed at a random moment after it has committed something new."""
    origin_url, _ = ingested_origin(args.work, args.archive)
    mirror_url = fresh_mirror(args.work, "killed")
    rng = random.Random(args.seed)
    with Origin(origin_url, args.work / "origin.log") as origin:
        for n in range(args.kills):
            before = mirror_position(mirror_url)
            process = subprocess.Popen(
                [CORPUS, "mirror", origin.url],
                env=env_for(mirror_url),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            deadline = time.monotonic() + 120
            while process.poll() is None and time.monotonic() < deadline:
                if mirror_position(mirror_url) > before:
                    break
                time.sleep(0.1)
            time.sleep(rng.uniform(0.0, args.max_wait))
            finished = process.poll() is not None
            process.send_signal(signal.SIGKILL)
            process.wait()
            print(
                f"kill {n + 1}: {'had already finished' if finished else 'killed mid-sync'}; "
                f"position {mirror_position(mirror_url)}, "
                f"articles held {local_digest(mirror_url)[1]}",
                flush=True,
            )
        done = subprocess.run(
            [CORPUS, "mirror", origin.url], env=env_for(mirror_url), capture_output=True, text=True
        )
        theirs = origin_digest(origin)
    ours = local_digest(mirror_url)
    print(done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-2000:])
    print(
        f"after {args.kills} SIGKILLs: origin {theirs[1]} articles, mirror {ours[1]}; digest "
        f"{'MATCH' if theirs == ours else 'MISMATCH'}"
    )


def part_follow(args: argparse.Namespace) -> None:
    args.work.mkdir(parents=True, exist_ok=True)
    origin_url, mirror_url = (
        fresh_mirror(args.work, "f-origin"),
        fresh_mirror(args.work, "f-mirror"),
    )
    upgrade_to_head(origin_url)
    origin_engine, mirror_engine = make_engine(origin_url), make_engine(mirror_url)
    upgrade_to_head(mirror_url)
    with Origin(origin_url, args.work / "f-origin.log") as origin:
        mirror = subprocess.Popen(
            [CORPUS, "mirror", origin.url, "--follow"],
            env=env_for(mirror_url),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            time.sleep(3)
            latencies = []
            for n in range(args.changes):
                article_id = f"bench-{n}"
                with unit_of_work(origin_engine) as session:
                    session.add(
                        Article(
                            id=article_id,
                            path=f"content/bench/{n}.md",
                            collection="page",
                            content_hash=f"{n:064d}",
                            source_hash=f"{n:064d}",
                        )
                    )
                    record_changes(session, [(article_id, OP_UPSERT, f"{n:064d}")])
                started = time.monotonic()
                while time.monotonic() - started < 30:
                    with unit_of_work(mirror_engine) as session:
                        if session.execute(
                            select(Article.id).where(Article.id == article_id)
                        ).first():
                            break
                    time.sleep(0.01)
                latencies.append(time.monotonic() - started)
                time.sleep(random.uniform(0.1, 1.0))
        finally:
            mirror.kill()
            mirror.wait()
    latencies.sort()
    p95 = latencies[max(0, int(len(latencies) * 0.95) - 1)]
    print(
        f"--follow latency over {len(latencies)} changes: "
        f"median {statistics.median(latencies):.3f} s, "
        f"p95 {p95:.3f} s, max {latencies[-1]:.3f} s (bar p95 <= 2 s)"
    )


def part_writers(args: argparse.Namespace) -> None:
    args.work.mkdir(parents=True, exist_ok=True)
    name = f"corpus_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.pg, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = args.pg.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://") + f"/{name}"
    try:
        upgrade_to_head(url)
        stop = threading.Event()
        written = [0] * 4

        def writer(number: int) -> None:
            engine, rng = make_engine(url), random.Random(number)
            while not stop.is_set():
                with unit_of_work(engine) as session:
                    first, count = written[number], rng.randint(1, 5)
                    record_changes(
                        session,
                        [(f"w{number}-{first + i}", OP_UPSERT, "0" * 64) for i in range(count)],
                    )
                    written[number] += count
                    time.sleep(rng.random() * 0.003 * count)
            engine.dispose()

        with Origin(url, args.work / "w-origin.log") as origin:
            threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
            for t in threads:
                t.start()
            seen: list[int] = []
            out_of_order = 0
            since, polls, ends = 0, 0, time.monotonic() + args.seconds
            with httpx.Client(base_url=origin.url, timeout=60) as http:
                while True:
                    writing = time.monotonic() < ends
                    if not writing and not stop.is_set():
                        stop.set()
                        for t in threads:
                            t.join()
                        continue
                    page = http.get("/changes", params={"since": since, "limit": 200}).json()
                    polls += 1
                    for r in page["results"]:
                        if seen and r["seq"] <= seen[-1]:
                            out_of_order += 1
                        seen.append(r["seq"])
                    since = page["last_seq"]
                    if stop.is_set() and not page["results"]:
                        break
        total = sum(written)
        missed = len(set(range(1, total + 1)) - set(seen))
        print(
            f"4 writers + 1 reader on PostgreSQL for {args.seconds:.0f} s: "
            f"{total} changes written, "
            f"{len(seen)} seen in {polls} polls, {out_of_order} out of order, {missed} missed"
        )
    finally:
        with psycopg.connect(args.pg, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def part_export(args: argparse.Namespace) -> None:
    """Streams /export of the ingested archive; the server's peak memory shows it is constant."""
    origin_url, _ = ingested_origin(args.work, args.archive)
    with Origin(origin_url, args.work / "origin.log") as origin:
        assert origin.process is not None
        httpx.get(f"{origin.url}/changes/digest", timeout=120)
        before = _peak_rss_mb(origin.process.pid)
        started, size, lines, trailer = time.monotonic(), 0, 0, ""
        headers = {"Accept-Encoding": "identity"}
        with httpx.stream("GET", f"{origin.url}/export", timeout=600, headers=headers) as response:
            for line in response.iter_lines():
                size, lines, trailer = size + len(line), lines + 1, line
        seconds = time.monotonic() - started
        after = _peak_rss_mb(origin.process.pid)
    print(
        f"/export: {lines - 1} articles, {size / 2**20:.0f} MiB in {seconds:.1f} s; "
        f"server peak RSS "
        f"{before:.0f} MiB before, {after:.0f} MiB after; trailer {trailer[:120]}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("part", choices=["full", "kills", "follow", "writers", "export"])
    parser.add_argument("--archive", type=Path, default=ARCHIVE)
    parser.add_argument("--work", type=Path, default=Path("/tmp/corpus-bench-mirror"))
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument(
        "--max-wait", type=float, default=4.0, help="Longest wait after progress before a kill, s."
    )
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--changes", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--mirror-pg", action="store_true", help="full: mirror into PostgreSQL.")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    {
        "full": part_full,
        "kills": part_kills,
        "follow": part_follow,
        "writers": part_writers,
        "export": part_export,
    }[args.part](args)


if __name__ == "__main__":
    main()
