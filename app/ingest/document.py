"""The public document of an article (``ArticlePublic`` in JSON mode) built from its rows.

One function builds it, from the same row dicts the ingest writes and the database returns,
so the ``content_hash`` stored at ingest is the hash of what the API serves and of what a
mirror receives. Children are ordered as stored (position / index); tags by (kind, name)
in code-point order, since ``article_tag`` keeps no order of its own.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import select
from sqlmodel import Session, SQLModel

import app.models  # noqa: F401  (registers the tables on the metadata)
from app.schemas import content_hash_of

Row = dict[str, Any]

_DATETIME = TypeAdapter(datetime)
TABLES = SQLModel.metadata.tables
# The parts of an article: attribute of ``ArticleRows`` -> table.
PART_TABLES = {"bylines": "byline", "sections": "section", "links": "cited_link", "images": "image"}

ARTICLE_FIELDS = (
    "id", "path", "collection", "title", "summary", "published_at", "published_precision",
    "authors", "source_name", "source_url", "source_external_id", "script", "is_empty",
    "body_markdown", "body_text", "content_hash", "source_hash", "size_bytes", "lacks",
    "created_at", "updated_at",
)  # fmt: skip


def json_time(value: datetime | None) -> str | None:
    """A timestamp as the API writes it (pydantic's JSON form)."""
    return None if value is None else str(_DATETIME.dump_python(value, mode="json"))


def tag_order(tags: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Tags as the document lists them: by kind, then name, without repeats."""
    return sorted(set(tags), key=lambda t: (t[1], t[0]))


def article_document(
    article: Mapping[str, Any],
    *,
    bylines: Sequence[Mapping[str, Any]],
    tags: Iterable[tuple[str, str]],
    sections: Sequence[Mapping[str, Any]],
    links: Sequence[Mapping[str, Any]],
    images: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """``ArticlePublic`` as a JSON-mode dict, without ``content_hash`` and ``updated_at``."""
    return {
        "id": article["id"],
        "path": article["path"],
        "collection": article["collection"],
        "title": article["title"],
        "summary": article["summary"],
        "published_at": json_time(article["published_at"]),
        "authors": list(article["authors"]),
        "tags": [{"name": name, "kind": kind} for name, kind in tag_order(tags)],
        "source": {
            "name": article["source_name"],
            "url": article["source_url"],
            "external_id": article["source_external_id"],
        },
        "bylines": [
            {"role": b["role"], "name": b["name"], "role_as_written": b["role_as_written"]}
            for b in sorted(bylines, key=lambda b: b["position"])
        ],
        "script": article["script"],
        "is_empty": bool(article["is_empty"]),
        "sections": [
            {"index": s["index"], "heading": s["heading"], "text": s["text"]}
            for s in sorted(sections, key=lambda s: s["index"])
        ],
        "links": [
            {
                "url": link["url"],
                "text": link["text"],
                "section_index": link["section_index"],
                "is_reference": bool(link["is_reference"]),
            }
            for link in sorted(links, key=lambda link: link["position"])
        ],
        "images": [
            {"url": i["url"], "alt": i["alt"], "caption": i["caption"]}
            for i in sorted(images, key=lambda i: i["position"])
        ],
        "body_markdown": article["body_markdown"],
        "body_text": article["body_text"],
    }


def document_hash(document: Mapping[str, Any]) -> str:
    """The article's ``content_hash``: ``content_hash_of`` the public document."""
    return content_hash_of(dict(document))


@dataclass(slots=True)
class ArticleRows:
    """An article as row dicts (read back from the database, or prepared from a file),
    ready to rebuild its public document."""

    article: Row
    bylines: list[Row] = field(default_factory=list)
    sections: list[Row] = field(default_factory=list)
    links: list[Row] = field(default_factory=list)
    images: list[Row] = field(default_factory=list)
    tags: list[tuple[str, str]] = field(default_factory=list)

    def document(self) -> dict[str, Any]:
        """The public document of this article as it stands."""
        return article_document(
            self.article,
            bylines=self.bylines,
            tags=self.tags,
            sections=self.sections,
            links=self.links,
            images=self.images,
        )


def load_stored(session: Session, ids: Sequence[str]) -> dict[str, ArticleRows]:
    """Articles and all their parts, by id (ids that do not exist are left out)."""
    found: dict[str, ArticleRows] = {}
    article, tag, article_tag = TABLES["article"], TABLES["tag"], TABLES["article_tag"]
    for chunk in _chunks(list(ids), 500):
        for row in session.execute(select(article).where(article.c.id.in_(chunk))):
            found[row.id] = ArticleRows(dict(row._mapping))
        for attr, name in PART_TABLES.items():
            part = TABLES[name]
            for row in session.execute(select(part).where(part.c.article_id.in_(chunk))):
                getattr(found[row.article_id], attr).append(dict(row._mapping))
        tag_rows = session.execute(
            select(article_tag.c.article_id, tag.c.name, tag.c.kind)
            .join(tag, tag.c.id == article_tag.c.tag_id)
            .where(article_tag.c.article_id.in_(chunk))
        )
        for article_id, name, kind in tag_rows:
            found[article_id].tags.append((name, kind))
    return found


def load_document(session: Session, article_id: str) -> dict[str, Any] | None:
    """The public document of one stored article (without content_hash/updated_at)."""
    stored = load_stored(session, [article_id]).get(article_id)
    return None if stored is None else stored.document()


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
