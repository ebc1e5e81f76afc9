"""Search on SQLite: the FTS5 MATCH expression and the scored hits it gives."""

import zlib
from collections.abc import Sequence

from sqlalchemy import Integer, String, text
from sqlalchemy.engine import Connection
from sqlalchemy.sql.selectable import Subquery

from app.search.indexed_text import StoredText
from app.search.query import Term
from app.search.ranking import BODY_WEIGHT, SCORE_SCALE, TITLE_TIER, TITLE_WEIGHT
from app.search.sqlite_index import unpack

HEAD_BYTES = 64 * 1024  # of a stored text, inflated first when cutting snippets


def phrase_expression(term: Term) -> str:
    """One term as an FTS5 phrase: ``"a b" + "c" *`` (tokens never hold a double quote)."""
    segments: list[str] = []
    plain: list[str] = []
    for token in term.tokens:
        if token.prefix:
            if plain:
                segments.append('"' + " ".join(plain) + '"')
                plain = []
            segments.append(f'"{token.text}" *')
        else:
            plain.append(token.text)
    if plain:
        segments.append('"' + " ".join(plain) + '"')
    return " + ".join(segments)


def match_expression(terms: Sequence[Term]) -> str:
    """Every term, ANDed, in any column."""
    return " AND ".join(phrase_expression(term) for term in terms)


def hits(connection: Connection, terms: Sequence[Term]) -> Subquery:
    """``(article_id, score)`` of every article matching all ``terms`` (score: BM25 + tier).

    FTS5's ``bm25()`` is the ranking ``app.search.ranking`` describes (it returns it negated).
    """
    every = match_expression(terms)
    statement = text(
        "SELECT s.article_id AS article_id, "
        f" CAST(round(((CASE WHEN f.rowid IN (SELECT rowid FROM article_search_fts "
        "   WHERE article_search_fts MATCH :title_match) "
        f"  THEN {TITLE_TIER} ELSE 0 END) "
        f"  - bm25(article_search_fts, {TITLE_WEIGHT}, {BODY_WEIGHT})) * {SCORE_SCALE}) "
        " AS INTEGER) AS score "
        "FROM article_search_fts AS f JOIN article_search_text AS s ON s.rowid = f.rowid "
        "WHERE article_search_fts MATCH :match"
    ).bindparams(match=every, title_match=f"{{title}} : ({every})")
    return statement.columns(article_id=String, score=Integer).subquery("hits")


def hit_ids(terms: Sequence[Term]) -> Subquery:
    """``(article_id)`` of every article matching all ``terms`` (no scoring)."""
    statement = text(
        "SELECT s.article_id AS article_id "
        "FROM article_search_fts AS f JOIN article_search_text AS s ON s.rowid = f.rowid "
        "WHERE article_search_fts MATCH :match"
    ).bindparams(match=match_expression(terms))
    return statement.columns(article_id=String).subquery("hits")




def _stored(title: str, blob: bytes) -> StoredText:
    inflater = zlib.decompressobj()
    head = inflater.decompress(blob, HEAD_BYTES)
    if inflater.eof:
        return StoredText(title, head.decode())
    # A character cut at the end of the head is dropped; the head is only a first look.
    return StoredText(title, head.decode(errors="ignore"), lambda: unpack(blob))


def stored_texts(connection: Connection, ids: Sequence[str]) -> dict[str, StoredText]:
    """The searched title and text of these articles, as indexed (for snippets)."""
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    rows = connection.exec_driver_sql(
        "SELECT t.article_id, b.title, b.body FROM article_search_text t "
        f"JOIN article_search_body b ON b.rowid = t.rowid WHERE t.article_id IN ({marks})",
        tuple(ids),
    )
    return {article_id: _stored(title, body) for article_id, title, body in rows}
