"""What the write endpoints do to the store: one transaction per request, all or nothing.

Uploads reuse the ingest's own pieces (``Reader`` for safe archive reading under the
limits, ``prepare`` for the checks and the parse, ``ArticleStore`` for rows, search and
change feed), so an article uploaded over HTTP is stored exactly as ``corpus ingest`` would
store it. The difference is the transaction: an upload is one unit of work, and any bad
file in it (or a limit crossed) rolls the whole of it back, so an editor never has to work
out which half of an upload went in.
"""

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal, TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col

from app.api_tokens import mark_used
from app.config import Settings
from app.db import small_page_cache, unit_of_work
from app.errors import (
    Conflict,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    ServiceUnavailable,
    Unprocessable,
)
from app.identity import article_id as id_of_path
from app.ingest.prepare import FailedFile, PreparedArticle, PreparedIndexPage, prepare, source_hash
from app.ingest.report import IngestReport
from app.ingest.sources import (
    Reader,
    SourceError,
    SourceFile,
    UploadedFile,
    corpus_path,
    is_article_name,
)
from app.ingest.store import ArticleStore, StoreOutcome
from app.models import Article
from app.uploads import PATH_FIELD, ReceivedFile, Upload

T = TypeVar("T")
log = logging.getLogger("app.writes")

CORPUS_FOLDER = "content/"
# Prepared articles are written in batches of this many, so memory stays flat however
# many articles one archive holds (bench/upload_memory.py: 50 keeps the batch under ~5 MB).
WRITE_BATCH = 50
# How many times a write runs before a concurrent writer's conflict is reported (409/503).
WRITE_ATTEMPTS = 3
# A 422 lists at most this many bad files; the count says how many there were.
MAX_LISTED_FAILURES = 100


class FailurePublic(BaseModel):
    """A file that was refused, and why."""

    path: str = Field(examples=["content/gnews/1.md"])
    reason: str = Field(examples=["not UTF-8 (byte 0xff at offset 0)"])


class IngestCounts(BaseModel):
    """The report's figures, as the summary line of ``corpus ingest`` gives them."""

    files: int = Field(examples=[3])
    added: int = Field(examples=[2])
    updated: int = Field(examples=[1])
    unchanged: int = Field(examples=[0])
    deleted: int = Field(examples=[0])
    failed: int = Field(examples=[0])
    index_pages: int = Field(examples=[0])
    skipped: int = Field(examples=[0])


class UploadReport(BaseModel):
    """What an upload did: the report ``corpus ingest`` gives (``IngestReport.to_dict``)."""

    files: int = Field(description="Article and index files read.", examples=[3])
    added: list[str] = Field(description="Ids of new articles.", examples=[["gnews-2362915"]])
    updated: list[str] = Field(
        description="Ids of articles whose content changed.", examples=[["gnews-2362916"]]
    )
    unchanged: int = Field(description="Articles already stored as uploaded.", examples=[1])
    deleted: list[str] = Field(
        description="Ids of articles an uploaded index page replaced.", examples=[[]]
    )
    failed: list[FailurePublic] = Field(
        description="Always empty here: an upload with a bad file is refused whole (422).",
        examples=[[]],
    )
    index_pages: int = Field(description="Index pages read.", examples=[0])
    skipped: int = Field(description="Files that are not articles (images...).", examples=[0])
    complete: bool = Field(description="True: every uploaded file was read.", examples=[True])
    seconds: float = Field(description="Time taken.", examples=[0.4])
    counts: IngestCounts


class ArticleWritten(BaseModel):
    """What a PUT did to one article."""

    id: str = Field(examples=["gnews-2362915"])
    path: str = Field(examples=["content/gnews/2362915.md"])
    result: Literal["added", "updated", "unchanged"] = Field(examples=["updated"])
    content_hash: str = Field(examples=["9f2c" + "0" * 60])


@dataclass(slots=True)
class _Tally:
    """The running report of one upload, and the bad files found so far."""

    report: IngestReport = field(default_factory=IngestReport)
    failures: list[FailedFile] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)

    def add(self, part: StoreOutcome) -> None:
        self.report.note_added(part.added)
        self.report.note_updated(part.updated)
        self.report.deleted += part.deleted
        self.report.unchanged += part.unchanged
        self.report.index_pages += part.index_pages
        self.failures += part.failed


def retrying(write: Callable[[], T]) -> T:
    """Runs a write transaction again when a concurrent write got in its way.

    Two editors uploading the same new article at once: the second insert fails on the key
    (PostgreSQL) or on a stale snapshot (SQLite, "database is locked"). The whole write runs
    again from its input, sees the other write committed, and comes out unchanged or updated.
    """
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            return write()
        except (IntegrityError, OperationalError) as exc:
            log.warning("write attempt %d of %d failed: %s", attempt, WRITE_ATTEMPTS, exc.orig)
            if attempt == WRITE_ATTEMPTS:
                if isinstance(exc, IntegrityError):
                    raise Conflict(
                        "other writes kept changing the same articles; send the request again"
                    ) from exc
                raise ServiceUnavailable(
                    "the database did not take the write; send the request again",
                    headers={"Retry-After": "5"},
                ) from exc
            time.sleep(0.05 * attempt)
    raise AssertionError("unreachable")


def _refuse(failures: list[FailedFile]) -> Unprocessable:
    listed = failures[:MAX_LISTED_FAILURES]
    detail = "; ".join(f"{f.path}: {f.reason}" for f in listed[:5])
    more = f" (and {len(failures) - 5} more)" if len(failures) > 5 else ""
    return Unprocessable(
        f"{len(failures)} bad file(s), nothing was stored: {detail}{more}",
        errors=[{"loc": ["file", f.path], "msg": f.reason, "type": "bad_file"} for f in listed],
    )


def _upload_name(received: ReceivedFile, upload: Upload) -> str:
    """The corpus path (or archive name) an uploaded part stands for."""
    path = upload.fields.get(PATH_FIELD)
    if path is not None:
        if len(upload.files) != 1 or received.is_archive:
            raise Unprocessable(f"a `{PATH_FIELD}` field goes with a single markdown file only")
        return path
    if not received.filename:
        raise Unprocessable(f"a file part without a file name needs a `{PATH_FIELD}` field")
    return received.filename


def _uploaded_files(
    received: ReceivedFile, name: str, settings: Settings, report: IngestReport
) -> Iterator[SourceFile]:
    """The files of one part, read from disk by the ingest's reader under the limits."""
    with received.disk_path.open("rb") as stream:
        reader = Reader(UploadedFile(name=name, stream=stream), settings)
        try:
            yield from reader
        except SourceError as exc:
            yield SourceFile(received.filename or name, problem=str(exc))
        report.skipped += reader.state.skipped
        problem = reader.limit_problem()
        if problem is not None:
            raise PayloadTooLarge(f"{received.filename or name}: {problem}")


def _check_path(source: SourceFile) -> str | None:
    """Why an uploaded file's path cannot be an article's path, if it cannot."""
    if not source.path.startswith(CORPUS_FOLDER):
        return (
            f"the path must start with {CORPUS_FOLDER!r} (e.g. content/gnews/123.md): name the "
            f"file part so, or send a `{PATH_FIELD}` field with a single file"
        )
    return None


def ingest_upload(
    engine: Engine, upload: Upload, *, settings: Settings, token_name: str
) -> UploadReport:
    """Stores every article of an upload in one transaction; 422, nothing stored, if one is bad."""
    return retrying(lambda: _store_upload(engine, upload, settings=settings, token_name=token_name))


def _store_upload(
    engine: Engine, upload: Upload, *, settings: Settings, token_name: str
) -> UploadReport:
    started = time.perf_counter()
    tally = _Tally()
    with unit_of_work(engine) as session, small_page_cache(session):
        store = ArticleStore(session)
        batch: list[PreparedArticle | PreparedIndexPage] = []
        for received in upload.files:
            name = _upload_name(received, upload)
            for source in _uploaded_files(received, name, settings, tally.report):
                tally.report.files += 1
                problem = source.problem or _check_path(source)
                if problem is None and source.path in tally.seen:
                    problem = "the same path appears twice in the upload"
                tally.seen.add(source.path)
                if problem is not None or source.data is None:
                    tally.failures.append(FailedFile(source.path, problem or "unreadable"))
                    continue
                prepared = prepare(source.path, source.data, source_hash(source.data))
                if isinstance(prepared, FailedFile):
                    tally.failures.append(prepared)
                elif not tally.failures:  # once anything failed, only look for more failures
                    batch.append(prepared)
                if len(batch) >= WRITE_BATCH:
                    tally.add(store.write(session, batch))
                    batch = []
        if batch and not tally.failures:
            tally.add(store.write(session, batch))
        if not tally.seen:
            tally.failures.append(FailedFile("-", "the upload holds no markdown file"))
        if tally.failures:
            raise _refuse(tally.failures)  # rolls back everything written so far
        mark_used(session, token_name)
    tally.report.seconds = round(time.perf_counter() - started, 3)
    return UploadReport.model_validate(tally.report.to_dict())


@dataclass(frozen=True, slots=True)
class Preconditions:
    """``If-Match`` / ``If-None-Match`` of a write: guards against overwriting another edit.

    An article's ETag is its quoted ``content_hash`` (as ``GET /articles/{id}`` sends it).
    """

    if_match: str | None = None
    if_none_match: str | None = None

    def check(self, article_id: str, stored_hash: str | None) -> None:
        """412 when the stored article is not the one the client said it edits."""
        if self.if_match is not None:
            tags = {t.strip() for t in self.if_match.split(",")}
            current = None if stored_hash is None else f'"{stored_hash}"'
            if current is None or ("*" not in tags and current not in tags):
                raise PreconditionFailed(
                    f"article {article_id!r} is not at the version named in If-Match"
                    + ("" if current is None else f" (it is at {current})")
                )
        if stored_hash is not None and (self.if_none_match or "").strip() == "*":
            raise PreconditionFailed(f"article {article_id!r} exists (If-None-Match: *)")


def _stored(session: Session, article_id: str) -> tuple[str, str] | None:
    """Path and content hash of a stored article, its row locked until the write ends."""
    found = session.execute(
        select(col(Article.path), col(Article.content_hash))
        .where(col(Article.id) == article_id)
        .with_for_update()
    ).one_or_none()
    return None if found is None else (found[0], found[1])


def _target_path(article_id: str, stored: str | None, path: str | None) -> str:
    """The path a PUT writes to: the stored one, or the given one for a new id."""
    if stored is not None:
        if path is not None and path != stored:
            raise Unprocessable(
                f"article {article_id!r} is at {stored!r}; a PUT cannot move it to {path!r}"
            )
        return stored
    if path is None:
        raise Unprocessable(
            f"no article {article_id!r} yet: give its `path` (e.g. content/gnews/123.md) to add it"
        )
    safe, problem = corpus_path(path)
    if safe is None or safe != path:
        raise Unprocessable(
            f"path {path!r} is not a plain corpus path: {problem or 'not normalised'}"
        )
    if not path.startswith(CORPUS_FOLDER) or not is_article_name(path):
        raise Unprocessable(f"path {path!r} must be content/....md or .txt")
    if id_of_path(path) != article_id:
        raise Unprocessable(f"path {path!r} gives the id {id_of_path(path)!r}, not {article_id!r}")
    return path


def replace_article(
    engine: Engine,
    *,
    article_id: str,
    path: str | None,
    data: bytes,
    settings: Settings,
    token_name: str,
    preconditions: Preconditions = Preconditions(),
) -> ArticleWritten:
    """Replaces (or adds) one article from markdown bytes; 422 and nothing stored if bad."""
    return retrying(
        lambda: _replace_once(engine, article_id, path, data, token_name, preconditions)
    )


def _replace_once(
    engine: Engine,
    article_id: str,
    path: str | None,
    data: bytes,
    token_name: str,
    preconditions: Preconditions,
) -> ArticleWritten:
    with unit_of_work(engine) as session:
        stored = _stored(session, article_id)
        preconditions.check(article_id, None if stored is None else stored[1])
        target = _target_path(article_id, None if stored is None else stored[0], path)
        prepared = prepare(target, data, source_hash(data))
        if isinstance(prepared, FailedFile):
            raise Unprocessable(prepared.reason)
        if isinstance(prepared, PreparedIndexPage):
            raise Unprocessable("the body is an index page (a list of articles), not an article")
        outcome = ArticleStore(session).write(session, [prepared])
        if outcome.failed:
            raise Unprocessable(outcome.failed[0].reason)
        mark_used(session, token_name)
    result: Literal["added", "updated", "unchanged"] = (
        "added" if outcome.added else "updated" if outcome.updated else "unchanged"
    )
    return ArticleWritten(
        id=article_id, path=target, result=result, content_hash=prepared.content_hash
    )


def delete_article(
    engine: Engine,
    *,
    article_id: str,
    token_name: str,
    preconditions: Preconditions = Preconditions(),
) -> None:
    """Deletes one article with a ``delete`` change; 404 when there is no such article."""
    retrying(lambda: _delete_once(engine, article_id, token_name, preconditions))


def _delete_once(
    engine: Engine, article_id: str, token_name: str, preconditions: Preconditions
) -> None:
    with unit_of_work(engine) as session:
        stored = _stored(session, article_id)
        if stored is None:
            raise NotFound(f"no article with id {article_id!r}")
        preconditions.check(article_id, stored[1])
        ArticleStore(session).delete(session, [article_id])
        mark_used(session, token_name)
