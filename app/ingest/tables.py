"""Row writes shared by every writer of articles: the ingest's ``ArticleStore`` and a mirror.

Bulk inserts, an article's parts, its stored document, its tags and ``tag.article_count``:
one implementation,
so an article written by the ingest, an upload or a mirror ends up in the same rows with
the same counts. Nothing here commits; the caller owns the transaction.
"""

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlmodel import Session

from app.articles.mapping import ARTICLE, PARTS, TABLES, ArticleRows, Row
from app.articles.revisions import REVISION
from app.articles.stored import DOCUMENT, document_row
from app.db import copy_rows, insert_ignoring_conflicts

TAG = TABLES["tag"]
ARTICLE_TAG = TABLES["article_tag"]
__all__ = ["ARTICLE", "DOCUMENT", "PARTS", "Row"]  # re-exported for the writers
# Bound on the values of one IN (...): SQLite and PostgreSQL both cap bound parameters.
CHUNK = 500

TagKey = tuple[str, str]  # (name, kind)


def in_chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    """``items`` in slices of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def shift_tag_counts(session: Session, counts: Counter[int]) -> None:
    """Adds each delta to ``tag.article_count``: one statement per distinct delta."""
    by_delta: dict[int, list[int]] = {}
    for tag_id, delta in counts.items():
        if delta:
            by_delta.setdefault(delta, []).append(tag_id)
    for delta, tag_ids in sorted(by_delta.items()):
        for chunk in in_chunks(sorted(tag_ids)):
            session.execute(
                update(TAG)
                .where(TAG.c.id.in_(chunk))
                .values(article_count=TAG.c.article_count + delta)
            )


def find_tags(session: Session, wanted: Iterable[TagKey]) -> dict[TagKey, int]:
    """The ids of those of these tags that exist."""
    keys = set(wanted)
    found: dict[TagKey, int] = {}
    for chunk in in_chunks(sorted({name for name, _ in keys})):
        rows = session.execute(
            select(TAG.c.id, TAG.c.name, TAG.c.kind).where(TAG.c.name.in_(chunk))
        )
        found.update({(name, kind): tag_id for tag_id, name, kind in rows if (name, kind) in keys})
    return found


def add_tags(session: Session, missing: Iterable[TagKey]) -> dict[TagKey, int]:
    """Creates these tags (another writer may create them at the same time); their ids."""
    keys = sorted(set(missing))
    if not keys:
        return {}
    for chunk in in_chunks(keys, 1000):
        # One multi-row INSERT per chunk: an executemany costs a round trip per row.
        values = [{"name": n, "kind": k, "article_count": 0} for n, k in chunk]
        insert_ignoring_conflicts(session, TAG, values, index_elements=["name", "kind"])
    return find_tags(session, keys)


def link_tags(session: Session, links: Sequence[tuple[str, int]]) -> None:
    """Tags articles: ``(article_id, tag_id)`` pairs, each counted in ``tag.article_count``."""
    copy_rows(session, ARTICLE_TAG, [{"article_id": a, "tag_id": t} for a, t in links])
    shift_tag_counts(session, Counter(tag_id for _, tag_id in links))


def insert_parts(
    session: Session,
    articles: Sequence[ArticleRows],
    tag_ids: Callable[[set[TagKey]], dict[TagKey, int]],
) -> None:
    """Inserts the parts, stored documents and tag links of articles whose rows are final.

    ``tag_ids`` gives the ids of the tags wanted, creating those that do not exist yet.
    """
    for part in PARTS:
        copy_rows(session, part.table, [row for a in articles for row in getattr(a, part.attr)])
    copy_rows(session, DOCUMENT, [document_row(a) for a in articles])
    wanted = {t for a in articles for t in a.tags}
    if wanted:
        ids = tag_ids(wanted)
        link_tags(session, sorted({(a.id, ids[t]) for a in articles for t in a.tags}))


def remove_parts(session: Session, ids: Sequence[str]) -> None:
    """Deletes the parts, stored documents and tag links of these articles, taking them out of
    the tag counts."""
    counts: Counter[int] = Counter()
    for chunk in in_chunks(list(ids)):
        rows = session.execute(
            select(ARTICLE_TAG.c.tag_id, func.count())
            .where(ARTICLE_TAG.c.article_id.in_(chunk))
            .group_by(ARTICLE_TAG.c.tag_id)
        )
        for tag_id, n in rows:
            counts[tag_id] -= int(n)
        for table in (ARTICLE_TAG, DOCUMENT, *(part.table for part in PARTS)):
            session.execute(delete(table).where(table.c.article_id.in_(chunk)))
    shift_tag_counts(session, counts)


def delete_articles(session: Session, ids: Sequence[str]) -> None:
    """Deletes these articles' rows, parts and revisions (search and the change feed are the
    caller's)."""
    remove_parts(session, ids)
    for chunk in in_chunks(list(ids)):
        session.execute(delete(REVISION).where(REVISION.c.article_id.in_(chunk)))
        session.execute(delete(ARTICLE).where(ARTICLE.c.id.in_(chunk)))
