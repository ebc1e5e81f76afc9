"""Who owns an ingest's transactions: one per batch (``corpus ingest``), or one for all.

The ingest loop (``app.ingest.run``) hands each batch of prepared articles to its owner and
counts the outcomes it gets back; it never opens a transaction itself. ``TransactionPerBatch``
commits every batch on its own, so a bad batch costs only itself; ``OneTransaction`` writes
into the caller's session (an upload, a PUT), which commits all or rolls back all.
"""

from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlmodel import Session, col

from app.db import unit_of_work
from app.identity import article_id
from app.ingest.prepare import FailedFile, PreparedArticle, PreparedIndexPage
from app.ingest.store import ArticleStore, StoreOutcome
from app.models import Article

Batch = list[PreparedArticle | PreparedIndexPage]
# Paths looked up per query: well under SQLite's limit of bound parameters.
_PATHS_PER_QUERY = 500


class Transactions(Protocol):
    """What the ingest loop asks of the owner of its transactions."""

    # True when everything goes into one transaction, to be rolled back if any file failed:
    # once a file failed, the loop only reads on to find the other bad files.
    @property
    def whole(self) -> bool: ...

    def stored_hashes(self, paths: Sequence[str]) -> dict[str, str]:
        """The stored source hash of each of these paths that is stored."""
        ...

    def write(self, batch: Batch) -> Future[list[StoreOutcome]]:
        """Writes a batch (maybe in another thread); the outcomes, to be counted."""
        ...

    def close(self) -> None:
        """Stops the writing (waits for what was handed over)."""
        ...


class TransactionPerBatch:
    """One unit of work per batch; a refused batch is written again article by article.

    Batches are written by one writer thread, so reading and parsing go on while the
    database works (sqlite3 and psycopg release the GIL while they wait). Only that thread
    touches the store; the loop counts its outcomes in the reading thread.
    """

    whole = False

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        with unit_of_work(engine) as session:
            self.store = ArticleStore(session)
            rows = session.execute(select(Article.path, Article.source_hash))  # type: ignore[call-overload]
            self.known: dict[str, str] = {path: digest for path, digest in rows}
        self.writer = ThreadPoolExecutor(1, thread_name_prefix="ingest-writer")

    def stored_hashes(self, paths: Sequence[str]) -> dict[str, str]:
        """The stored source hash of each of these paths (as read when the run began)."""
        return {p: self.known[p] for p in paths if p in self.known}

    def write(self, batch: Batch) -> Future[list[StoreOutcome]]:
        """Hands the batch to the writer thread."""
        return self.writer.submit(self._write, batch)

    def prune(self, seen: set[str], batch_size: int) -> list[str]:
        """Deletes the stored articles whose paths were not seen (after all writes)."""
        gone = sorted(article_id(p) for p in self.known if p not in seen)
        deleted: list[str] = []
        for start in range(0, len(gone), batch_size):
            with unit_of_work(self.engine) as session:
                deleted += self.store.delete(session, gone[start : start + batch_size])
        return deleted

    def close(self) -> None:
        """Waits for the writer thread (what it was still to start is dropped)."""
        self.writer.shutdown(wait=True, cancel_futures=True)

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


class OneTransaction:
    """Writes into the caller's session, which owns the one transaction of the whole input."""

    whole = True

    def __init__(self, session: Session) -> None:
        self.session = session
        self.store = ArticleStore(session)

    def stored_hashes(self, paths: Sequence[str]) -> dict[str, str]:
        """The stored source hash of each of these paths, read in the caller's transaction."""
        out: dict[str, str] = {}
        for start in range(0, len(paths), _PATHS_PER_QUERY):
            chunk = paths[start : start + _PATHS_PER_QUERY]
            rows = self.session.execute(
                select(col(Article.path), col(Article.source_hash)).where(
                    col(Article.path).in_(chunk)
                )
            )
            out.update({path: digest for path, digest in rows})
        return out

    def write(self, batch: Batch) -> Future[list[StoreOutcome]]:
        """Writes the batch now; any database error ends the whole write (the caller's)."""
        done: Future[list[StoreOutcome]] = Future()
        done.set_result([self.store.write(self.session, batch)])
        return done

    def close(self) -> None:
        """Nothing to stop: every write was done when it was handed over."""


def _fatal(exc: BaseException) -> bool:
    """Errors of the connection or the database itself stop the run; others are the data's."""
    return isinstance(exc, OperationalError | InterfaceError)


def _short(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]
