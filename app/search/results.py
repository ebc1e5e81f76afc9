"""Running a search: the matching articles in order, a page at a time, with snippets."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Select, func, select
from sqlalchemy.sql.selectable import Subquery
from sqlmodel import Session, col

from app.articles.stored import with_members
from app.models import Article, ArticleStub
from app.pagination import Keyset, Page, SortKey, fetch_page, page_of
from app.queries.articles import summaries
from app.queries.filters import ArticleFilter, article_keyset
from app.search.backend import backend_for
from app.search.indexed_text import StoredText
from app.search.query import Term
from app.search.ranking import SCORE_SCALE, TITLE_TIER
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
            (
                SortKey(hits.c.score, "score", True, int),
                SortKey(hits.c.article_id, "id", False, str),
            ),
        )
    return article_keyset(sort)


def _only_stubs_choice(article_filter: ArticleFilter) -> bool:
    """Whether the filter asks nothing of an article but whether empty stubs count."""
    return article_filter == ArticleFilter(include_empty=article_filter.include_empty)


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
    backend = backend_for(session)
    if _only_stubs_choice(article_filter):  # the index counts its matches without a join
        include_empty = article_filter.include_empty
        return backend.count(session.connection(), terms, include_empty=include_empty)
    ids = backend.hit_ids(terms)
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


def _hits_statement(hits: Subquery, article_filter: ArticleFilter, keyset: Keyset) -> Select[Any]:
    """The filtered hits with the columns ``keyset`` orders by (id, sort keys, score)."""
    if keyset.name == RELEVANCE and _only_stubs_choice(article_filter):
        # The hits hold all the order needs: no join to ``article`` for each of them.
        plain = select(hits.c.article_id.label("id"), hits.c.score)
        if article_filter.include_empty:
            return plain
        return plain.where(hits.c.article_id.not_in(select(col(ArticleStub.article_id))))
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
    return stmt


def _title_page(
    session: Session,
    terms: Sequence[Term],
    article_filter: ArticleFilter,
    after: list[Any] | None,
    limit: int,
) -> Page | None:
    """The relevance page after ``after``, when the hits whose title holds every term fill it.

    Those hits outrank every other (``TITLE_TIER``), so when enough of them follow the cursor
    the page is theirs alone, and only they are scored; ``None`` when the page would reach
    past them (fewer titles than a page and one hold the terms, or the filter or the cursor
    leaves fewer), or the backend scores them for no less than every hit.
    """
    if after is not None and after[0] < TITLE_TIER * SCORE_SCALE:
        return None  # the cursor is already past the title hits
    tier = backend_for(session).title_hits(session.connection(), terms, at_least=limit + 1)
    if tier is None:
        return None
    keyset = search_keyset(RELEVANCE, tier)
    stmt = _hits_statement(tier, article_filter, keyset)
    page = fetch_page(session, stmt, keyset, after=after, limit=limit)
    return page if page.next_key is not None else None


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
    page = _title_page(session, terms, article_filter, after, limit) if sort == RELEVANCE else None
    if page is not None:
        total = count_hits(session, terms, article_filter)
    else:
        stmt = _hits_statement(hits, article_filter, keyset)
        # A window counts the hits the sort holds anyway, unless the index counts them for less.
        apart = backend.cheap_count and _only_stubs_choice(article_filter)
        windowed = after is None and not apart
        first = _first_page_with_total(session, stmt, keyset, limit) if windowed else None
        if first is not None:
            rows, total = first
            page = page_of(rows, keyset, limit)
        else:
            page = fetch_page(session, stmt, keyset, after=after, limit=limit)
            whole = after is None and page.next_key is None  # the first page is every hit
            total = len(page.rows) if whole else count_hits(session, terms, article_filter)
    texts = backend.stored_texts(session.connection(), [row.id for row in page.rows])
    items = _hits(session, texts, page.rows, terms)
    return HitsPage(items=items, next_key=page.next_key, total=total)
