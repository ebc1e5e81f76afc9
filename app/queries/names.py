"""Lists of named groups of articles, with counts: collections and authors (credit lines).

A page is read by keyset over the grouped counts (``counts.named_counts``), so it takes the
same filters as an article list and counts what that list would hold.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.sql.selectable import Subquery
from sqlmodel import Session, col

from app.models import Byline
from app.pagination import Keyset, SortKey, fetch_page
from app.queries.counts import named_counts
from app.queries.filters import ArticleFilter


@dataclass(frozen=True, slots=True)
class CountedName:
    """A collection or author and how many matching articles it has."""

    name: str
    count: int


@dataclass
class NamePage:
    """A page of counted names and the sort key of its last one when more follow."""

    names: list[CountedName]
    next_key: list[Any] | None


def names_keyset(sort: str, counted: Subquery) -> Keyset:
    """The order of counted names: most articles first (ties by name), or by name."""
    name = SortKey(counted.c.name, "name", False, str)
    if sort == "-count":
        return Keyset(sort, (SortKey(counted.c.article_count, "article_count", True, int), name))
    if sort == "name":
        return Keyset(sort, (name,))
    raise ValueError(f"unknown sort {sort!r}")


def list_names(
    session: Session,
    *,
    facet: str,
    article_filter: ArticleFilter,
    prefix: str | None,
    sort: str,
    after: list[Any] | None,
    limit: int,
) -> NamePage:
    """One page of the collections or authors of the matching articles, with their counts."""
    counted = named_counts(session, facet, article_filter, prefix=prefix).subquery("counted")
    keyset = names_keyset(sort, counted)
    if after is not None:
        after = keyset.parse_key(after)
    stmt = select(counted.c.name, counted.c.article_count)
    page = fetch_page(session, stmt, keyset, after=after, limit=limit)
    names = [CountedName(row.name, int(row.article_count)) for row in page.rows]
    return NamePage(names=names, next_key=page.next_key)


def count_names(
    session: Session, *, facet: str, article_filter: ArticleFilter, prefix: str | None
) -> int:
    """How many collections or authors ``list_names`` gives over all pages."""
    counted = named_counts(session, facet, article_filter, prefix=prefix).subquery("counted")
    return int(session.scalar(select(func.count()).select_from(counted)) or 0)


def author_exists(session: Session, *, name: str) -> bool:
    """Whether any article has a credit line of this name."""
    found = select(col(Byline.article_id)).where(col(Byline.name) == name).limit(1)
    return session.scalar(found) is not None
