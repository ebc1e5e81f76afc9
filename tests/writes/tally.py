"""The article tally and stub list against the articles: what every writer must keep equal."""

from collections import Counter

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from app.models import Article, ArticleStub, ArticleTally


def tally_of_articles(engine: Engine) -> Counter[tuple[str, int, int, bool]]:
    """(collection, year, month, is_empty) -> articles, counted here from the articles."""
    with Session(engine) as session:
        rows = session.execute(
            select(col(Article.collection), col(Article.published_at), col(Article.is_empty))
        ).all()
    return Counter((c, p.year if p else 0, p.month if p else 0, bool(e)) for c, p, e in rows)


def stored_tally(engine: Engine) -> Counter[tuple[str, int, int, bool]]:
    """The ``article_tally`` rows with a count (rows may reach 0 and stay)."""
    with Session(engine) as session:
        rows = session.execute(select(ArticleTally)).scalars().all()
    return Counter(
        {
            (r.collection, r.year, r.month, bool(r.is_empty)): r.article_count
            for r in rows
            if r.article_count
        }
    )


def assert_tally_right(engine: Engine) -> None:
    """The tally holds exactly the counts of the stored articles, the stub list their stubs."""
    assert stored_tally(engine) == tally_of_articles(engine)
    with Session(engine) as session:
        stubs = set(session.scalars(select(col(ArticleStub.article_id))))
        empty = set(session.scalars(select(col(Article.id)).where(col(Article.is_empty))))
    assert stubs == empty
