"""Search on PostgreSQL: ``tsquery`` phrases over the token chunks, ranked by BM25."""

from collections.abc import Sequence

from sqlalchemy import Integer, String, text
from sqlalchemy.engine import Connection
from sqlalchemy.sql.selectable import Subquery

from app.search.indexed_text import StoredText
from app.search.postgres_index import TITLE, lexeme_literal
from app.search.query import Term
from app.search.ranking import (
    BODY_WEIGHT,
    K1,
    MIN_IDF,
    SCORE_SCALE,
    TITLE_TIER,
    TITLE_WEIGHT,
    B,
)
from app.search.segmenting import query_characters

# ``ts_rank_cd`` adds, for each occurrence of a phrase query (a "cover"), its length over
# the sum of its positions' inverse weights: 1 when every weight is 1, 0 when one of them
# is 0. With these weights {D, C, B, A} it counts occurrences. A chunk's head (weight B)
# repeats the end of the chunk before, so the occurrences wholly inside it are taken off
# again. tests/search/test_ranking.py holds PostgreSQL to the exact counts.
_ALL_OCCURRENCES = "{1,0,1,0}"
_HEAD_OCCURRENCES = "{0,0,1,0}"
_ONE_OCCURRENCE = "{1,1,1,1}"


def phrase_query(term: Term, *, weight: str = "") -> str:
    """One term as ``tsquery`` input: its characters and words in a row, ``'a' <-> 'b'``;
    with ``weight``, each of them at that weight only (``'a':B <-> 'b':B``)."""
    parts: list[str] = []
    for lexeme, distance in query_characters(term.folded):
        if parts:
            parts.append("<->" if distance == 1 else f"<{distance}>")
        parts.append(lexeme_literal(lexeme) + (f":{weight}" if weight else ""))
    return " ".join(parts)


def head_query(term: Term) -> str:
    """The term's phrase at weight B: it matches a chunk only where an occurrence lies
    wholly inside the chunk's head (the positions it repeats from the chunk before)."""
    return phrase_query(term, weight="B")


def phrase_vector(term: Term) -> str:
    """The term's phrase alone as ``tsvector`` input: what one occurrence of it scores.

    That is 1, except for a phrase spanning punctuation between CJK runs (``<2>``).
    """
    positions: dict[str, list[str]] = {}
    at = 0
    for lexeme, distance in query_characters(term.folded):
        at += distance
        positions.setdefault(lexeme, []).append(str(at))
    return " ".join(f"{lexeme_literal(lex)}:{','.join(pos)}" for lex, pos in positions.items())


def _intersection(terms: Sequence[Term]) -> tuple[str, dict[str, str]]:
    """SQL of the article ids holding every term (each term may sit in another chunk)."""
    params = {f"t{n}": phrase_query(term) for n, term in enumerate(terms)}
    selects = [
        f"SELECT article_id FROM article_search_chunk WHERE tokens @@ CAST(:t{n} AS tsquery)"
        for n in range(len(terms))
    ]
    return " INTERSECT ".join(selects), params


# avg(token_count) is this same numeric division of the sum by the count; sums over the one
# row are zeros when it is missing.
_STATS = (
    "stats AS MATERIALIZED (SELECT CAST(coalesce(sum(articles), 0) AS float8) AS n, "
    "  CAST(sum(tokens) / NULLIF(sum(articles), 0) AS float8) AS avgdl "
    "  FROM article_search_total)"
)


def _score_sql(count: int, frequency: str) -> str:
    """The integer score of a ``found`` article: BM25 with ``{frequency}.n<i>`` articles
    holding term i, plus the title tier."""
    bm25 = " + ".join(
        f"greatest(ln((stats.n - {frequency}.n{i} + 0.5) / ({frequency}.n{i} + 0.5)), "
        f"{MIN_IDF}) * found.f{i} * {K1 + 1} / "
        f"(found.f{i} + {K1} * (1 - {B} + {B} * length.token_count / stats.avgdl))"
        for i in range(count)
    )
    in_title = " AND ".join(f"found.title{i}" for i in range(count))
    return (
        f"CAST(round(CAST((CASE WHEN {in_title} THEN {TITLE_TIER} ELSE 0 END + {bm25}"
        f") * {SCORE_SCALE} AS numeric)) AS BIGINT)"
    )


def _counted_sql(count: int, among: str = "") -> str:
    """Each term's occurrences per article (``f<i>``, title occurrences weighted; ``title<i>``,
    whether its title holds one; ``m<i>``, whether it holds one), counted in one pass over
    the chunks holding any term (``among``: of these articles only).

    ``OFFSET 0`` keeps the counts in the scan, so the wide vectors are read once, each
    function runs once per chunk, and no vector travels into a sort; unlike a materialized
    CTE, it leaves the planner the statistics of ``article_search_chunk.article_id``, so it
    expects thousands of hits for a common term and joins the lengths and the articles by
    hashing, not by one index probe per hit.
    """
    n = range(count)
    query = [f"CAST(:t{i} AS tsquery)" for i in n]
    # The head's occurrences are counted only in a chunk whose head holds one (``:h<n>``,
    # ``head_query``): most heads hold none, and that match costs far less than a count.
    occurrences = ", ".join(
        f"CAST(ts_rank_cd('{_ALL_OCCURRENCES}', tokens, {query[i]}) AS float8) - CASE WHEN "
        f"chunk > 0 AND tokens @@ CAST(:h{i} AS tsquery) "
        f"THEN ts_rank_cd('{_HEAD_OCCURRENCES}', tokens, {query[i]}) ELSE 0 END AS c{i}"
        for i in n
    )
    per_article = ", ".join(
        f"sum(c{i} * CASE WHEN field = {TITLE} THEN {TITLE_WEIGHT} ELSE {BODY_WEIGHT} END) / "
        f"ts_rank_cd('{_ONE_OCCURRENCE}', CAST(:v{i} AS tsvector), {query[i]}) AS f{i}, "
        f"sum(c{i}) > 0 AS m{i}, "
        f"coalesce(sum(c{i}) FILTER (WHERE field = {TITLE}), 0) > 0 AS title{i}"
        for i in n
    )
    among = f" AND article_id IN ({among})" if among else ""
    return (
        f"SELECT article_id, {per_article} FROM ("
        f"  SELECT article_id, field, {occurrences} FROM article_search_chunk "
        f"   WHERE tokens @@ CAST(:any AS tsquery){among} OFFSET 0) AS counted "
        "GROUP BY article_id"
    )


def _bm25_sql(count: int) -> str:
    """The scoring statement for ``count`` terms (parameters ``:t<n>``, ``:h<n>``, ``:v<n>``,
    ``:any``): ``_counted_sql``'s counts give BM25's term frequencies; counting the articles
    that hold each term gives its document frequency. The article's length comes from
    ``article_search_length``, the index's size and total length from the one row of
    ``article_search_total`` (kept by triggers, migration 0013).

    One term: every article counted holds it, so a window over them counts its document
    frequency. Several: which articles hold which term is matched first (``held``, no
    counting), and only the articles holding every term are counted, so a rare term paired
    with one most articles hold (``别针 作者``) does not rank every chunk of the common one.
    """
    if count == 1:
        return (
            f"WITH {_STATS} "
            f"SELECT found.article_id AS article_id, {_score_sql(1, 'found')} AS score "
            f"FROM (SELECT *, CAST(count(*) OVER () AS float8) AS n0 "
            f"  FROM ({_counted_sql(1)}) AS summed WHERE m0) AS found "
            "JOIN article_search_length AS length ON length.article_id = found.article_id "
            "CROSS JOIN stats"
        )
    n = range(count)
    held = ", ".join(f"bool_or(tokens @@ CAST(:t{i} AS tsquery)) AS m{i}" for i in n)
    frequency = ", ".join(f"CAST(count(*) FILTER (WHERE m{i}) AS float8) AS n{i}" for i in n)
    every = " AND ".join(f"m{i}" for i in n)
    return (
        f"WITH {_STATS}, "
        f"held AS MATERIALIZED (SELECT article_id, {held} FROM article_search_chunk "
        "  WHERE tokens @@ CAST(:any AS tsquery) GROUP BY article_id), "
        f"frequency AS MATERIALIZED (SELECT {frequency} FROM held) "
        f"SELECT found.article_id AS article_id, {_score_sql(count, 'frequency')} AS score "
        f"FROM ({_counted_sql(count, f'SELECT article_id FROM held WHERE {every}')}) AS found "
        "JOIN article_search_length AS length ON length.article_id = found.article_id "
        "CROSS JOIN stats CROSS JOIN frequency"
    )


def hits(connection: Connection, terms: Sequence[Term]) -> Subquery:
    """``(article_id, score)`` of every article matching all ``terms``: BM25 + title tier.

    The same score as SQLite's (``app.search.ranking``), computed from the chunks.
    """
    del connection  # the statistics are read inside the statement, in its snapshot
    params = {f"t{i}": phrase_query(term) for i, term in enumerate(terms)}
    params |= {f"h{i}": head_query(term) for i, term in enumerate(terms)}
    params |= {f"v{i}": phrase_vector(term) for i, term in enumerate(terms)}
    params["any"] = " | ".join(f"({phrase_query(term)})" for term in terms)
    statement = text(_bm25_sql(len(terms))).bindparams(**params)
    return statement.columns(article_id=String, score=Integer).subquery("hits")


def hit_ids(terms: Sequence[Term]) -> Subquery:
    """``(article_id)`` of every article matching all ``terms`` (no scoring)."""
    matched, params = _intersection(terms)
    # A term may match in several chunks of one article.
    statement = text(f"SELECT DISTINCT article_id FROM ({matched}) AS matched").bindparams(**params)
    return statement.columns(article_id=String).subquery("hits")


def title_hits(connection: Connection, terms: Sequence[Term], *, at_least: int) -> None:
    """None: the score reads every candidate chunk anyway, so title hits cost as much apart."""
    del connection, terms, at_least


def count(connection: Connection, terms: Sequence[Term], *, include_empty: bool) -> int:
    """How many articles match every term, the empty stubs left out unless ``include_empty``."""
    matched, params = _intersection(terms)
    stubs = "" if include_empty else " EXCEPT SELECT article_id FROM article_stub"
    # A term may match in several chunks of one article (one term is no INTERSECT).
    statement = text(
        f"SELECT count(DISTINCT article_id) FROM ({matched}{stubs}) AS matched"
    ).bindparams(**params)
    return int(connection.execute(statement).scalar_one())


def stored_texts(connection: Connection, ids: Sequence[str]) -> dict[str, StoredText]:
    """The searched title and text of these articles, as indexed (for snippets)."""
    if not ids:
        return {}
    rows = connection.exec_driver_sql(
        "SELECT article_id, title, body FROM article_search_text WHERE article_id = ANY(%(ids)s)",
        {"ids": list(ids)},
    )
    return {article_id: StoredText(title, body) for article_id, title, body in rows}
