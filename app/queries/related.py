"""Related articles: those sharing the most informative entity tags with an article.

Each shared entity tag weighs its inverse document frequency, ``ln(N / df)``: a tag on five
articles says far more than one on five thousand. To stay cheap on every article view the
scan reads the article's rarest tags first and stops before ``scan_limit`` tag links; the
commonest tags, which weigh least, are the ones left out.
"""

import math
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlmodel import Session, col

from app.errors import NotFound
from app.models import Article, ArticleTag, ArticleTally, Tag


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
    weights: dict[int, tuple[str, float]] = {}
    budget = scan_limit
    for tag_id, name, df in _entity_tags(session, article_id):
        if df < 2 or df - 1 > budget:  # on this article alone, or past what one view may read
            continue
        weights[tag_id] = (name, math.log(max(everything, df) / df))
        budget -= df - 1
    if not weights:
        return []
    # Only the (tag_id, article_id) index is read; emptiness is checked for the best alone.
    links = session.execute(
        select(col(ArticleTag.article_id), col(ArticleTag.tag_id)).where(
            col(ArticleTag.tag_id).in_(sorted(weights)), col(ArticleTag.article_id) != article_id
        )
    )
    scores: dict[str, float] = defaultdict(float)
    shared: dict[str, list[str]] = defaultdict(list)
    for other, tag_id in links:
        name, weight = weights[tag_id]
        scores[other] += weight
        shared[other].append(name)
    ranked = sorted(scores, key=lambda i: (-round(scores[i], 9), i))
    best = _not_empty(session, ranked, limit)
    return [Related(i, round(scores[i], 4), sorted(shared[i])) for i in best]


def _not_empty(session: Session, ranked: list[str], limit: int) -> list[str]:
    """The first ``limit`` of ``ranked`` that are not empty stubs."""
    kept: list[str] = []
    step = 2 * limit
    for start in range(0, len(ranked), step):
        chunk = ranked[start : start + step]
        stubs = set(
            session.scalars(
                select(col(Article.id)).where(
                    col(Article.id).in_(chunk), col(Article.is_empty).is_(True)
                )
            )
        )
        kept += [i for i in chunk if i not in stubs][: limit - len(kept)]
        if len(kept) == limit:
            break
    return kept
