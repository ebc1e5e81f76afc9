"""Ingest: files of the corpus (a folder, a file, an archive, an upload) -> stored articles.

``ingest(engine, source, ...)`` is the whole run, one transaction per batch.
``ingest_into(session, sources, ...)`` is the same loop inside the caller's one transaction
(the upload endpoint: all or nothing). A new kind of input is one ``Source`` subclass;
``GitHistory`` reads a repository's whole history; ``ingest_history`` only what is new.
"""

from app.ingest.git_history import GitHistory, HistoryRewritten
from app.ingest.history_runs import ingest_history
from app.ingest.prepare import FailedFile, PreparedArticle, PreparedIndexPage
from app.ingest.report import IngestReport
from app.ingest.run import IngestProgress, IngestSource, ingest, ingest_into, open_source
from app.ingest.sources import Markdown, Seen, Source, SourceError, SourceFile, UploadedFile
from app.ingest.store import ArticleStore, StoreOutcome

__all__ = [
    "ArticleStore",
    "FailedFile",
    "GitHistory",
    "HistoryRewritten",
    "IngestProgress",
    "IngestReport",
    "IngestSource",
    "Markdown",
    "PreparedArticle",
    "PreparedIndexPage",
    "Seen",
    "Source",
    "SourceError",
    "SourceFile",
    "StoreOutcome",
    "UploadedFile",
    "ingest",
    "ingest_history",
    "ingest_into",
    "open_source",
]
