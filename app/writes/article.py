"""One article written over HTTP: ``PUT /articles/{id}`` and ``DELETE /articles/{id}``.

A PUT goes through the ingest loop (``app.ingest.ingest_into``) with its body as the one
source, inside a transaction that first locks the stored row and checks the client's
preconditions, so a PUT stores an article exactly as ``corpus ingest`` would.
"""

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from app.api_tokens import mark_used
from app.config import Settings
from app.db import unit_of_work
from app.errors import NotFound, PreconditionFailed, Unprocessable
from app.identity import article_id as id_of_path
from app.ingest import ArticleStore, Markdown, ingest_into
from app.ingest.sources import corpus_path, is_article_name
from app.models import Article
from app.writes import CORPUS_FOLDER
from app.writes.retry import retrying
from app.writes.schemas import ArticleWritten


@dataclass(frozen=True, slots=True)
class Preconditions:
    """``If-Match`` / ``If-None-Match`` of a write: guards against overwriting another edit.

    An article's ETag is its quoted ``content_hash`` (as ``GET /articles/{id}`` sends it).
    """

    if_match: str | None = None
    if_none_match: str | None = None

    def check(self, article_id: str, stored_hash: str | None) -> None:
        """412 when the stored article is not the one the client said it edits."""
        if self.if_match is not None:
            tags = {t.strip() for t in self.if_match.split(",")}
            current = None if stored_hash is None else f'"{stored_hash}"'
            if current is None or ("*" not in tags and current not in tags):
                raise PreconditionFailed(
                    f"article {article_id!r} is not at the version named in If-Match"
                    + ("" if current is None else f" (it is at {current})")
                )
        if stored_hash is not None and (self.if_none_match or "").strip() == "*":
            raise PreconditionFailed(f"article {article_id!r} exists (If-None-Match: *)")


def _stored(session: Session, article_id: str) -> tuple[str, str] | None:
    """Path and content hash of a stored article, its row locked until the write ends."""
    found = session.execute(
        select(col(Article.path), col(Article.content_hash))
        .where(col(Article.id) == article_id)
        .with_for_update()
    ).one_or_none()
    return None if found is None else (found[0], found[1])


def _target_path(article_id: str, stored: str | None, path: str | None) -> str:
    """The path a PUT writes to: the stored one, or the given one for a new id."""
    if stored is not None:
        if path is not None and path != stored:
            raise Unprocessable(
                f"article {article_id!r} is at {stored!r}; a PUT cannot move it to {path!r}"
            )
        return stored
    if path is None:
        raise Unprocessable(
            f"no article {article_id!r} yet: give its `path` (e.g. content/gnews/123.md) to add it"
        )
    safe, problem = corpus_path(path)
    if safe is None or safe != path:
        raise Unprocessable(
            f"path {path!r} is not a plain corpus path: {problem or 'not normalised'}"
        )
    if not path.startswith(CORPUS_FOLDER) or not is_article_name(path):
        raise Unprocessable(f"path {path!r} must be content/....md or .txt")
    if id_of_path(path) != article_id:
        raise Unprocessable(f"path {path!r} gives the id {id_of_path(path)!r}, not {article_id!r}")
    return path


def replace_article(
    engine: Engine,
    *,
    article_id: str,
    path: str | None,
    data: bytes,
    settings: Settings,
    token_name: str,
    preconditions: Preconditions = Preconditions(),
) -> ArticleWritten:
    """Replaces (or adds) one article from markdown bytes; 422 and nothing stored if bad."""

    def once() -> ArticleWritten:
        with unit_of_work(engine) as session:
            stored = _stored(session, article_id)
            preconditions.check(article_id, None if stored is None else stored[1])
            target = _target_path(article_id, None if stored is None else stored[0], path)
            # reparse: a PUT is the body to store, whatever bytes were stored before.
            report = ingest_into(session, [Markdown(target, data)], settings=settings, reparse=True)
            if report.failed:
                raise Unprocessable(report.failed[0].reason)
            if report.index_pages:
                raise Unprocessable(
                    "the body is an index page (a list of articles), not an article"
                )
            written = _stored(session, article_id)
            assert written is not None  # the loop wrote it, or found it unchanged
            mark_used(session, token_name)
        result: Literal["added", "updated", "unchanged"] = (
            "added" if report.added else "updated" if report.updated else "unchanged"
        )
        return ArticleWritten(id=article_id, path=target, result=result, content_hash=written[1])

    return retrying(once)


def delete_article(
    engine: Engine,
    *,
    article_id: str,
    token_name: str,
    preconditions: Preconditions = Preconditions(),
) -> None:
    """Deletes one article with a ``delete`` change; 404 when there is no such article."""
    retrying(lambda: _delete_once(engine, article_id, token_name, preconditions))


def _delete_once(
    engine: Engine, article_id: str, token_name: str, preconditions: Preconditions
) -> None:
    with unit_of_work(engine) as session:
        stored = _stored(session, article_id)
        if stored is None:
            raise NotFound(f"no article with id {article_id!r}")
        preconditions.check(article_id, stored[1])
        ArticleStore(session).delete(session, [article_id])
        mark_used(session, token_name)
