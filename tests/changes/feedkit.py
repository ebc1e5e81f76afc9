"""Writing articles and their changes for feed tests, the way a writer would."""

from typing import Any

from api.factory import ArticleSpec, add_article
from sqlalchemy import delete
from sqlalchemy.engine import Engine

from app.articles.mapping import document_hash, load_stored
from app.articles.stored import rebuild_documents
from app.db import unit_of_work
from app.feed import OP_DELETE, OP_UPSERT, record_changes
from app.mirror.apply import apply_documents
from app.models import Article
from app.schemas import content_hash_of


def publish(engine: Engine, *specs: ArticleSpec) -> list[str]:
    """Writes articles, each with an upsert change, in one transaction; returns their ids."""
    with unit_of_work(engine) as session:
        ids = []
        changes: list[tuple[str, str, str | None]] = []
        for spec in specs:
            article_id = add_article(session, spec)
            stored = session.get(Article, article_id)
            assert stored is not None
            changes.append((article_id, OP_UPSERT, stored.content_hash))
            ids.append(article_id)
        record_changes(session, changes)
        return ids


def retitle(engine: Engine, article_id: str, title: str) -> None:
    """Changes an article's title (and hash), recording an upsert."""
    with unit_of_work(engine) as session:
        article = session.get(Article, article_id)
        assert article is not None
        article.title = title
        session.add(article)
        session.flush()
        rows = load_stored(session, [article_id])[article_id]
        article.content_hash = document_hash(rows.document())
        session.add(article)
        session.flush()
        rebuild_documents(session, [article_id])
        record_changes(session, [(article_id, OP_UPSERT, article.content_hash)])


def withdraw(engine: Engine, article_id: str) -> None:
    """Deletes an article, recording a tombstone."""
    with unit_of_work(engine) as session:
        session.execute(delete(Article).where(Article.id == article_id))  # type: ignore[arg-type]
        record_changes(session, [(article_id, OP_DELETE, None)])


def article_document(
    n: int, *, body: str = "正文。", tags: list[tuple[str, str]] | None = None
) -> dict[str, Any]:
    """A whole made-up article as ``ArticlePublic`` JSON, its content hash filled in."""
    doc: dict[str, Any] = {
        "id": f"gnews-{n}",
        "path": f"content/gnews/{n}.md",
        "collection": "gnews",
        "title": f"标题 {n}",
        "summary": None,
        "published_at": "2024-03-04T08:37:00Z",
        "authors": ["水星"],
        "tags": [{"name": name, "kind": kind} for name, kind in tags or []],
        "source": {
            "name": "GNews",
            "url": f"https://gnews.org/articles/{n}",
            "external_id": str(n),
        },
        "updated_at": "2026-01-01T00:00:00Z",
        "bylines": [{"role": "author", "name": "水星", "role_as_written": "作者"}],
        "script": "simplified",
        "is_empty": False,
        "sections": [{"index": 0, "heading": None, "text": body}],
        "links": [
            {"url": "https://example.org/", "text": "例", "section_index": 0, "is_reference": False}
        ],
        "images": [],
        "body_markdown": body,
        "body_text": body,
    }
    doc["content_hash"] = content_hash_of(doc)
    return doc


def publish_many(engine: Engine, numbers: range, *, body: str = "正文。") -> list[str]:
    """Writes many made-up articles quickly through the document writer, each with a change."""
    docs = [article_document(n, body=body) for n in numbers]
    with unit_of_work(engine) as session:
        apply_documents(session, docs)
    return [d["id"] for d in docs]
