"""The one mapping between an article's rows and its public document.

Nothing here lists an article's fields: the tables of ``app/models.py`` and the public
models of ``app/schemas.py`` are the declaration. A column is in the document under its
own name when the public model has a field of that name, or where its ``info["document"]``
says (``source.external_id``); a part table is in the document as the list ``PARTS`` names.
Every writer (ingest, upload, PUT, mirror) turns a document into rows with ``rows_of`` and
every document comes from rows through ``document_of``, so the stored document, the content
hash and what a mirror applies cannot drift apart.

Children are ordered as stored (position / index); tags by (kind, name) in code-point
order, since ``article_tag`` keeps no order of its own.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, TypeAdapter
from sqlalchemy import Boolean, Column, Table, select
from sqlmodel import Session, SQLModel

import app.models  # noqa: F401  (registers the tables on the metadata)
from app.models import UTCDateTime
from app.schemas import (
    NOT_CONTENT,
    ArticlePublic,
    BylinePublic,
    ImagePublic,
    LinkPublic,
    SectionPublic,
)
from app.schemas import content_hash_of as _content_hash_of

Row = dict[str, Any]
TABLES = SQLModel.metadata.tables
ARTICLE = TABLES["article"]

_DATETIME = TypeAdapter(datetime)


@dataclass(frozen=True, slots=True)
class Part:
    """A part table of an article: its list in the document, its public item and its order."""

    attr: str
    table: Table
    public: type[BaseModel]
    order: str


PARTS = (
    Part("bylines", TABLES["byline"], BylinePublic, "position"),
    Part("sections", TABLES["section"], SectionPublic, "index"),
    Part("links", TABLES["cited_link"], LinkPublic, "position"),
    Part("images", TABLES["image"], ImagePublic, "position"),
)
PARTS_BY_ATTR = {part.attr: part for part in PARTS}


def _document_path(column: Column[Any], public: type[BaseModel]) -> tuple[str, ...] | None:
    declared = column.info.get("document")
    if declared:
        return tuple(declared.split("."))
    return (column.name,) if column.name in public.model_fields else None


# Article columns in the document: (column, path in the document).
_ARTICLE_PATHS = [
    (c, p) for c in ARTICLE.columns if (p := _document_path(c, ArticlePublic)) is not None
]


def json_time(value: datetime | None) -> str | None:
    """A timestamp as the API writes it (pydantic's JSON form)."""
    return None if value is None else str(_DATETIME.dump_python(value, mode="json"))


def _to_json(column: Column[Any], value: Any) -> Any:
    if isinstance(column.type, UTCDateTime):
        return json_time(value)
    if isinstance(column.type, Boolean):
        return None if value is None and column.nullable else bool(value)
    if isinstance(value, list):
        return list(value)
    return value


def _from_json(column: Column[Any], value: Any) -> Any:
    if isinstance(column.type, UTCDateTime) and isinstance(value, str):
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(column.type, Boolean):
        return None if value is None and column.nullable else bool(value)
    return value


def _absent(column: Column[Any]) -> Any:
    """What a part's row-only column holds when the document is all there is (a mirror)."""
    return None if column.nullable else column.type.python_type()


def tag_order(tags: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Tags as the document lists them: by kind, then name, without repeats."""
    return sorted(set(tags), key=lambda t: (t[1], t[0]))


@dataclass(slots=True)
class ArticleRows:
    """An article as row dicts (read back from the database, or made from a document)."""

    article: Row
    bylines: list[Row] = field(default_factory=list)
    sections: list[Row] = field(default_factory=list)
    links: list[Row] = field(default_factory=list)
    images: list[Row] = field(default_factory=list)
    tags: list[tuple[str, str]] = field(default_factory=list)

    @property
    def id(self) -> str:
        """The article id."""
        return str(self.article["id"])

    def document(self) -> dict[str, Any]:
        """The content of the public document as it stands (what ``content_hash`` covers)."""
        return {k: v for k, v in document_of(self).items() if k not in NOT_CONTENT}


def _part_item(part: Part, row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        name: _to_json(part.table.c[name], row[name]) if name in part.table.c else None
        for name in part.public.model_fields
    }


def document_of(rows: ArticleRows) -> dict[str, Any]:
    """``ArticlePublic`` as a JSON-mode dict, in its field order.

    ``content_hash`` and ``updated_at`` are whatever the article row holds (None before
    the row is written); ``document_hash`` leaves them out.
    """
    doc: dict[str, Any] = {name: None for name in ArticlePublic.model_fields}
    for column, path in _ARTICLE_PATHS:
        target = doc
        for key in path[:-1]:
            target[key] = target[key] or {}
            target = target[key]
        target[path[-1]] = _to_json(column, rows.article.get(column.name))
    doc["tags"] = [{"name": name, "kind": kind} for name, kind in tag_order(rows.tags)]
    for part in PARTS:
        ordered = sorted(getattr(rows, part.attr), key=lambda r, o=part.order: r[o])  # type: ignore[misc]
        doc[part.attr] = [_part_item(part, row) for row in ordered]
    return doc


def rows_of(
    document: Mapping[str, Any],
    *,
    extras: Mapping[str, Any] | None = None,
    part_extras: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
) -> ArticleRows:
    """The rows of a public document; ``extras`` hold the row-only columns.

    ``extras`` gives the article's row-only columns (``source_hash``, ``lacks``...) and
    ``part_extras[attr][i]`` those of its i-th part (a section's markdown); what neither
    gives is absent (None, or empty for a column that cannot be null). Strings are cut to
    their column's width, so ``document_of(rows_of(d))`` is what the database will hold.
    """
    article: Row = {}
    for column, path in _ARTICLE_PATHS:
        value: Any = document
        for key in path:
            value = (value or {}).get(key)
        article[column.name] = _fit(column, _from_json(column, value))
    for column in ARTICLE.columns:
        if column.name not in article:  # row-only: the writer's (created_at is set on insert)
            article[column.name] = (extras or {}).get(column.name)
    rows = ArticleRows(article)
    rows.tags = [(t["name"], t["kind"]) for t in document.get("tags") or []]
    for part in PARTS:
        more = (part_extras or {}).get(part.attr) or ()
        out = getattr(rows, part.attr)
        for i, item in enumerate(document.get(part.attr) or []):
            row: Row = {"article_id": article["id"], part.order: item.get(part.order, i)}
            for column in part.table.columns:
                if column.name in row:
                    continue
                if column.name in part.public.model_fields:
                    row[column.name] = _fit(column, _from_json(column, item.get(column.name)))
                elif i < len(more) and column.name in more[i]:
                    row[column.name] = more[i][column.name]
                else:
                    row[column.name] = _absent(column)
            out.append(row)
    return rows


def column_width(column: Column[Any]) -> int | None:
    """The most characters a string column holds (None: no limit)."""
    length = getattr(column.type, "length", None)
    return int(length) if length else None


def _fit(column: Column[Any], value: Any) -> Any:
    """A string cut to its column's width (PostgreSQL refuses longer values)."""
    length = column_width(column)
    if length and isinstance(value, str) and len(value) > length:
        return value[:length]
    return value


def document_hash(document: Mapping[str, Any]) -> str:
    """The article's ``content_hash``: ``content_hash_of`` the public document."""
    return _content_hash_of(dict(document))


def load_stored(session: Session, ids: Sequence[str]) -> dict[str, ArticleRows]:
    """Articles and all their parts, read from their rows, by id (unknown ids left out)."""
    found: dict[str, ArticleRows] = {}
    tag, article_tag = TABLES["tag"], TABLES["article_tag"]
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        for row in session.execute(select(ARTICLE).where(ARTICLE.c.id.in_(chunk))):
            found[row.id] = ArticleRows(dict(row._mapping))
        for part in PARTS:
            stmt = select(part.table).where(part.table.c.article_id.in_(chunk))
            for row in session.execute(stmt):
                getattr(found[row.article_id], part.attr).append(dict(row._mapping))
        tag_rows = session.execute(
            select(article_tag.c.article_id, tag.c.name, tag.c.kind)
            .join(tag, tag.c.id == article_tag.c.tag_id)
            .where(article_tag.c.article_id.in_(chunk))
        )
        for article_id, name, kind in tag_rows:
            found[article_id].tags.append((name, kind))
    return found
