"""Related articles: those sharing the most informative entity tags with an article.

Each shared entity tag weighs its inverse document frequency, ``ln(N / df)``: a tag on five
articles says far more than one on five thousand. To stay cheap on every article view the
scan reads the article's rarest tags first and stops before ``scan_limit`` tag links; the
commonest tags, which weigh least, are the ones left out.
"""

import math
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlmodel import Session, col

from app.errors import NotFound
from app.models import Article, ArticleStub, ArticleTag, ArticleTally, Tag

SCALE = 10_000  # weights are summed in whole units of 1/SCALE


@dataclass(frozen=True, slots=True)
class Related:
    """An article related to another: its id, score and the entity tags they share."""

    id: str
    score: float
    shared_tags: list[str]


def _entity_tags(session: Session, article_id: str) -> list[tuple[int, str, int]]:
    """``(tag id, name, articles carrying it)`` of the article's entity tags, rarest first."""
    rows = session.execute(
        select(col(Tag.id), col(Tag.name), col(Tag.article_count))
        .join(ArticleTag, col(ArticleTag.tag_id) == col(Tag.id))
        .where(col(ArticleTag.article_id) == article_id, col(Tag.kind) == "entity")
    ).all()
    return sorted(((int(i), n, int(c)) for i, n, c in rows), key=lambda t: (t[2], t[1]))


def related_articles(
    session: Session, *, article_id: str, limit: int, scan_limit: int
) -> list[Related]:
    """Up to ``limit`` non-empty articles sharing entity tags with ``article_id``, best first
    (ties by id); ``NotFound`` when there is no such article."""
    if session.scalar(select(col(Article.id)).where(col(Article.id) == article_id)) is None:
        raise NotFound(f"no article with id {article_id!r}")
    everything = int(session.scalar(select(func.sum(ArticleTally.article_count))) or 0)
    weights: dict[int, int] = {}
    names: dict[int, str] = {}
    budget = scan_limit
    for tag_id, name, df in _entity_tags(session, article_id):
        if df < 2 or df - 1 > budget:  # on this article alone, or past what one view may read
            continue
        # Whole units of 1/SCALE: sums are exact, so ties (broken by id) are the same on
        # both databases whatever order they add in.
        weights[tag_id] = round(math.log(max(everything, df) / df) * SCALE)
        names[tag_id] = name
        budget -= df - 1
    if not weights:
        return []
    # The database sums and ranks over the (tag_id, article_id) index; only the best come back.
    tag = col(ArticleTag.tag_id)
    other = col(ArticleTag.article_id)
    score = func.sum(case(weights, value=tag, else_=0)).label("score")
    stubs = select(col(ArticleStub.article_id))
    best = session.execute(
        select(other, score)
        .where(tag.in_(sorted(weights)), other != article_id, other.not_in(stubs))
        .group_by(other)
        .order_by(score.desc(), other)
        .limit(limit)
    ).all()
    shared: dict[str, list[str]] = defaultdict(list)
    links = select(other, tag).where(tag.in_(sorted(weights)), other.in_([i for i, _ in best]))
    for i, tag_id in session.execute(links):
        shared[i].append(names[tag_id])
    return [Related(i, round(int(n) / SCALE, 4), sorted(shared[i])) for i, n in best]
