"""Totals and facet counts of article lists: from ``article_tally`` when it can answer, exact
counts over the matching articles otherwise.

An unfiltered list (or one narrowed only by collection) is answered from the tally's few
hundred rows and the tags' maintained counts, so a sidebar costs about as much as the page.
Any other filter, and a search's hits, are counted over the matching articles' ids.
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, distinct, func, select
from sqlalchemy.sql.selectable import Subquery
from sqlmodel import Session, col

from app.db import calendar_part, code_point_order
from app.models import Article, ArticleStub, ArticleTag, ArticleTally, Byline, Tag
from app.queries.filters import ArticleFilter

FACETS = ("collection", "year", "month", "tag", "author")
COLUMN_FACETS = ("collection", "year", "month")  # columns of ``article``: the tally's keys


@dataclass(frozen=True, slots=True)
class FacetValue:
    """One value of a facet and how many matching articles have it (``kind``: a tag's)."""

    value: str
    count: int
    kind: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The value as a JSON object (``kind`` only for tags)."""
        out: dict[str, Any] = {"value": self.value, "count": self.count}
        if self.kind is not None:
            out["kind"] = self.kind
        return out


def _tallied(article_filter: ArticleFilter, within: Subquery | None) -> bool:
    """Whether the tally answers for this filter: nothing but a collection and include_empty."""
    f = article_filter
    plain = not f.tags and f.author is None
    return within is None and plain and f.published_after is None and f.published_before is None


def _tally(stmt: Select[Any], article_filter: ArticleFilter) -> Select[Any]:
    if not article_filter.include_empty:
        stmt = stmt.where(col(ArticleTally.is_empty).is_(False))
    if article_filter.collection is not None:
        stmt = stmt.where(col(ArticleTally.collection) == article_filter.collection)
    return stmt


def _matching(
    stmt: Select[Any], article_filter: ArticleFilter, within: Subquery | None
) -> Select[Any]:
    """``stmt`` over ``article`` narrowed to the filter and, for a search, to its hits."""
    if within is not None:
        stmt = stmt.join(within, within.c.article_id == col(Article.id))
    return article_filter.apply(stmt)


def count_articles(
    session: Session, article_filter: ArticleFilter, *, within: Subquery | None = None
) -> int:
    """Exactly how many articles match ``article_filter`` (and are among ``within``'s ids)."""
    if _tallied(article_filter, within):
        total = session.scalar(_tally(select(func.sum(ArticleTally.article_count)), article_filter))
        return int(total or 0)
    ids = _matching(select(col(Article.id)), article_filter, within).subquery()
    return int(session.scalar(select(func.count()).select_from(ids)) or 0)


def named_counts(
    session: Session,
    facet: str,
    article_filter: ArticleFilter,
    *,
    prefix: str | None = None,
    within: Subquery | None = None,
) -> Select[Any]:
    """``(name, article_count)`` of each collection, or each credit line's name (``author``),
    among the matching articles, grouped; only names starting with ``prefix`` when given."""
    if facet == "collection" and _tallied(article_filter, within):
        name: Any = col(ArticleTally.collection)
        n: Any = func.sum(ArticleTally.article_count)
        stmt = _tally(select(name.label("name"), n.label("article_count")), article_filter)
        return _prefixed(stmt, name, prefix).group_by(name).having(n > 0)
    if facet == "collection":
        name, n = col(Article.collection), func.count()
        stmt = _matching(
            select(name.label("name"), n.label("article_count")), article_filter, within
        )
        return _prefixed(stmt, name, prefix).group_by(name)
    if facet != "author":
        raise ValueError(f"not a facet of names: {facet!r}")
    name, n = col(Byline.name), func.count(distinct(col(Byline.article_id)))
    stmt = _prefixed(select(name.label("name"), n.label("article_count")), name, prefix)
    if _tallied(article_filter, within) and article_filter.collection is None:
        # Every article but the few stubs: leaving those out lets the scan follow the
        # (name, article_id) index, where a list of every other id would be looked up row
        # by row and sorted again (half the time on the dev archive's slice).
        if not article_filter.include_empty:
            stubs = select(col(ArticleStub.article_id))
            stmt = stmt.where(col(Byline.article_id).not_in(stubs))
        return stmt.group_by(name)
    ids = _matching(select(col(Article.id)), article_filter, within)
    return stmt.where(col(Byline.article_id).in_(ids)).group_by(name)


def _prefixed(stmt: Select[Any], name: Any, prefix: str | None) -> Select[Any]:
    """Only names starting with ``prefix`` (case-sensitive)."""
    if not prefix:
        return stmt
    # The range lets an index on the name narrow the scan; substr is the exact test.
    return stmt.where(name >= prefix, func.substr(name, 1, len(prefix)) == prefix)


def _top(session: Session, stmt: Select[Any], size: int, *, text: bool) -> list[FacetValue]:
    """The (value, count) rows of ``stmt`` (ordered, limited here) as facet values.

    Ties go by value, text in code point order on both databases.
    """
    value: Any
    value, count = list(stmt.selected_columns)
    if text:
        value = code_point_order(value, session)
    rows = session.execute(stmt.order_by(count.desc(), value).limit(size)).all()
    return [FacetValue(str(v), int(n)) for v, n in rows if n]


def _tally_facet(
    session: Session, facet: str, article_filter: ArticleFilter, size: int
) -> list[FacetValue]:
    n = func.sum(ArticleTally.article_count)
    year, month = col(ArticleTally.year), col(ArticleTally.month)
    if facet == "collection":
        return _top(session, named_counts(session, facet, article_filter), size, text=True)
    if facet == "year":
        stmt = select(year, n).where(year > 0).group_by(year)
    else:  # month: one value per year and month, "2024-03"
        key = year * 100 + month
        stmt = select(key, n).where(year > 0).group_by(year, month)
    found = _top(session, _tally(stmt.having(n > 0), article_filter), size, text=False)
    return found if facet != "month" else [_month(v) for v in found]


def _month(value: FacetValue) -> FacetValue:
    number = int(value.value)
    return FacetValue(f"{number // 100:04d}-{number % 100:02d}", value.count)


def _column_facets(
    session: Session,
    facets: Sequence[str],
    article_filter: ArticleFilter,
    within: Subquery | None,
    size: int,
) -> dict[str, list[FacetValue]]:
    """The collection, year and month facets counted over the matching articles at once.

    One grouped query by (collection, year, month) serves all three: a search's query is
    matched once, not once per facet.
    """
    year = calendar_part("year", col(Article.published_at), session)
    month = calendar_part("month", col(Article.published_at), session)
    collection = col(Article.collection)
    stmt = _matching(select(collection, year, month, func.count()), article_filter, within)
    counts: dict[str, Counter[str]] = {facet: Counter() for facet in facets}
    for name, y, m, n in session.execute(stmt.group_by(collection, year, month)):
        counts.setdefault("collection", Counter())[name] += n
        if y is not None:
            counts.setdefault("year", Counter())[f"{y:04d}"] += n
            counts.setdefault("month", Counter())[f"{y:04d}-{m:02d}"] += n
    return {facet: _ranked(counts[facet], size) for facet in facets}


def _ranked(counts: Counter[str], size: int) -> list[FacetValue]:
    """The ``size`` most frequent values, ties by value in code point order."""
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:size]
    return [FacetValue(value, n) for value, n in top if n]


def _counted_facet(
    session: Session,
    facet: str,
    article_filter: ArticleFilter,
    within: Subquery | None,
    size: int,
) -> list[FacetValue]:
    """The author or tag facet counted over the matching articles."""
    if facet == "author":
        stmt = named_counts(session, facet, article_filter, within=within)
        return _top(session, stmt, size, text=True)
    ids = _matching(select(col(Article.id)), article_filter, within)
    per_tag = select(col(ArticleTag.tag_id), func.count()).where(
        col(ArticleTag.article_id).in_(ids)
    )
    return _tag_facet(session, per_tag, size)


def _tag_facet(session: Session, counts: Select[Any], size: int) -> list[FacetValue]:
    """The ``size`` tags with the most articles, from ``(tag_id, count)`` rows (grouped here)."""
    tag_id, n = list(counts.selected_columns)
    per_tag = counts.group_by(tag_id).subquery()
    stmt = (
        select(col(Tag.name), col(Tag.kind), per_tag.c[n.name])
        .join(per_tag, per_tag.c[tag_id.name] == col(Tag.id))
        .order_by(per_tag.c[n.name].desc(), code_point_order(col(Tag.name), session), col(Tag.kind))
        .limit(size)
    )
    return [FacetValue(name, int(c), kind) for name, kind, c in session.execute(stmt)]


def _maintained_tag_facet(
    session: Session, article_filter: ArticleFilter, size: int
) -> list[FacetValue]:
    """Top tags from ``tag.article_count``, less what empty articles contribute when they are
    left out: read enough of the top to rank every tag whose count they lower."""
    empty: dict[int, int] = {}
    if not article_filter.include_empty:
        stubs = select(col(ArticleStub.article_id))
        rows = session.execute(
            select(col(ArticleTag.tag_id), func.count())
            .where(col(ArticleTag.article_id).in_(stubs))
            .group_by(col(ArticleTag.tag_id))
        )
        empty = {int(t): int(c) for t, c in rows}
    stmt = (
        select(col(Tag.id), col(Tag.name), col(Tag.kind), col(Tag.article_count))
        .where(col(Tag.article_count) > 0)
        .order_by(
            col(Tag.article_count).desc(), code_point_order(col(Tag.name), session), col(Tag.kind)
        )
        .limit(size + len(empty))
    )
    ranked = [
        FacetValue(name, int(count) - empty.get(int(tag_id), 0), kind)
        for tag_id, name, kind, count in session.execute(stmt)
    ]
    ranked.sort(key=lambda v: (-v.count, v.value, v.kind or ""))
    return [v for v in ranked if v.count > 0][:size]


def facet_counts(
    session: Session,
    article_filter: ArticleFilter,
    facets: Sequence[str],
    *,
    size: int,
    within: Subquery | None = None,
) -> dict[str, list[dict[str, Any]]]:
    """For each of ``facets``, its ``size`` most frequent values among the matching articles.

    Articles without a publication time have no ``year`` or ``month``.
    """
    wanted = list(dict.fromkeys(facets))
    unknown = [facet for facet in wanted if facet not in FACETS]
    if unknown:
        raise ValueError(f"unknown facets {unknown!r}")
    tallied = _tallied(article_filter, within)
    columns = [facet for facet in wanted if facet in COLUMN_FACETS]
    found: dict[str, list[FacetValue]] = {}
    if tallied:
        found |= {facet: _tally_facet(session, facet, article_filter, size) for facet in columns}
    elif columns:
        found |= _column_facets(session, columns, article_filter, within, size)
    for facet in wanted:
        if facet in columns:
            continue
        if tallied and facet == "tag" and article_filter.collection is None:
            found[facet] = _maintained_tag_facet(session, article_filter, size)
        else:
            found[facet] = _counted_facet(session, facet, article_filter, within, size)
    return {facet: [v.as_json() for v in found[facet]] for facet in wanted}
