"""The SQLite search index: an FTS5 table over token strings, without a copy of the tokens.

``article_search_fts`` is contentless (it stores only the inverted index). SQLite before
3.43 can delete from a contentless table only by repeating the exact tokens that were
inserted, so ``article_search_text`` keeps each article's searched text, compressed, to
rebuild them; snippets are cut from it, and it maps the FTS rowid to the article id.
"""

import zlib
from collections.abc import Iterable, Sequence
from typing import Protocol

from sqlalchemy.engine import Connection

from app.search.folding import fold
from app.search.tokens import index_tokens

BATCH = 500


class Document(Protocol):
    """The fields of a search document this backend reads."""

    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str | None: ...
    @property
    def searched_text(self) -> str: ...


def token_string(folded: str) -> str:
    """The tokens of folded text, space separated: what the FTS5 ``ascii`` tokenizer splits."""
    return " ".join(index_tokens(folded))


def _batches(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), BATCH):
        yield items[start : start + BATCH]


def _delete_indexed(connection: Connection, ids: Sequence[str]) -> None:
    """Take these articles' tokens out of the FTS index and drop their rows."""
    for batch in _batches(ids):
        marks = ",".join("?" * len(batch))
        rows = connection.exec_driver_sql(
            f"SELECT rowid, title, body FROM article_search_text "
            f"WHERE article_id IN ({marks})",
            tuple(batch),
        ).fetchall()
        if not rows:
            continue
        connection.exec_driver_sql(
            "INSERT INTO article_search_fts(article_search_fts, rowid, title, body) "
            "VALUES ('delete', ?, ?, ?)",
            [
                (rowid, token_string(fold(title)), token_string(fold(unpack(body))))
                for rowid, title, body in rows
            ],
        )
        connection.exec_driver_sql(
            f"DELETE FROM article_search_text WHERE rowid IN ({','.join('?' * len(rows))})",
            tuple(row[0] for row in rows),
        )


def pack(text: str) -> bytes:
    """Searched text as stored: zlib at its fastest level (ingest time matters more)."""
    return zlib.compress(text.encode(), 1)


def unpack(blob: bytes) -> str:
    """Stored searched text back as text."""
    return zlib.decompress(blob).decode()


def replace(connection: Connection, docs: Sequence[Document]) -> None:
    """Index these articles, replacing what was indexed for them before."""
    _delete_indexed(connection, [doc.id for doc in docs])
    for doc in docs:
        title = doc.title or ""
        body = doc.searched_text
        cursor = connection.exec_driver_sql(
            "INSERT INTO article_search_text(article_id, title, body) VALUES (?, ?, ?)",
            (doc.id, title, pack(body)),
        )
        connection.exec_driver_sql(
            "INSERT INTO article_search_fts(rowid, title, body) VALUES (?, ?, ?)",
            (cursor.lastrowid, token_string(fold(title)), token_string(fold(body))),
        )


def remove(connection: Connection, ids: Sequence[str]) -> None:
    """Remove these articles from the index."""
    _delete_indexed(connection, list(ids))
