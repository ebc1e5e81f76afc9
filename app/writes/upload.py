"""An upload (``POST /articles``): every file part ingested in one transaction, or none.

Each part is a ``Source`` of the ingest loop (``app.ingest.ingest_into``), so an uploaded
article is stored exactly as ``corpus ingest`` would store it. The difference is the
transaction: an upload is one unit of work, and any bad file in it (or a limit crossed)
rolls the whole of it back, so an editor never has to work out which half of it went in.
"""

import time
from collections.abc import Iterator

from sqlalchemy.engine import Engine

from app.api_tokens import mark_used
from app.config import Settings
from app.db import small_page_cache, unit_of_work
from app.errors import PayloadTooLarge, Unprocessable
from app.ingest import (
    FailedFile,
    Source,
    SourceError,
    SourceFile,
    UploadedFile,
    ingest_into,
    open_source,
)
from app.writes import CORPUS_FOLDER
from app.writes.receive import PATH_FIELD, ReceivedFile, Upload
from app.writes.retry import retrying
from app.writes.schemas import UploadReport

# Prepared articles are written in batches of this many, so memory stays flat however
# many articles one archive holds (bench/upload_memory.py: 50 keeps the batch under ~5 MB).
WRITE_BATCH = 50
# A 422 lists at most this many bad files; the count says how many there were.
MAX_LISTED_FAILURES = 100


class UploadPart(Source):
    """One file part of an upload, read from disk: a markdown file or an archive of them.

    Its files must have corpus paths (``content/...``); an unreadable archive is one bad
    file of the upload, and a limit crossed refuses the whole upload (413).
    """

    def __init__(self, received: ReceivedFile, upload: Upload, settings: Settings) -> None:
        name = _upload_name(received, upload)
        super().__init__(received.filename or name)
        self.received = received
        self.settings = settings
        self._client_name = name

    def __iter__(self) -> Iterator[SourceFile]:
        with self.received.disk_path.open("rb") as stream:
            part = open_source(UploadedFile(name=self._client_name, stream=stream), self.settings)
            self.state = part.state
            try:
                for file in part:
                    yield _checked(file)
            except SourceError as exc:
                yield SourceFile(self.name, problem=str(exc))
            problem = part.limit_problem()
            if problem is not None:
                raise PayloadTooLarge(f"{self.name}: {problem}")


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


def _checked(file: SourceFile) -> SourceFile:
    """The file, or its refusal when its path cannot be an article's path."""
    if file.problem is None and not file.path.startswith(CORPUS_FOLDER):
        return SourceFile(
            file.path,
            problem=(
                f"the path must start with {CORPUS_FOLDER!r} (e.g. content/gnews/123.md): name "
                f"the file part so, or send a `{PATH_FIELD}` field with a single file"
            ),
        )
    return file


def _refuse(failures: list[FailedFile]) -> Unprocessable:
    listed = failures[:MAX_LISTED_FAILURES]
    detail = "; ".join(f"{f.path}: {f.reason}" for f in listed[:5])
    more = f" (and {len(failures) - 5} more)" if len(failures) > 5 else ""
    return Unprocessable(
        f"{len(failures)} bad file(s), nothing was stored: {detail}{more}",
        errors=[{"loc": ["file", f.path], "msg": f.reason, "type": "bad_file"} for f in listed],
    )


def ingest_upload(
    engine: Engine, upload: Upload, *, settings: Settings, token_name: str
) -> UploadReport:
    """Stores every article of an upload in one transaction; 422, nothing stored, if one is bad."""
    return retrying(lambda: _store_upload(engine, upload, settings=settings, token_name=token_name))


def _store_upload(
    engine: Engine, upload: Upload, *, settings: Settings, token_name: str
) -> UploadReport:
    started = time.perf_counter()
    with unit_of_work(engine) as session, small_page_cache(session):
        # Parts become sources one by one, as the loop reaches them (a bad part name is
        # refused there, after the parts before it were read).
        parts = (UploadPart(received, upload, settings) for received in upload.files)
        report = ingest_into(
            session, parts, settings=settings, batch_size=WRITE_BATCH, input_name="upload"
        )
        failures = list(report.failed)
        if report.files == 0:
            failures.append(FailedFile("-", "the upload holds no markdown file"))
        if failures:
            raise _refuse(failures)  # rolls back everything written so far
        mark_used(session, token_name)
    report.seconds = round(time.perf_counter() - started, 3)
    return UploadReport.model_validate(report.to_dict())
