"""Articles written straight into the tables, for read-side tests that need no parser."""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import count

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.articles.mapping import document_hash, load_stored
from app.articles.stored import rebuild_documents
from app.db import unit_of_work
from app.models import Article, ArticleTag, Byline, CitedLink, Image, Section, Tag

_serial = count(1)


@dataclass
class ArticleSpec:
    """What a test article holds; unspecified fields get plain made-up values."""

    id: str = ""
    collection: str = "gnews"
    title: str | None = None
    published_at: datetime | None = None
    updated_at: datetime | None = None
    authors: list[str] = field(default_factory=list)
    tags: list[tuple[str, str]] = field(default_factory=list)  # (name, kind)
    body: str = "正文。"
    is_empty: bool = False


def when(day: int, hour: int = 0) -> datetime:
    """A fixed UTC time in March 2024, for readable test data."""
    return datetime(2024, 3, day, hour, tzinfo=UTC)


def add_article(session: Session, spec: ArticleSpec) -> str:
    """Inserts one article with its bylines, tags, one section, link and image; returns its id."""
    n = next(_serial)
    article_id = spec.id or f"{spec.collection}-{n:06d}"
    path = f"content/{article_id.replace('-', '/', 1)}.md"
    updated = spec.updated_at or datetime(2026, 1, 1, tzinfo=UTC)
    article = Article(
        id=article_id,
        path=path,
        collection=spec.collection,
        title=spec.title if spec.title is not None else f"标题 {n}",
        summary=None,
        published_at=spec.published_at,
        published_precision="meta" if spec.published_at else None,
        authors=list(spec.authors),
        source_name="GNews",
        source_url=f"https://gnews.org/articles/{n}",
        source_external_id=str(n),
        script="simplified",
        is_empty=spec.is_empty,
        body_markdown="" if spec.is_empty else spec.body,
        body_text="" if spec.is_empty else spec.body,
        content_hash="0" * 64,
        source_hash=f"{n:064d}",
        size_bytes=len(spec.body.encode()),
        created_at=updated,
        updated_at=updated,
    )
    session.add(article)
    for position, name in enumerate(spec.authors):
        session.add(Byline(article_id=article_id, position=position, role="author", name=name))
    if not spec.is_empty:
        session.add(
            Section(
                article_id=article_id, index=0, heading=None, markdown=spec.body, text=spec.body
            )
        )
        session.add(
            CitedLink(
                article_id=article_id,
                position=0,
                url="https://example.org/",
                text="例",
                section_index=0,
            )
        )
        session.add(
            Image(
                article_id=article_id,
                position=0,
                url="https://example.org/a.png",
                alt="",
                caption="图",
            )
        )
    for name, kind in spec.tags:
        tag = session.scalars(select(Tag).where(Tag.name == name, Tag.kind == kind)).first()
        if tag is None:
            tag = Tag(name=name, kind=kind, article_count=0)
            session.add(tag)
            session.flush()
        tag.article_count += 1
        session.add(ArticleTag(article_id=article_id, tag_id=tag.id))
    session.flush()
    # The stored hash is the one a reader would compute over the served document.
    article.content_hash = document_hash(load_stored(session, [article_id])[article_id].document())
    session.flush()
    rebuild_documents(session, [article_id])
    return article_id


def add_articles(engine: Engine, specs: list[ArticleSpec]) -> list[str]:
    """Inserts ``specs`` in one transaction; returns their ids in order."""
    with unit_of_work(engine) as session:
        return [add_article(session, spec) for spec in specs]
