"""Running a search: the matching articles in order, a page at a time, with snippets."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.sql.selectable import Subquery
from sqlmodel import Session, col

from app.db import dialect_name
from app.models import Article
from app.pagination import Keyset, SortKey
from app.queries.articles import summarise, summary_select
from app.queries.filters import ArticleFilter, article_keyset
from app.search import postgres_search, sqlite_search
from app.search.query import Term
from app.search.schemas import SearchHit, SnippetPublic
from app.search.snippets import snippets_of

RELEVANCE = "relevance"
SEARCH_SORTS = (RELEVANCE, "-published_at", "published_at", "-updated_at", "updated_at")


@dataclass
class HitsPage:
    """A page of hits, the sort key of the last one when more follow, and the total."""

    items: list[SearchHit]
    next_key: list[Any] | None
    total: int


def _backend(session: Session) -> Any:
    return postgres_search if dialect_name(session) == "postgresql" else sqlite_search


def search_keyset(sort: str, hits: Subquery) -> Keyset:
    """The order of hits: by score (then id), or one of the article orders."""
    if sort == RELEVANCE:
        return Keyset(
            RELEVANCE,
            (SortKey(hits.c.score, "score", True, int), SortKey(col(Article.id), "id", False, str)),
        )
    return article_keyset(sort)


def _key(keyset: Keyset, article: Article, score: int) -> list[Any]:
    return [
        k.to_json(score if k.attr == "score" else getattr(article, k.attr)) for k in keyset.keys
    ]


def _page_rows(
    session: Session, stmt: Select[Any], keyset: Keyset, after: Sequence[Any] | None, limit: int
) -> list[Any]:
    rows: list[Any] = []
    for where in keyset.segments(after):
        wanted = limit + 1 - len(rows)
        if wanted <= 0:
            break
        query = stmt.where(where).order_by(*keyset.order_by()).limit(wanted)
        rows.extend(session.execute(query).all())
    return rows


def count_hits(session: Session, terms: Sequence[Term], article_filter: ArticleFilter) -> int:
    """Exactly how many articles match ``terms`` and ``article_filter``."""
    ids = _backend(session).hit_ids(terms)
    matching = article_filter.apply(
        select(col(Article.id)).join(ids, ids.c.article_id == col(Article.id))
    )
    return int(session.scalar(select(func.count()).select_from(matching.subquery())) or 0)


def search_articles(
    session: Session,
    *,
    terms: Sequence[Term],
    article_filter: ArticleFilter,
    sort: str,
    after: list[Any] | None,
    limit: int,
) -> HitsPage:
    """One page of the articles matching every term and the filter, in ``sort`` order."""
    backend = _backend(session)
    hits = backend.hits(terms)
    keyset = search_keyset(sort, hits)
    if after is not None:
        after = keyset.parse_key(after)
    stmt = article_filter.apply(
        summary_select().add_columns(hits.c.score).join(hits, hits.c.article_id == Article.id)
    )
    rows = _page_rows(session, stmt, keyset, after, limit)
    next_key = _key(keyset, *rows[limit - 1]) if len(rows) > limit else None
    rows = rows[:limit]
    articles = [row[0] for row in rows]
    texts = backend.stored_texts(session.connection(), [a.id for a in articles])
    items = []
    for summary, (_, score) in zip(summarise(session, articles), rows, strict=True):
        title, body = texts.get(summary.id, (summary.title or "", ""))
        snippets = [
            SnippetPublic(field=s.field, text=s.text, highlights=s.highlights)
            for s in snippets_of(title, body, terms)
        ]
        items.append(
            SearchHit(
                **summary.model_dump(),
                score=score / sqlite_search.SCORE_SCALE,
                snippets=snippets,
            )
        )
    total = count_hits(session, terms, article_filter)
    return HitsPage(items=items, next_key=next_key, total=total)
