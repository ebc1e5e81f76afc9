"""What the index holds for one article: its title and searched text, and where it came from."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # postgres_index imports this module
    from app.search.postgres_index import FieldChunks


@dataclass(frozen=True, slots=True)
class IndexedText:
    """The original title and text an article is indexed under.

    ``from_file`` is true when the text is the whole file as a reader sees it, false when it
    is the parsed body only.
    """

    id: str
    title: str
    body: str
    from_file: bool
    body_tokens: str | None = None  # token_string(fold(body)), when computed ahead
    body_stored: bytes | None = None  # the body as SQLite stores it, when computed ahead
    body_chunks: "FieldChunks | None" = None  # PostgreSQL's chunks of the body, if computed ahead


@dataclass(frozen=True, slots=True)
class StoredText:
    """An article's indexed title and text as read back for snippets.

    ``head`` is the start of the text; when the text is longer, ``rest`` reads all of it (a
    transcript runs to 400k characters and its first match is usually near the top).
    """

    title: str
    head: str
    rest: Callable[[], str] | None = None
