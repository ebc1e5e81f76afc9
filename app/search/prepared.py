"""Search work that can run where a file is parsed: its text, tokens and stored form.

The ingest parses in worker processes while one process writes; computing these there keeps
the writer's share of search to the FTS insert itself.
"""

from dataclasses import dataclass

from app.search.file_text import visible_text
from app.search.folding import fold
from app.search.sqlite_index import pack
from app.search.tokens import token_string


@dataclass(frozen=True, slots=True)
class PreparedText:
    """A file's searched text, its token string and its stored (compressed) form."""

    text: str
    tokens: str
    stored: bytes


def prepare_search_text(markdown: str) -> PreparedText:
    """What indexing a file needs, computed ahead (picklable; pass it as ``prepared=``)."""
    text = visible_text(markdown)
    return PreparedText(text, token_string(fold(text)), pack(text))
