"""Search work that can run where a file is parsed: its text, and what an index makes of it.

The ingest parses in worker processes while one process writes; the search backend the
articles go to (``app.search.backend``) computes its index text there, which keeps the
writer's share of search to the index insert itself.
"""

from dataclasses import dataclass

from app.search.file_text import visible_text
from app.search.postgres_index import FieldChunks


@dataclass(frozen=True, slots=True)
class PreparedText:
    """A file's searched text and, when computed ahead, what one backend indexes of it:
    SQLite's token string and stored (compressed) form, or PostgreSQL's body chunks.

    Any of them left out is computed by the writer from ``text``, whichever the backend.
    """

    text: str
    tokens: str | None = None
    stored: bytes | None = None
    chunks: FieldChunks | None = None

    @classmethod
    def from_markdown(cls, markdown: str) -> "PreparedText":
        """The file's searched text alone: the writer's backend makes its index text."""
        return cls(visible_text(markdown))
