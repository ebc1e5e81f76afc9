"""The SQLite search index: an FTS5 table over token strings, without a copy of the tokens.

``article_search_fts`` is contentless (it stores only the inverted index). SQLite before
3.43 can delete from a contentless table only by repeating the exact tokens that were
inserted, so ``article_search_body`` keeps each article's searched title and text (the text
compressed) to rebuild them; snippets are cut from it. ``article_search_text`` maps the FTS
rowid to the article id, narrow so that mapping many hits stays cheap.
"""

import zlib
from collections.abc import Iterable, Sequence

from sqlalchemy.engine import Connection

from app.search.folding import fold
from app.search.indexed_text import IndexedText
from app.search.segmenting import token_string

BATCH = 500


def pack(text: str) -> bytes:
    """Searched text as stored: zlib at its fastest level (ingest time matters more)."""
    return zlib.compress(text.encode(), 1)


def unpack(blob: bytes) -> str:
    """Stored searched text back as text."""
    return zlib.decompress(blob).decode()


def _batches(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), BATCH):
        yield items[start : start + BATCH]


def file_texts(connection: Connection, ids: Sequence[str]) -> dict[str, str]:
    """The indexed text of those of these articles that were indexed from their file."""
    out: dict[str, str] = {}
    for batch in _batches(ids):
        rows = connection.exec_driver_sql(
            "SELECT t.article_id, b.body FROM article_search_text t "
            "JOIN article_search_body b ON b.rowid = t.rowid "
            f"WHERE t.from_file AND t.article_id IN ({','.join('?' * len(batch))})",
            tuple(batch),
        )
        out.update((article_id, unpack(body)) for article_id, body in rows)
    return out


def _delete_indexed(connection: Connection, ids: Sequence[str]) -> None:
    """Take these articles' tokens out of the FTS index and drop their rows."""
    for batch in _batches(ids):
        rows = connection.exec_driver_sql(
            "SELECT t.rowid, b.title, b.body FROM article_search_text t "
            "JOIN article_search_body b ON b.rowid = t.rowid "
            f"WHERE t.article_id IN ({','.join('?' * len(batch))})",
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
        rowids = tuple(row[0] for row in rows)
        for table in ("article_search_text", "article_search_body"):
            connection.exec_driver_sql(
                f"DELETE FROM {table} WHERE rowid IN ({','.join('?' * len(rowids))})", rowids
            )


def replace(connection: Connection, texts: Sequence[IndexedText]) -> None:
    """Index these articles, replacing what was indexed for them before."""
    _delete_indexed(connection, [t.id for t in texts])
    for t in texts:
        cursor = connection.exec_driver_sql(
            "INSERT INTO article_search_text(article_id, from_file) VALUES (?, ?)",
            (t.id, t.from_file),
        )
        stored = t.body_stored if t.body_stored is not None else pack(t.body)
        tokens = t.body_tokens if t.body_tokens is not None else token_string(fold(t.body))
        connection.exec_driver_sql(
            "INSERT INTO article_search_body(rowid, title, body) VALUES (?, ?, ?)",
            (cursor.lastrowid, t.title, stored),
        )
        connection.exec_driver_sql(
            "INSERT INTO article_search_fts(rowid, title, body) VALUES (?, ?, ?)",
            (cursor.lastrowid, token_string(fold(t.title)), tokens),
        )


def remove(connection: Connection, ids: Sequence[str]) -> None:
    """Remove these articles from the index."""
    _delete_indexed(connection, list(ids))
