"""Tags: the list with counts, paged by keyset, and whether a tag name exists."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlmodel import Session, col

from app.models import Tag
from app.pagination import Keyset, SortKey, fetch_page


def tag_keyset(sort: str) -> Keyset:
    """The total order of tags for a ``sort`` value: by count (ties by name) or by name."""
    name = SortKey(col(Tag.name), "name", False, str)
    kind = SortKey(col(Tag.kind), "kind", False, str)
    if sort == "-count":
        return Keyset(
            sort, (SortKey(col(Tag.article_count), "article_count", True, int), name, kind)
        )
    if sort == "name":
        return Keyset(sort, (name, kind))
    raise ValueError(f"unknown sort {sort!r}")


@dataclass(frozen=True, slots=True)
class CountedTag:
    """A tag and how many articles carry it."""

    name: str
    kind: str
    count: int


@dataclass
class TagPage:
    """A page of tags and the sort key of its last one when more follow."""

    tags: list[CountedTag]
    next_key: list[Any] | None


def list_tags(
    session: Session,
    *,
    prefix: str | None,
    kind: str | None,
    keyset: Keyset,
    after: list[Any] | None,
    limit: int,
) -> TagPage:
    """Tags carried by at least one article; optionally only those with ``prefix``, of ``kind``."""
    stmt = _listed(select(col(Tag.name), col(Tag.kind), col(Tag.article_count)), prefix, kind)
    page = fetch_page(session, stmt, keyset, after=after, limit=limit)
    tags = [CountedTag(row.name, row.kind, row.article_count) for row in page.rows]
    return TagPage(tags=tags, next_key=page.next_key)


def _listed(stmt: Select[Any], prefix: str | None, kind: str | None) -> Select[Any]:
    """``stmt`` over ``tag`` narrowed to the tags ``/tags`` lists."""
    stmt = stmt.where(col(Tag.article_count) > 0)
    if prefix:
        # The range lets an index on name narrow the scan; substr is the exact, case-sensitive test.
        stmt = stmt.where(col(Tag.name) >= prefix, func.substr(Tag.name, 1, len(prefix)) == prefix)
    if kind is not None:
        stmt = stmt.where(col(Tag.kind) == kind)
    return stmt


def count_tags(session: Session, *, prefix: str | None, kind: str | None) -> int:
    """How many tags ``/tags`` lists for ``prefix`` and ``kind``, over all pages."""
    return int(session.scalar(_listed(select(func.count()).select_from(Tag), prefix, kind)) or 0)


def tag_exists(session: Session, *, name: str) -> bool:
    """Whether any tag (meta or entity) has this name."""
    return session.scalar(select(col(Tag.id)).where(col(Tag.name) == name).limit(1)) is not None
