"""The one ingest loop: read sources, skip unchanged files, parse, write in batches, count.

Every way articles come in (``corpus ingest`` over a folder or an archive, an upload, a
PUT) is this loop over ``Source``s. Files whose bytes are unchanged (same SHA-256 as
stored) are never parsed, so a second run over the same input reads and hashes, and writes
nothing. The loop never opens a transaction: its owner does (``app.ingest.transactions``).
``ingest`` commits batch by batch; ``ingest_into`` writes into the caller's one transaction.
"""

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import get_context
from multiprocessing.context import BaseContext
from pathlib import Path

from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from app.config import Settings, get_settings
from app.ingest.archives import Archive
from app.ingest.prepare import (
    ChunkItem,
    FailedFile,
    Prepared,
    PreparedArticle,
    prepare_chunk,
    source_hash,
)
from app.ingest.report import IngestReport
from app.ingest.sources import (
    ArticleFile,
    Folder,
    Source,
    SourceError,
    SourceFile,
    UploadedFile,
    is_archive_name,
)
from app.ingest.store import StoreOutcome
from app.ingest.transactions import (
    Batch,
    OneTransaction,
    TransactionPerBatch,
    Transactions,
)
from app.metrics import count_ingest
from app.search import SearchBackend, backend_for

IngestSource = Path | str | UploadedFile | Source

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
    """Where a run is: files seen, and ``done`` of ``total`` (bytes or files; None: unknown).

    ``stage`` is ``files`` while files are read, ``commits`` while a history is replayed
    (``done`` and ``total`` then count commits).
    """

    files: int
    done: int
    total: int | None
    stage: str = "files"


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

    def submit(self, chunk: list[ChunkItem]) -> Future[list[Prepared]]:
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
    """The state of one run: what was seen, what is being parsed, what waits to be written."""

    def __init__(
        self,
        engine: Engine | Connection,
        owner: Transactions,
        settings: Settings,
        *,
        reparse: bool,
        workers: int,
        batch_size: int,
        progress: Callable[[IngestProgress], None] | None = None,
        input_name: str = "input",
    ) -> None:
        self.owner = owner
        self.settings = settings
        self.reparse = reparse
        self.batch_size = batch_size
        self.progress = progress
        self.input_name = input_name
        self.report = IngestReport()
        self.parsing = _Parsing(workers, search=backend_for(engine))
        # Parsed in this process, a chunk is ready at once: nothing to wait for.
        self.ahead = workers * _AHEAD_PER_WORKER
        # In one transaction, a write's failures decide whether the next one is worth doing.
        self.writes_ahead = 0 if owner.whole else _WRITES_AHEAD
        self.seen: set[str] = set()
        self.chunk: list[ChunkItem] = []
        self.chunk_bytes = 0
        self.inflight: deque[tuple[Future[list[Prepared]], list[str]]] = deque()
        self.batch: Batch = []
        self.batch_bytes = 0
        self.writes: deque[Future[list[StoreOutcome]]] = deque()

    def run(self, sources: Iterable[IngestSource]) -> IngestReport:
        """Reads every source to the end and writes what changed."""
        try:
            self.parsing.start()
            for where in sources:
                self.read(where)
            self.finish()
        finally:
            self.close()
        count_ingest(self.report.counts())
        return self.report

    # -- reading -------------------------------------------------------------------------

    def read(self, where: IngestSource) -> None:
        try:
            source = open_source(where, self.settings)
        except SourceError as exc:
            self._unreadable(_name_of(where), str(exc))
            return
        try:
            for file in source:
                self.take(file)
                if self.progress is not None and self.report.files % 64 == 0:
                    state = source.state
                    self.progress(
                        IngestProgress(self.report.files, state.bytes_done, state.bytes_total)
                    )
        except SourceError as exc:
            self._unreadable(source.name, str(exc))
        limit = source.limit_problem()
        if limit is not None:
            self._unreadable(source.name, limit)
        self.report.skipped += source.state.skipped

    def _unreadable(self, name: str, reason: str) -> None:
        self.report.fail(name, reason)
        self.report.complete = False

    def take(self, file: SourceFile) -> None:
        self.report.files += 1
        problem = file.problem
        if not file.index_version:  # an index page's older versions come before it
            if problem is None and file.path in self.seen:
                problem = f"the same path appears twice in the {self.input_name}"
            self.seen.add(file.path)
        if problem is not None or file.data is None:
            if self.ahead == 0:
                # Parsed in this process, the files before it cost nothing to finish first,
                # and the failures stay in the order of the files (a 422 lists them so).
                self.submit()
            self.report.fail(file.path, problem or "unreadable")
            return
        digest = source_hash(file.data, file.seen)
        self.chunk.append(
            ChunkItem(
                file.path, file.data, digest, file.seen, file.written, file.earlier,
                file.slots, file.index_version,
            )
        )  # fmt: skip
        self.chunk_bytes += len(file.data) + sum(len(v.data) for v in file.earlier)
        if len(self.chunk) >= _CHUNK_FILES or self.chunk_bytes >= _CHUNK_BYTES:
            self.submit()

    def submit(self) -> None:
        chunk = self._changed(self.chunk)
        self.chunk, self.chunk_bytes = [], 0
        if chunk:
            self.inflight.append((self.parsing.submit(chunk), [item.path for item in chunk]))
        while len(self.inflight) > self.ahead:
            self.collect()

    def _changed(self, chunk: list[ChunkItem]) -> list[ChunkItem]:
        """The files whose bytes are not the stored ones (all of them with ``reparse``)."""
        if self.reparse or not chunk:
            return chunk
        stored = self.owner.stored_hashes([item.path for item in chunk])
        changed = [item for item in chunk if stored.get(item.path) != item.digest]
        self.report.unchanged += len(chunk) - len(changed)
        return changed

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
                    self.report.failed += result.failed_versions
                    self.batch_bytes += sum(
                        int(a.article["size_bytes"]) for a in (result, *result.earlier)
                    )
        if len(self.batch) >= self.batch_size or self.batch_bytes >= _BATCH_BYTES:
            self.write()

    def finish(self) -> None:
        self.submit()
        while self.inflight:
            self.collect()
        self.write()
        while self.writes:
            self._count(self.writes.popleft().result())
        self.parsing.close()

    def close(self) -> None:
        self.parsing.close()
        self.owner.close()

    # -- writing -------------------------------------------------------------------------

    def write(self) -> None:
        batch, self.batch, self.batch_bytes = self.batch, [], 0
        # One transaction with a failure in it will be rolled back: writing more is waste.
        if batch and not (self.owner.whole and self.report.failed):
            self.writes.append(self.owner.write(batch))
        while len(self.writes) > self.writes_ahead:
            self._count(self.writes.popleft().result())

    def _count(self, outcomes: list[StoreOutcome]) -> None:
        for outcome in outcomes:
            self.report.note_added(outcome.added)
            self.report.note_updated(outcome.updated)
            self.report.deleted += outcome.deleted
            self.report.unchanged += outcome.unchanged
            self.report.failed += outcome.failed
            self.report.index_pages += outcome.index_pages


def open_source(where: IngestSource, settings: Settings) -> Source:
    """The source a path or an uploaded file is: a folder, an archive, or one article file."""
    if isinstance(where, Source):
        return where
    if isinstance(where, UploadedFile):
        if is_archive_name(where.name):
            return Archive(where, settings)
        return ArticleFile(where, settings)
    path = Path(where)
    if path.is_symlink() and not path.exists():
        raise SourceError(f"{path}: broken symbolic link")
    if path.is_dir():
        return Folder(path, settings)
    if path.is_file():
        return (
            Archive(path, settings) if is_archive_name(path.name) else ArticleFile(path, settings)
        )
    raise SourceError(f"{path}: no such file or folder")


def _name_of(where: IngestSource) -> str:
    return where.name if isinstance(where, UploadedFile | Source) else str(where)


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
    """Ingests a folder, file, archive or uploaded file(s); one transaction per batch.

    A refused batch is written again article by article, so a bad article costs only
    itself. ``prune`` deletes stored articles whose files are not in the input (only when
    the whole input was read); ``reparse`` parses unchanged files too (after a parser
    upgrade); ``workers`` > 0 parses in that many processes.
    """
    started = time.perf_counter()
    sources: list[IngestSource] = (
        list(source) if isinstance(source, list | tuple) else [source]  # type: ignore[list-item]
    )
    owner = TransactionPerBatch(engine)
    run = _Run(
        engine,
        owner,
        settings or get_settings(),
        reparse=reparse,
        workers=workers,
        batch_size=batch_size,
        progress=progress,
    )
    report = run.run(sources)
    if prune and report.complete:
        report.deleted += owner.prune(run.seen, batch_size)
    report.seconds = time.perf_counter() - started
    return report


def ingest_into(
    session: Session,
    sources: Iterable[IngestSource],
    *,
    settings: Settings,
    reparse: bool = False,
    batch_size: int = 500,
    input_name: str = "input",
) -> IngestReport:
    """Ingests into the caller's one transaction, to be rolled back if any file failed.

    Once a file failed nothing more is written, but the rest is still read and parsed, so
    ``failed`` lists every bad file. ``sources`` is read lazily, one after the other.
    """
    started = time.perf_counter()
    run = _Run(
        session.get_bind(),
        OneTransaction(session),
        settings,
        reparse=reparse,
        workers=0,
        batch_size=batch_size,
        input_name=input_name,
    )
    report = run.run(sources)
    report.seconds = time.perf_counter() - started
    return report
