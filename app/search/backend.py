"""The search backend of a database: one interface, an implementation per dialect.

``backend_for`` chooses it once from the engine or session; the indexer, the search and the
ingest's parse workers then call its methods and never ask which database it is. A backend
holds no state, so it pickles to a worker process as its class.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.selectable import Subquery
from sqlmodel import Session

from app.db import dialect_name
from app.search import postgres_index, postgres_search, sqlite_index, sqlite_search
from app.search.file_text import visible_text
from app.search.folding import fold
from app.search.indexed_text import IndexedText, StoredText
from app.search.prepared import PreparedText
from app.search.query import Term
from app.search.segmenting import token_string


class SearchBackend(Protocol):
    """What the rest of the code base asks of a search index; no method commits."""

    @property
    def cheap_count(self) -> bool:
        """Whether ``count`` costs less than counting the scored hits while they are sorted."""
        ...

    def prepare(self, markdown: str) -> PreparedText:
        """A file's searched text and this backend's index text of it, computed ahead."""
        ...

    def file_texts(self, connection: Connection, ids: Sequence[str]) -> dict[str, str]:
        """The indexed text of those of these articles that were indexed from their file."""
        ...

    def replace(self, connection: Connection, texts: Sequence[IndexedText]) -> None:
        """Index these articles, replacing what was indexed for them before."""
        ...

    def remove(self, connection: Connection, ids: Sequence[str]) -> None:
        """Remove these articles from the index."""
        ...

    def hits(self, connection: Connection, terms: Sequence[Term]) -> Subquery:
        """``(article_id, score)`` of every article matching all ``terms``."""
        ...

    def title_hits(
        self, connection: Connection, terms: Sequence[Term], *, at_least: int
    ) -> Subquery | None:
        """``(article_id, score)`` of the hits whose title holds every term, scored as by
        ``hits``; ``None`` when fewer than ``at_least`` titles hold them, or when this backend
        scores them for no less than every hit."""
        ...

    def hit_ids(self, terms: Sequence[Term]) -> Subquery:
        """``(article_id)`` of every article matching all ``terms`` (no scoring)."""
        ...

    def count(self, connection: Connection, terms: Sequence[Term], *, include_empty: bool) -> int:
        """How many articles match every term, the empty stubs left out unless
        ``include_empty``."""
        ...

    def stored_texts(self, connection: Connection, ids: Sequence[str]) -> dict[str, StoredText]:
        """The searched title and text of these articles, as indexed (for snippets)."""
        ...


@dataclass(frozen=True, slots=True)
class SqliteSearch:
    """FTS5 over token strings (``sqlite_index``, ``sqlite_search``)."""

    # FTS5 counts a posting list without reading a position; a window over the scored hits
    # keeps every one of them until the sort ends.
    cheap_count: bool = True

    file_texts = staticmethod(sqlite_index.file_texts)
    replace = staticmethod(sqlite_index.replace)
    remove = staticmethod(sqlite_index.remove)
    hits = staticmethod(sqlite_search.hits)
    title_hits = staticmethod(sqlite_search.title_hits)
    hit_ids = staticmethod(sqlite_search.hit_ids)
    count = staticmethod(sqlite_search.count)
    stored_texts = staticmethod(sqlite_search.stored_texts)

    def prepare(self, markdown: str) -> PreparedText:
        """The searched text, its token string and its compressed stored form."""
        text = visible_text(markdown)
        return PreparedText(text, tokens=token_string(fold(text)), stored=sqlite_index.pack(text))


@dataclass(frozen=True, slots=True)
class PostgresSearch:
    """``tsvector`` chunks of characters under GIN (``postgres_index``, ``postgres_search``)."""

    cheap_count: bool = False  # a count matches the chunks again, rechecking their vectors

    file_texts = staticmethod(postgres_index.file_texts)
    replace = staticmethod(postgres_index.replace)
    remove = staticmethod(postgres_index.remove)
    hits = staticmethod(postgres_search.hits)
    title_hits = staticmethod(postgres_search.title_hits)
    hit_ids = staticmethod(postgres_search.hit_ids)
    count = staticmethod(postgres_search.count)
    stored_texts = staticmethod(postgres_search.stored_texts)

    def prepare(self, markdown: str) -> PreparedText:
        """The searched text and the body's ``tsvector`` chunks (most of PostgreSQL's
        indexing work); PostgreSQL stores the text as is."""
        text = visible_text(markdown)
        return PreparedText(text, chunks=postgres_index.field_chunks(token_string(fold(text))))


SQLITE_SEARCH = SqliteSearch()
POSTGRES_SEARCH = PostgresSearch()


def backend_for(engine_or_session: Engine | Connection | Session) -> SearchBackend:
    """The search backend of this engine's or session's database."""
    if dialect_name(engine_or_session) == "postgresql":
        return POSTGRES_SEARCH
    return SQLITE_SEARCH
