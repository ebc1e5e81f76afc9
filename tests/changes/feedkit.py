"""Writing articles and their changes for feed tests, the way a writer would."""

from api.factory import ArticleSpec, add_article
from sqlalchemy import delete
from sqlalchemy.engine import Engine

from app.db import unit_of_work
from app.feed import OP_DELETE, OP_UPSERT, record_change
from app.models import Article
from app.queries.articles import get_article
from app.schemas import content_hash_of


def publish(engine: Engine, *specs: ArticleSpec) -> list[str]:
    """Writes articles, each with an upsert change, in one transaction; returns their ids."""
    with unit_of_work(engine) as session:
        ids = []
        for spec in specs:
            article_id = add_article(session, spec)
            stored = session.get(Article, article_id)
            assert stored is not None
            record_change(
                session, article_id=article_id, op=OP_UPSERT, content_hash=stored.content_hash
            )
            ids.append(article_id)
        return ids


def retitle(engine: Engine, article_id: str, title: str) -> None:
    """Changes an article's title (and hash), recording an upsert."""
    with unit_of_work(engine) as session:
        article = session.get(Article, article_id)
        assert article is not None
        article.title = title
        session.add(article)
        session.flush()
        served = get_article(session, article_id=article_id).model_dump(mode="json")
        article.content_hash = content_hash_of(served)
        session.add(article)
        record_change(
            session, article_id=article_id, op=OP_UPSERT, content_hash=article.content_hash
        )


def withdraw(engine: Engine, article_id: str) -> None:
    """Deletes an article, recording a tombstone."""
    with unit_of_work(engine) as session:
        session.execute(delete(Article).where(Article.id == article_id))  # type: ignore[arg-type]
        record_change(session, article_id=article_id, op=OP_DELETE, content_hash=None)
