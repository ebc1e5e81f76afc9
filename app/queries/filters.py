"""The filters of article lists, shared by ``/articles``, ``/tags/{name}/articles`` and search."""

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.sql.elements import BindParameter
from sqlmodel import col

from app.models import Article, ArticleTag, Byline, Tag
from app.pagination import Keyset, SortKey


@dataclass(frozen=True)
class ArticleFilter:
    """What an article must match to be listed; every given condition must hold."""

    tags: tuple[str, ...] = ()
    collection: str | None = None
    author: str | None = None
    published_after: datetime | None = None
    published_before: datetime | None = None
    include_empty: bool = False

    def __post_init__(self) -> None:
        # A bound without a zone means UTC; stored times are UTC on both databases.
        for name in ("published_after", "published_before"):
            value = getattr(self, name)
            if value is not None:
                aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value
                object.__setattr__(self, name, aware.astimezone(UTC))

    def apply(self, stmt: Select[Any]) -> Select[Any]:
        """``stmt`` (a select over ``article``) narrowed to the matching articles.

        Every value is a named bind (``params()``), so the SQL depends on ``shape()`` alone.
        """
        if not self.include_empty:
            stmt = stmt.where(col(Article.is_empty).is_(False))
        if self.collection is not None:
            stmt = stmt.where(col(Article.collection) == bindparam("collection", self.collection))
        if self.author is not None:
            by_author = select(col(Byline.article_id)).where(
                col(Byline.name) == bindparam("author", self.author)
            )
            stmt = stmt.where(col(Article.id).in_(by_author))
        for i, name in enumerate(dict.fromkeys(self.tags)):
            tagged = (
                select(col(ArticleTag.article_id))
                .join(Tag, col(Tag.id) == col(ArticleTag.tag_id))
                .where(col(Tag.name) == bindparam(f"tag{i}", name))
            )
            stmt = stmt.where(col(Article.id).in_(tagged))
        if self.published_after is not None:
            after: BindParameter[datetime] = bindparam("published_after", self.published_after)
            stmt = stmt.where(col(Article.published_at) >= after)
        if self.published_before is not None:
            before: BindParameter[datetime] = bindparam("published_before", self.published_before)
            stmt = stmt.where(col(Article.published_at) < before)
        return stmt

    def indexed_order(self, sort: str) -> bool:
        """Whether an index of ``article`` gives this filter's rows in ``sort`` order, so that
        a page reads its own rows and no more (``ix_article_published``,
        ``ix_article_collection_published``, ``ix_article_updated``); a tag or an author
        narrows by a subquery whose matches are sorted first."""
        if self.tags or self.author is not None:
            return False
        if sort.lstrip("-") == "published_at":
            return True
        bounded = self.published_after is not None or self.published_before is not None
        return self.collection is None and not bounded

    def shape(self) -> tuple[Any, ...]:
        """What the SQL of ``apply`` depends on: which conditions are given, not their values."""
        return (
            self.include_empty,
            self.collection is not None,
            self.author is not None,
            len(dict.fromkeys(self.tags)),
            self.published_after is not None,
            self.published_before is not None,
        )

    def params(self) -> dict[str, Any]:
        """The values of the named binds of ``apply``."""
        given = {
            "collection": self.collection,
            "author": self.author,
            "published_after": self.published_after,
            "published_before": self.published_before,
        }
        given.update({f"tag{i}": name for i, name in enumerate(dict.fromkeys(self.tags))})
        return {name: value for name, value in given.items() if value is not None}

    def fingerprint(self) -> dict[str, Any]:
        """The filter as plain values: part of a cursor's scope, so a cursor fits one filter."""
        return {
            "tags": sorted(set(self.tags)),
            "collection": self.collection,
            "author": self.author,
            "after": self.published_after.isoformat() if self.published_after else None,
            "before": self.published_before.isoformat() if self.published_before else None,
            "empty": self.include_empty,
        }


@cache  # one per sort value: built on every list request otherwise
def article_keyset(sort: str) -> Keyset:
    """The total order of articles for a ``sort`` value; the article id breaks ties."""
    descending = sort.startswith("-")
    field = sort.lstrip("-")
    if field == "published_at":
        lead = SortKey(
            col(Article.published_at), "published_at", descending, datetime, nullable=True
        )
    elif field == "updated_at":
        lead = SortKey(col(Article.updated_at), "updated_at", descending, datetime)
    else:
        raise ValueError(f"unknown sort {sort!r}")
    return Keyset(sort, (lead, SortKey(col(Article.id), "id", descending, str)))
