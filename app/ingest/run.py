"""One ingest run: read a source, parse in worker processes, write batch by batch.

The run owns its transactions: each batch of articles is one unit of work, so a failure
rolls back only that batch, which is then written again one article at a time to find the
article the database refused. Files whose bytes are unchanged (same SHA-256 as stored)
are never parsed, so a second run over the same input reads and hashes, and writes nothing.
"""

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import get_context
from multiprocessing.context import BaseContext
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError

from app.config import Settings, get_settings
from app.db import unit_of_work
from app.identity import article_id
from app.ingest.prepare import (
    FailedFile,
    Prepared,
    PreparedArticle,
    PreparedIndexPage,
    prepare_chunk,
    source_hash,
)
from app.ingest.report import IngestReport
from app.ingest.sources import Reader, SourceError, SourceFile, UploadedFile
from app.ingest.store import ArticleStore, StoreOutcome
from app.models import Article
from app.search import SearchBackend, backend_for

IngestSource = Path | str | UploadedFile
Batch = list[PreparedArticle | PreparedIndexPage]

# Files per task sent to a worker, and bytes: small enough to keep both workers busy.
_CHUNK_FILES = 32
_CHUNK_BYTES = 1024 * 1024
_AHEAD_PER_WORKER = 4
# Batches parsed and waiting for the writer thread, and a batch's file bytes (long
# transcripts come in runs, and each article is held several times over: rows, search text,
# tokens): both bound memory.
_WRITES_AHEAD = 1
_BATCH_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class IngestProgress:
    """Where a run is: files seen, and ``done`` of ``total`` (bytes or files; None: unknown)."""

    files: int
    done: int
    total: int | None


class _Parsing:
    """Parses chunks of files in worker processes, or in this process when ``workers`` is 0."""

    def __init__(self, workers: int, *, search: SearchBackend | None = None) -> None:
        self.workers = workers
        self.search = search  # parse workers then also make this backend's index text
        self._pool: ProcessPoolExecutor | None = None

    def start(self) -> None:
        """Starts the worker processes now, before this run starts threads of its own, so
        they can be forked (cheap, and sharing the parent's pages) rather than spawned."""
        if self.workers > 0 and self._pool is None:
            try:
                self.submit([]).result()
            except BrokenProcessPool:
                self.restart()

    def submit(self, chunk: list[tuple[str, bytes, str]]) -> Future[list[Prepared]]:
        if self.workers <= 0:
            done: Future[list[Prepared]] = Future()
            done.set_result(prepare_chunk(chunk, self.search))
            return done
        for _attempt in range(2):
            if self._pool is None:
                self._pool = ProcessPoolExecutor(self.workers, mp_context=_start_method())
            try:
                return self._pool.submit(prepare_chunk, chunk, self.search)
            except BrokenProcessPool:
                self.restart()
        # Worker processes cannot be started here: parse in this process rather than stop.
        self.workers = 0
        return self.submit(chunk)

    def restart(self) -> None:
        """Drops a pool whose worker died; the next submit starts a new one."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def _start_method() -> BaseContext:
    """fork when this process is single-threaded (fast, works from any ``__main__``);
    spawn when other threads run (a server), since fork copies their held locks."""
    return get_context("fork" if threading.active_count() == 1 else "spawn")


class _Run:
    """The state of one run: what is stored, what was seen, what waits to be written."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        reparse: bool,
        workers: int,
        batch_size: int,
        progress: Callable[[IngestProgress], None] | None,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.reparse = reparse
        self.batch_size = batch_size
        self.progress = progress
        self.report = IngestReport()
        self.parsing = _Parsing(workers, search=backend_for(engine))
        self.ahead = max(1, workers) * _AHEAD_PER_WORKER
        with unit_of_work(engine) as session:
            self.store = ArticleStore(session)
            rows = session.execute(select(Article.path, Article.source_hash))  # type: ignore[call-overload]
            self.known: dict[str, str] = {path: digest for path, digest in rows}
        self.seen: set[str] = set()
        self.chunk: list[tuple[str, bytes, str]] = []
        self.chunk_bytes = 0
        self.inflight: deque[tuple[Future[list[Prepared]], list[str]]] = deque()
        self.batch: Batch = []
        self.batch_bytes = 0
        self.writer = ThreadPoolExecutor(1, thread_name_prefix="ingest-writer")
        self.writes: deque[Future[list[StoreOutcome]]] = deque()

    # -- reading -------------------------------------------------------------------------

    def read(self, source: IngestSource) -> None:
        reader = Reader(_as_source(source), self.settings)
        name = source.name if isinstance(source, UploadedFile) else str(source)
        try:
            for file in reader:
                self.take(file)
                if self.progress is not None and self.report.files % 64 == 0:
                    self.progress(
                        IngestProgress(
                            self.report.files, reader.state.bytes_done, reader.state.bytes_total
                        )
                    )
        except SourceError as exc:
            self.report.fail(name, str(exc))
            self.report.complete = False
        limit = reader.limit_problem()
        if limit is not None:
            self.report.fail(name, limit)
            self.report.complete = False
        self.report.skipped += reader.state.skipped

    def take(self, file: SourceFile) -> None:
        self.report.files += 1
        if file.path in self.seen:
            self.report.fail(file.path, "the same path appears twice in the input")
            return
        self.seen.add(file.path)
        if file.data is None:
            self.report.fail(file.path, file.problem or "unreadable")
            return
        digest = source_hash(file.data)
        if not self.reparse and self.known.get(file.path) == digest:
            self.report.unchanged += 1
            return
        self.chunk.append((file.path, file.data, digest))
        self.chunk_bytes += len(file.data)
        if len(self.chunk) >= _CHUNK_FILES or self.chunk_bytes >= _CHUNK_BYTES:
            self.submit()

    def submit(self) -> None:
        if self.chunk:
            self.inflight.append((self.parsing.submit(self.chunk), [p for p, _, _ in self.chunk]))
            self.chunk, self.chunk_bytes = [], 0
        while len(self.inflight) > self.ahead:
            self.collect()

    def collect(self) -> None:
        future, paths = self.inflight.popleft()
        try:
            results = future.result()
        except BrokenProcessPool:
            self.parsing.restart()
            results = [
                FailedFile(p, "the parser process died on this chunk of files") for p in paths
            ]
        for result in results:
            if isinstance(result, FailedFile):
                self.report.failed.append(result)
            else:
                self.batch.append(result)
                if isinstance(result, PreparedArticle):
                    self.batch_bytes += int(result.article["size_bytes"])
        if len(self.batch) >= self.batch_size or self.batch_bytes >= _BATCH_BYTES:
            self.write()

    def finish(self) -> None:
        self.submit()
        while self.inflight:
            self.collect()
        self.write()
        self.drain_writes()
        self.parsing.close()

    def close(self) -> None:
        self.parsing.close()
        self.writer.shutdown(wait=True, cancel_futures=True)

    # -- writing -------------------------------------------------------------------------
    # Batches are written by one writer thread, so reading and parsing go on while the
    # database works (sqlite3 and psycopg release the GIL while they wait). Only that thread
    # touches the store; its outcomes are counted here, in the reading thread.

    def write(self) -> None:
        batch, self.batch, self.batch_bytes = self.batch, [], 0
        if batch:
            self.writes.append(self.writer.submit(self._write, batch))
        while len(self.writes) > _WRITES_AHEAD:
            self._count(self.writes.popleft().result())

    def drain_writes(self) -> None:
        while self.writes:
            self._count(self.writes.popleft().result())

    def _write(self, batch: Batch) -> list[StoreOutcome]:
        try:
            with unit_of_work(self.engine) as session:
                outcome = self.store.write(session, batch)
        except (SQLAlchemyError, ValueError) as exc:
            if _fatal(exc):
                raise
            return self._write_one_by_one(batch)
        self.store.committed()
        return [outcome]

    def _write_one_by_one(self, batch: Batch) -> list[StoreOutcome]:
        """After a refused batch: each item alone, so one bad article costs only itself."""
        self._reload()
        outcomes = []
        for item in batch:
            try:
                with unit_of_work(self.engine) as session:
                    outcomes.append(self.store.write(session, [item]))
            except (SQLAlchemyError, ValueError) as exc:
                if _fatal(exc):
                    raise
                self._reload()
                refused = FailedFile(item.path, f"the database refused it: {_short(exc)}")
                outcomes.append(StoreOutcome(failed=[refused]))
                continue
            self.store.committed()
        return outcomes

    def _reload(self) -> None:
        with unit_of_work(self.engine) as session:
            self.store.reload(session)

    def _count(self, outcomes: list[StoreOutcome]) -> None:
        for outcome in outcomes:
            self.report.note_added(outcome.added)
            self.report.note_updated(outcome.updated)
            self.report.deleted += outcome.deleted
            self.report.unchanged += outcome.unchanged
            self.report.failed += outcome.failed
            self.report.index_pages += outcome.index_pages

    def prune(self) -> None:
        """Deletes the articles whose files were not in the input (after all writes)."""
        gone = sorted(article_id(p) for p in self.known if p not in self.seen)
        for start in range(0, len(gone), self.batch_size):
            with unit_of_work(self.engine) as session:
                deleted = self.store.delete(session, gone[start : start + self.batch_size])
            self.report.deleted += deleted


def _fatal(exc: BaseException) -> bool:
    """Errors of the connection or the database itself stop the run; others are the data's."""
    return isinstance(exc, OperationalError | InterfaceError)


def _short(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]


def _as_source(source: IngestSource) -> Path | UploadedFile:
    return source if isinstance(source, UploadedFile) else Path(source)


def ingest(
    engine: Engine,
    source: IngestSource | Sequence[IngestSource],
    *,
    prune: bool = False,
    reparse: bool = False,
    settings: Settings | None = None,
    workers: int = 0,
    batch_size: int = 500,
    progress: Callable[[IngestProgress], None] | None = None,
) -> IngestReport:
    """Ingests a folder, file, archive or uploaded file(s); owns its transactions.

    ``prune`` deletes stored articles whose files are not in the input (only when the whole
    input was read); ``reparse`` parses unchanged files too (after a parser upgrade);
    ``workers`` > 0 parses in that many processes.
    """
    started = time.perf_counter()
    sources: list[IngestSource] = (
        list(source) if isinstance(source, list | tuple) else [source]  # type: ignore[list-item]
    )
    run = _Run(
        engine,
        settings or get_settings(),
        reparse=reparse,
        workers=workers,
        batch_size=batch_size,
        progress=progress,
    )
    try:
        run.parsing.start()
        for one in sources:
            run.read(one)
        run.finish()
        if prune and run.report.complete:
            run.prune()
    finally:
        run.close()
    run.report.seconds = time.perf_counter() - started
    return run.report
