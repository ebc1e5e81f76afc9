"""Reading articles: pages of stored summaries and whole stored documents, as JSON bytes.

Documents are built once, when an article is written (``app.articles``); a read finds the
ids it wants over the narrow ``article`` columns and joins the stored bytes. No ORM object
is built: the statements run on the session's connection.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, bindparam, func, select
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import BindParameter
from sqlmodel import Session

from app.articles.mapping import ARTICLE
from app.articles.stored import DOCUMENT
from app.db import DriverStatement
from app.errors import NotFound
from app.pagination import Keyset, Shaped, fetch_page
from app.queries.filters import ArticleFilter
from app.schemas import ArticlePublic

# Bound on the ids of one IN (...): SQLite and PostgreSQL both cap bound parameters.
_CHUNK = 500


def _by_ids(column: Column[bytes]) -> DriverStatement:
    def build(n: int) -> Select[Any]:
        ids: list[BindParameter[str]] = [bindparam(f"k{i}") for i in range(n)]
        return select(DOCUMENT.c.article_id, column).where(DOCUMENT.c.article_id.in_(ids))

    return DriverStatement(build)


_SUMMARIES = _by_ids(DOCUMENT.c.summary)
_DOCUMENTS = _by_ids(DOCUMENT.c.document)
_ARTICLE_JSON = DriverStatement(
    lambda _n: (
        select(DOCUMENT.c.document, ARTICLE.c.content_hash)
        .join(ARTICLE, ARTICLE.c.id == DOCUMENT.c.article_id)
        .where(DOCUMENT.c.article_id == bindparam("k0"))
    )
)
_CONTENT_HASH = DriverStatement(
    lambda _n: select(ARTICLE.c.content_hash).where(ARTICLE.c.id == bindparam("k0"))
)


def _stored(session: Session, statement: DriverStatement, ids: Sequence[str]) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = list(ids[start : start + _CHUNK])
        if chunk:
            rows = statement.rows(session, chunk)
            out.update({article_id: bytes(value) for article_id, value in rows})
    return out


def summaries(session: Session, ids: Sequence[str]) -> dict[str, bytes]:
    """The stored ``ArticleSummary`` JSON of each of ``ids`` that exists."""
    return _stored(session, _SUMMARIES, ids)


def documents(session: Session, ids: Sequence[str]) -> dict[str, bytes]:
    """The stored ``Article`` JSON of each of ``ids`` that exists."""
    return _stored(session, _DOCUMENTS, ids)


def document_sizes(session: Session, ids: Sequence[str]) -> dict[str, int]:
    """The byte length of the stored ``Article`` JSON of each of ``ids`` that exists.

    Neither database reads the document for it (SQLite's ``length()`` of a blob and
    PostgreSQL's of a ``bytea`` use the stored length).
    """
    out: dict[str, int] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = list(ids[start : start + _CHUNK])
        rows = session.connection().execute(
            select(DOCUMENT.c.article_id, func.length(DOCUMENT.c.document)).where(
                DOCUMENT.c.article_id.in_(chunk)
            )
        )
        out.update({article_id: int(size) for article_id, size in rows})
    return out


def article_json(session: Session, *, article_id: str) -> tuple[bytes, str]:
    """One article's stored JSON and content hash; ``NotFound`` when there is none."""
    rows = _ARTICLE_JSON.rows(session, [article_id])
    if not rows:
        raise NotFound(f"no article with id {article_id!r}")
    document, content_hash = rows[0]
    return bytes(document), str(content_hash)


def load_articles(session: Session, ids: Iterable[str]) -> list[ArticlePublic]:
    """Whole articles for ``ids`` as models, in the order given; unknown ids are left out."""
    wanted = list(dict.fromkeys(ids))
    found = documents(session, wanted)
    return [ArticlePublic.model_validate_json(found[i]) for i in wanted if i in found]


def get_article(session: Session, *, article_id: str) -> ArticlePublic:
    """One whole article as a model; ``NotFound`` when there is none."""
    return ArticlePublic.model_validate_json(article_json(session, article_id=article_id)[0])


def content_hash_for(session: Session, *, article_id: str) -> str:
    """The content hash of one article (for a cheap ETag check); ``NotFound`` when there is none."""
    rows = _CONTENT_HASH.rows(session, [article_id])
    if not rows:
        raise NotFound(f"no article with id {article_id!r}")
    return str(rows[0][0])


@dataclass
class SummaryPage:
    """A page of stored article summaries and the sort key of its last one when more follow."""

    items: list[bytes]
    next_key: list[Any] | None


def _page_select(keyset: Keyset, *, joined: bool) -> Select[Any]:
    """The sort keys of ``article`` rows, and with ``joined`` each one's stored summary."""
    keys = select(*(k.column for k in keyset.keys))
    if not joined:
        return keys
    return keys.add_columns(DOCUMENT.c.summary).join(
        DOCUMENT, DOCUMENT.c.article_id == ARTICLE.c.id
    )


def list_articles(
    session: Session,
    *,
    article_filter: ArticleFilter,
    keyset: Keyset,
    after: list[Any] | None,
    limit: int,
) -> SummaryPage:
    """One page of article summaries matching ``article_filter``, after ``after`` in ``keyset``.

    The page is found over the sort keys and its stored summaries are read by id: in the
    same statement when an index gives the matching rows in order (a second statement cost
    such a page as much as the first), else in a second one. Joined to a page that is
    sorted first, the summaries were sorted too, or SQLite led with the documents (a tag's
    list, a collection by ``updated_at``: 2-5x slower on the dev archive).
    """
    joined = article_filter.indexed_order(keyset.name)
    stmt = Shaped(
        shape=("articles", joined, article_filter.shape()),
        build=lambda: article_filter.apply(_page_select(keyset, joined=joined)),
        params=article_filter.params(),
    )
    page = fetch_page(session, stmt, keyset, after=after, limit=limit)
    if joined:
        items = [bytes(row.summary) for row in page.rows]
        return SummaryPage(items=items, next_key=page.next_key)
    ids = [row.id for row in page.rows]
    stored = summaries(session, ids)
    # An article deleted between the two reads is left out; the cursor still follows the page.
    return SummaryPage(items=[stored[i] for i in ids if i in stored], next_key=page.next_key)
