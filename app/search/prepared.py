"""Search work that can run where a file is parsed: its text, tokens and stored form.

The ingest parses in worker processes while one process writes; computing these there keeps
the writer's share of search to the FTS insert itself.
"""

from dataclasses import dataclass

from app.search.file_text import visible_text
from app.search.folding import fold
from app.search.postgres_index import FieldChunks, field_chunks
from app.search.sqlite_index import pack
from app.search.tokens import token_string


@dataclass(frozen=True, slots=True)
class PreparedText:
    """A file's searched text, its token string and its stored (compressed) form, and for
    PostgreSQL its chunks."""

    text: str
    tokens: str
    stored: bytes
    chunks: FieldChunks | None = None


def prepare_search_text(markdown: str, *, postgresql: bool = False) -> PreparedText:
    """What indexing a file needs, computed ahead (picklable; pass it as ``prepared=``).

    ``postgresql``: also the ``tsvector`` chunks that database indexes.
    """
    text = visible_text(markdown)
    tokens = token_string(fold(text))
    chunks = field_chunks(tokens) if postgresql else None
    return PreparedText(text, tokens, pack(text), chunks)
