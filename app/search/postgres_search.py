"""Search on PostgreSQL: ``tsquery`` phrases over the token chunks, scored per article."""

import math
from collections.abc import Sequence

from sqlalchemy import Integer, String, text
from sqlalchemy.engine import Connection
from sqlalchemy.sql.selectable import Subquery

from app.search.indexed_text import StoredText
from app.search.postgres_index import TITLE, lexeme_literal
from app.search.query import Term
from app.search.sqlite_search import SCORE_SCALE, TITLE_TIER
from app.search.tokens import query_characters

# ts_rank weights {D, C, B, A}: body chunks are D, titles are stored as D too, so the title
# gets its boost from the tier and from this factor.
TITLE_RANK_FACTOR = 4.0


def phrase_query(term: Term) -> str:
    """One term as ``tsquery`` input: its characters and words in a row, ``'a' <-> 'b'``."""
    parts: list[str] = []
    for lexeme, distance in query_characters(term.folded):
        if parts:
            parts.append("<->" if distance == 1 else f"<{distance}>")
        parts.append(lexeme_literal(lexeme))
    return " ".join(parts)


def _intersection(terms: Sequence[Term]) -> tuple[str, dict[str, str]]:
    """SQL of the article ids holding every term (each term may sit in another chunk)."""
    params = {f"t{n}": phrase_query(term) for n, term in enumerate(terms)}
    selects = [
        f"SELECT article_id FROM article_search_chunk WHERE tokens @@ CAST(:t{n} AS tsquery)"
        for n in range(len(terms))
    ]
    return " INTERSECT ".join(selects), params


def _idf(connection: Connection, terms: Sequence[Term]) -> list[float]:
    """BM25's inverse document frequency of each term (all 1 for a single term: no effect)."""
    if len(terms) == 1:
        return [1.0]
    articles = connection.exec_driver_sql("SELECT count(*) FROM article_search_text").scalar()
    weights = []
    for term in terms:
        having = connection.exec_driver_sql(
            "SELECT count(DISTINCT article_id) FROM article_search_chunk "
            "WHERE tokens @@ CAST(%(q)s AS tsquery)",
            {"q": phrase_query(term)},
        ).scalar()
        n, df = float(articles or 0), float(having or 0)
        weights.append(math.log(1 + (n - df + 0.5) / (df + 0.5)))
    return weights


def hits(connection: Connection, terms: Sequence[Term]) -> Subquery:
    """``(article_id, score)`` of every article matching all ``terms``.

    The score is BM25-like: ``ts_rank`` gives each term a saturating term-frequency weight
    (its log length normalisation punishes long texts far more than BM25 does, so it is left
    off), scaled by the term's inverse document frequency.
    """
    matched, params = _intersection(terms)
    every = " & ".join(f"({phrase_query(term)})" for term in terms)
    any_ = " | ".join(f"({phrase_query(term)})" for term in terms)
    weighted = " + ".join(
        f"ts_rank(tokens, CAST(:t{n} AS tsquery)) * {idf!r}"
        for n, idf in enumerate(_idf(connection, terms))
    )
    statement = text(
        "SELECT article_id, CAST(round(CAST(("
        f"  max(CASE WHEN field = {TITLE} AND tokens @@ CAST(:every AS tsquery) "
        f"      THEN {TITLE_TIER} ELSE 0 END) "
        f"  + sum(({weighted}) * CASE WHEN field = {TITLE} THEN {TITLE_RANK_FACTOR} ELSE 1 END)"
        f") * {SCORE_SCALE} AS numeric)) AS BIGINT) AS score "
        "FROM article_search_chunk "
        f"WHERE article_id IN ({matched}) AND tokens @@ CAST(:any AS tsquery) "
        "GROUP BY article_id"
    ).bindparams(every=every, any=any_, **params)
    return statement.columns(article_id=String, score=Integer).subquery("hits")


def hit_ids(terms: Sequence[Term]) -> Subquery:
    """``(article_id)`` of every article matching all ``terms`` (no scoring)."""
    matched, params = _intersection(terms)
    # A term may match in several chunks of one article.
    statement = text(f"SELECT DISTINCT article_id FROM ({matched}) AS matched").bindparams(**params)
    return statement.columns(article_id=String).subquery("hits")


def stored_texts(connection: Connection, ids: Sequence[str]) -> dict[str, StoredText]:
    """The searched title and text of these articles, as indexed (for snippets)."""
    if not ids:
        return {}
    rows = connection.exec_driver_sql(
        "SELECT article_id, title, body FROM article_search_text WHERE article_id = ANY(%(ids)s)",
        {"ids": list(ids)},
    )
    return {article_id: StoredText(title, body) for article_id, title, body in rows}
