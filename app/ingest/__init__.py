"""Ingest: files of the corpus (a folder, a file, an archive, an upload) -> stored articles.

``ingest(engine, source, ...)`` is the whole run with its own transactions. The upload
endpoint, which owns one transaction for a whole upload, can use the parts instead:
``Reader`` (sources) -> ``prepare.prepare`` -> ``ArticleStore.write`` / ``ArticleStore.delete``.
"""

from app.ingest.prepare import FailedFile, PreparedArticle, PreparedIndexPage
from app.ingest.report import IngestReport
from app.ingest.run import IngestProgress, IngestSource, ingest
from app.ingest.sources import Reader, SourceError, SourceFile, UploadedFile
from app.ingest.store import ArticleStore, StoreOutcome

__all__ = [
    "ArticleStore",
    "FailedFile",
    "IngestProgress",
    "IngestReport",
    "IngestSource",
    "PreparedArticle",
    "PreparedIndexPage",
    "Reader",
    "SourceError",
    "SourceFile",
    "StoreOutcome",
    "UploadedFile",
    "ingest",
]
