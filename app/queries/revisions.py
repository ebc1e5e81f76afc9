"""Reading an article's revisions: keyset pages of them, newest first, and one stored version."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, select
from sqlmodel import Session

from app.articles.mapping import ARTICLE
from app.articles.revisions import REVISION
from app.articles.stored import DOCUMENT
from app.errors import NotFound
from app.pagination import Keyset, Page, SortKey, fetch_page

# Newest commit time first; the content hash breaks ties (two versions of one commit).
REVISION_KEYSET = Keyset(
    "-committed_at",
    (
        SortKey(REVISION.c.committed_at, "committed_at", True, datetime),
        SortKey(REVISION.c.content_hash, "content_hash", True, str),
    ),
)


def list_revisions(
    session: Session, *, article_id: str, after: list[Any] | None, limit: int
) -> Page:
    """One page of an article's revisions (commit, committed_at, content_hash, title)."""
    stmt = select(
        REVISION.c.commit, REVISION.c.committed_at, REVISION.c.content_hash, REVISION.c.title
    ).where(REVISION.c.article_id == article_id)
    return fetch_page(session, stmt, REVISION_KEYSET, after=after, limit=limit)


@dataclass(frozen=True, slots=True)
class StoredRevision:
    """One revision as stored: the article's path, and the form its version is kept in."""

    path: str
    content_hash: str
    committed_at: datetime
    current: bytes | None  # the article's stored document, when this is its current version
    document: bytes | None  # compressed: a served version that was replaced
    markdown: bytes | None  # compressed: an older version never served
    context: dict[str, Any] | None


def stored_revision(session: Session, *, article_id: str, content_hash: str) -> StoredRevision:
    """The revision of an article with this content hash; ``NotFound`` when there is none.

    One statement, so a current version and the document it is served from agree.
    """
    stmt = (
        select(
            ARTICLE.c.path,
            REVISION.c.content_hash,
            REVISION.c.committed_at,
            DOCUMENT.c.document.label("current"),
            REVISION.c.document,
            REVISION.c.markdown,
            REVISION.c.context,
        )
        .join(ARTICLE, ARTICLE.c.id == REVISION.c.article_id)
        .outerjoin(
            DOCUMENT,
            and_(
                DOCUMENT.c.article_id == REVISION.c.article_id,
                ARTICLE.c.content_hash == REVISION.c.content_hash,
            ),
        )
        .where(REVISION.c.article_id == article_id, REVISION.c.content_hash == content_hash)
    )
    row = session.connection().execute(stmt).first()
    if row is None or (row.current, row.document, row.markdown) == (None, None, None):
        raise NotFound(f"article {article_id!r} has no revision {content_hash!r}")
    return StoredRevision(
        row.path,
        row.content_hash,
        row.committed_at,
        None if row.current is None else bytes(row.current),
        None if row.document is None else bytes(row.document),
        None if row.markdown is None else bytes(row.markdown),
        row.context,
    )
