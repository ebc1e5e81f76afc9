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


# The FTS rowids of the empty stubs (migration 0012's ``article_stub``, a few thousand), left
# out of a search without ``include_empty`` inside the FTS scan: the hits never need a join to
# ``article`` for that, where joining every hit of a common word costs more than matching it.
_STUB_ROWIDS = (
    "SELECT t.rowid FROM article_stub AS stub "
    "JOIN article_search_text AS t ON t.article_id = stub.article_id"
)
# The FTS rowids of the articles whose title holds every term (``:title_match``).
_TITLE_ROWIDS = "SELECT rowid FROM article_search_fts WHERE article_search_fts MATCH :title_match"


def _score(tier: str) -> str:
    """The integer score: ``tier`` (SQL, ``TITLE_TIER`` or 0) minus FTS5's negated BM25.

    ``hits`` and ``title_hits`` share it, so a title hit scores the same by either.
    """
    return (
        f"CAST(round(({tier} - bm25(article_search_fts, {TITLE_WEIGHT}, {BODY_WEIGHT})) "
        f"* {SCORE_SCALE}) AS INTEGER)"
    )


def _matches(terms: Sequence[Term]) -> dict[str, str]:
    """The binds of a search: ``:match`` (every term anywhere), ``:title_match`` (in the title)."""
    every = match_expression(terms)
    return {"match": every, "title_match": f"{{title}} : ({every})"}


def hits(connection: Connection, terms: Sequence[Term]) -> Subquery:
    """``(article_id, score)`` of every article matching all ``terms`` (score: BM25 + tier).

    FTS5's ``bm25()`` is the ranking ``app.search.ranking`` describes (it returns it negated).
    """
    tier = f"(CASE WHEN f.rowid IN ({_TITLE_ROWIDS}) THEN {TITLE_TIER} ELSE 0 END)"
    statement = text(
        f"SELECT s.article_id AS article_id, {_score(tier)} AS score "
        "FROM article_search_fts AS f JOIN article_search_text AS s ON s.rowid = f.rowid "
        "WHERE article_search_fts MATCH :match"
    ).bindparams(**_matches(terms))
    return statement.columns(article_id=String, score=Integer).subquery("hits")


def title_hits(connection: Connection, terms: Sequence[Term], *, at_least: int) -> Subquery | None:
    """``(article_id, score)`` of the hits whose title holds every term, scored as by ``hits``;
    ``None`` when fewer than ``at_least`` titles hold them (counted in the index, unscored).

    ``bm25()`` runs only on the rows the WHERE keeps: a common word is in thousands of titles
    but in tens of thousands of texts. ``+rowid`` keeps the title list a filter on the scan:
    given to FTS5 as a rowid constraint it would run the whole MATCH once per title hit.
    """
    matches = _matches(terms)
    titles = connection.exec_driver_sql(
        "SELECT count(*) FROM article_search_fts WHERE article_search_fts MATCH ?",
        (matches["title_match"],),
    ).scalar_one()
    if titles < at_least:
        return None
    statement = text(
        f"SELECT s.article_id AS article_id, {_score(str(TITLE_TIER))} AS score "
        "FROM article_search_fts AS f JOIN article_search_text AS s ON s.rowid = f.rowid "
        f"WHERE article_search_fts MATCH :match AND +f.rowid IN ({_TITLE_ROWIDS})"
    ).bindparams(**matches)
    return statement.columns(article_id=String, score=Integer).subquery("hits")


def hit_ids(terms: Sequence[Term]) -> Subquery:
    """``(article_id)`` of every article matching all ``terms`` (no scoring)."""
    statement = text(
        "SELECT s.article_id AS article_id "
        "FROM article_search_fts AS f JOIN article_search_text AS s ON s.rowid = f.rowid "
        "WHERE article_search_fts MATCH :match"
    ).bindparams(match=match_expression(terms))
    return statement.columns(article_id=String).subquery("hits")


def count(connection: Connection, terms: Sequence[Term], *, include_empty: bool) -> int:
    """How many articles match every term, the empty stubs left out unless ``include_empty``.

    Counted over FTS rowids alone: no hit is scored or mapped to its article.
    """
    stubs = "" if include_empty else f" AND +rowid NOT IN ({_STUB_ROWIDS})"
    found = connection.exec_driver_sql(
        f"SELECT count(*) FROM article_search_fts WHERE article_search_fts MATCH ?{stubs}",
        (match_expression(terms),),
    ).scalar_one()
    return int(found)


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
