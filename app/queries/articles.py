"""Loading articles as their public shapes, a page at a time, with one query per part.

Order of the parts inside an article is part of its content (and so of ``content_hash``):
bylines, links and images by position, sections by index, tags by (kind, name) in code-point
order (``tag_sort_key``), the same order the ingest hashes (``app.ingest.document``).
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import load_only
from sqlmodel import Session, col

from app.errors import NotFound
from app.models import Article, ArticleTag, Byline, CitedLink, Image, Section, Tag
from app.pagination import Keyset, fetch_page
from app.queries.filters import ArticleFilter
from app.schemas import (
    ArticlePublic,
    ArticleSummary,
    BylinePublic,
    ImagePublic,
    LinkPublic,
    SectionPublic,
    SourcePublic,
    TagRef,
)

# The columns a summary needs: the bodies of long transcripts are never read for a list.
SUMMARY_COLUMNS = (
    Article.id,
    Article.path,
    Article.collection,
    Article.title,
    Article.summary,
    Article.published_at,
    Article.authors,
    Article.source_name,
    Article.source_url,
    Article.source_external_id,
    Article.content_hash,
    Article.updated_at,
)


def tag_sort_key(tag: TagRef) -> tuple[str, str]:
    """Where a tag goes in an article's ``tags``: by kind (entity, then meta), then by name."""
    return (tag.kind, tag.name)


def summary_select() -> Select[tuple[Article]]:
    """A select of articles loading only the summary columns."""
    return select(Article).options(load_only(*SUMMARY_COLUMNS, raiseload=True))  # type: ignore[arg-type]


def tags_of(session: Session, ids: Sequence[str]) -> dict[str, list[TagRef]]:
    """The tags of each article in ``ids``, in one query."""
    out: dict[str, list[TagRef]] = defaultdict(list)
    if not ids:
        return out
    rows = session.execute(
        select(col(ArticleTag.article_id), col(Tag.name), col(Tag.kind))
        .join(Tag, col(Tag.id) == col(ArticleTag.tag_id))
        .where(col(ArticleTag.article_id).in_(ids))
    )
    # A page holds thousands of tags but far fewer distinct ones: one object per distinct tag,
    # built from trusted stored values without re-validation.
    refs: dict[tuple[str, str], TagRef] = {}
    for article_id, name, kind in rows:
        ref = refs.get((name, kind))
        if ref is None:
            ref = refs[(name, kind)] = TagRef.model_construct(name=name, kind=kind)
        out[article_id].append(ref)
    for tags in out.values():
        tags.sort(key=tag_sort_key)
    return out


def _summary_fields(article: Article, tags: list[TagRef]) -> dict[str, Any]:
    return {
        "id": article.id,
        "path": article.path,
        "collection": article.collection,
        "title": article.title,
        "summary": article.summary,
        "published_at": article.published_at,
        "authors": list(article.authors or []),
        "tags": tags,
        "source": SourcePublic(
            name=article.source_name, url=article.source_url, external_id=article.source_external_id
        ),
        "content_hash": article.content_hash,
        "updated_at": article.updated_at,
    }


def summarise(session: Session, articles: Sequence[Article]) -> list[ArticleSummary]:
    """Summaries of a page of articles (loaded with ``summary_select``): one query for tags."""
    tags = tags_of(session, [a.id for a in articles])
    return [ArticleSummary(**_summary_fields(a, tags.get(a.id, []))) for a in articles]


def _grouped(session: Session, model: Any, ids: Sequence[str], order: Any) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = defaultdict(list)
    for row in session.scalars(select(model).where(model.article_id.in_(ids)).order_by(order)):
        out[row.article_id].append(row)
    return out


# Bound on the ids of one IN (...): SQLite and PostgreSQL both cap bound parameters.
_CHUNK = 500


def load_articles(session: Session, ids: Iterable[str]) -> list[ArticlePublic]:
    """Whole articles for ``ids``, in the order given; unknown ids are left out.

    Six queries per 500 ids: articles, tags, bylines, sections, links, images.
    """
    wanted = list(dict.fromkeys(ids))
    out: list[ArticlePublic] = []
    for start in range(0, len(wanted), _CHUNK):
        out.extend(_load_chunk(session, wanted[start : start + _CHUNK]))
    return out


def _load_chunk(session: Session, wanted: list[str]) -> list[ArticlePublic]:
    rows = session.scalars(select(Article).where(col(Article.id).in_(wanted)))
    found = {a.id: a for a in rows}
    present = [i for i in wanted if i in found]
    if not present:
        return []
    tags = tags_of(session, present)
    bylines = _grouped(session, Byline, present, Byline.position)
    sections = _grouped(session, Section, present, Section.index)
    links = _grouped(session, CitedLink, present, CitedLink.position)
    images = _grouped(session, Image, present, Image.position)
    out = []
    for article_id in present:
        article = found[article_id]
        out.append(
            ArticlePublic(
                **_summary_fields(article, tags.get(article_id, [])),
                bylines=[
                    BylinePublic(role=b.role, name=b.name, role_as_written=b.role_as_written)
                    for b in bylines.get(article_id, [])
                ],
                script=article.script,
                is_empty=article.is_empty,
                sections=[
                    SectionPublic(index=s.index, heading=s.heading, text=s.text)
                    for s in sections.get(article_id, [])
                ],
                links=[
                    LinkPublic(
                        url=c.url,
                        text=c.text,
                        section_index=c.section_index,
                        is_reference=c.is_reference,
                    )
                    for c in links.get(article_id, [])
                ],
                images=[
                    ImagePublic(url=i.url, alt=i.alt, caption=i.caption)
                    for i in images.get(article_id, [])
                ],
                body_markdown=article.body_markdown,
                body_text=article.body_text,
            )
        )
    return out


def get_article(session: Session, *, article_id: str) -> ArticlePublic:
    """One whole article by id; ``NotFound`` when there is none."""
    found = load_articles(session, [article_id])
    if not found:
        raise NotFound(f"no article with id {article_id!r}")
    return found[0]


def content_hash_for(session: Session, *, article_id: str) -> str:
    """The content hash of one article (for a cheap ETag check); ``NotFound`` when there is none."""
    value = session.scalar(select(col(Article.content_hash)).where(col(Article.id) == article_id))
    if value is None:
        raise NotFound(f"no article with id {article_id!r}")
    return str(value)


@dataclass
class SummaryPage:
    """A page of article summaries and the sort key of its last one when more follow."""

    items: list[ArticleSummary]
    next_key: list[Any] | None


def list_articles(
    session: Session,
    *,
    article_filter: ArticleFilter,
    keyset: Keyset,
    after: list[Any] | None,
    limit: int,
) -> SummaryPage:
    """One page of article summaries matching ``article_filter``, after ``after`` in ``keyset``.

    The page is found over the sort keys alone, then its rows are read by id: on SQLite a
    row's later columns sit behind its body, so reading them only for the page's own rows
    (not for every candidate the database sorts) keeps tag filters fast.
    """
    keys = select(*(k.column for k in keyset.keys))
    page = fetch_page(session, article_filter.apply(keys), keyset, after=after, limit=limit)
    ids = [row.id for row in page.rows]
    loaded = {}
    if ids:
        loaded = {
            a.id: a for a in session.scalars(summary_select().where(col(Article.id).in_(ids)))
        }
    # An article deleted between the two reads is left out; the cursor still follows the page.
    articles = [loaded[i] for i in ids if i in loaded]
    return SummaryPage(items=summarise(session, articles), next_key=page.next_key)
