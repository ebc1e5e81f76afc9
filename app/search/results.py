"""Running a search: the matching articles in order, a page at a time, with snippets."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Select, func, select
from sqlalchemy.sql.selectable import Subquery
from sqlmodel import Session, col

from app.articles.stored import with_members
from app.models import Article
from app.pagination import Keyset, SortKey, fetch_page, page_of
from app.queries.articles import summaries
from app.queries.filters import ArticleFilter, article_keyset
from app.search.backend import backend_for
from app.search.indexed_text import StoredText
from app.search.query import Term
from app.search.ranking import SCORE_SCALE
from app.search.snippets import snippets_of

RELEVANCE = "relevance"


@dataclass
class HitsPage:
    """A page of hits (``SearchHit`` JSON), the sort key of the last one when more follow,
    and the total."""

    items: list[bytes]
    next_key: list[Any] | None
    total: int


def search_keyset(sort: str, hits: Subquery) -> Keyset:
    """The order of hits: by score (then id), or one of the article orders."""
    if sort == RELEVANCE:
        return Keyset(
            RELEVANCE,
            (SortKey(hits.c.score, "score", True, int), SortKey(col(Article.id), "id", False, str)),
        )
    return article_keyset(sort)


def _first_page_with_total(
    session: Session, stmt: Select[Any], keyset: Keyset, limit: int
) -> tuple[list[Any], int] | None:
    """The first page and the total in one query, when the order reads a single segment.

    Sorting needs every hit anyway, so counting them in a window costs nearly nothing, where
    a separate count would match the query a second time.
    """
    segments = keyset.segments(None)
    if len(segments) != 1:
        return None
    query = (
        stmt.add_columns(func.count().over().label("total"))
        .where(segments[0])
        .order_by(*keyset.order_by())
        .limit(limit + 1)
    )
    rows = list(session.execute(query).all())
    return rows, (int(rows[0].total) if rows else 0)


def count_hits(session: Session, terms: Sequence[Term], article_filter: ArticleFilter) -> int:
    """Exactly how many articles match ``terms`` and ``article_filter``."""
    ids = backend_for(session).hit_ids(terms)
    matching = article_filter.apply(
        select(col(Article.id)).join(ids, ids.c.article_id == col(Article.id))
    )
    return int(session.scalar(select(func.count()).select_from(matching.subquery())) or 0)


def _snippets(stored: StoredText, terms: Sequence[Term]) -> list[dict[str, Any]]:
    found = snippets_of(stored.title, stored.head, terms)
    if stored.rest is not None and not any(s.field == "body" for s in found):
        found = snippets_of(stored.title, stored.rest(), terms)
    return [{"field": s.field, "text": s.text, "highlights": s.highlights} for s in found]


def _hits(
    session: Session, texts: dict[str, StoredText], rows: list[Any], terms: Sequence[Term]
) -> list[bytes]:
    """The page's rows as ``SearchHit`` JSON: stored summaries + score and snippets."""
    stored = summaries(session, [row.id for row in rows])
    hits = []
    for row in rows:
        summary = stored.get(row.id)
        if summary is None:  # deleted since the page was chosen
            continue
        text = texts.get(row.id) or StoredText(orjson.loads(summary)["title"] or "", "")
        members = {"score": row.score / SCORE_SCALE, "snippets": _snippets(text, terms)}
        hits.append(with_members(summary, members))
    return hits


def search_articles(
    session: Session,
    *,
    terms: Sequence[Term],
    article_filter: ArticleFilter,
    sort: str,
    after: list[Any] | None,
    limit: int,
) -> HitsPage:
    """One page of the articles matching every term and the filter, in ``sort`` order.

    The page is chosen over narrow rows (id, sort keys, score); only its own articles are
    then loaded, so a query with 40,000 hits never reads 40,000 articles.
    """
    backend = backend_for(session)
    hits = backend.hits(session.connection(), terms)
    keyset = search_keyset(sort, hits)
    if after is not None:
        after = keyset.parse_key(after)
    # Only the columns the order needs: an index holds them, the wide article rows are not read.
    sort_columns = [k.column for k in keyset.keys if k.attr not in ("id", "score")]
    stmt = article_filter.apply(
        select(col(Article.id), *sort_columns, hits.c.score).join(
            hits, hits.c.article_id == col(Article.id)
        )
    )
    if article_filter.include_empty:
        # Always true, but it steers SQLite to the covering index that starts (id, is_empty)
        # rather than to the id's own unique index, which would read every hit's article row.
        stmt = stmt.where(col(Article.is_empty).in_([False, True]))
    first = _first_page_with_total(session, stmt, keyset, limit) if after is None else None
    if first is not None:
        rows, total = first
        page = page_of(rows, keyset, limit)
    else:
        page = fetch_page(session, stmt, keyset, after=after, limit=limit)
        total = count_hits(session, terms, article_filter)
    texts = backend.stored_texts(session.connection(), [row.id for row in page.rows])
    items = _hits(session, texts, page.rows, terms)
    return HitsPage(items=items, next_key=page.next_key, total=total)
