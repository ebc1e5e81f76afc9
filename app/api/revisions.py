"""An article's revisions: the list of its versions, newest first, and one version whole."""

from typing import Annotated

import orjson
from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, Field

from app.api.articles import ARTICLE_EXAMPLE, ArticleId
from app.api.deps import SessionDep, SettingsDep
from app.api.listing import CursorQuery
from app.api.page_docs import document_responses, page_responses
from app.api.pages import page_after, page_response
from app.articles.mapping import json_time
from app.http.caching import etag_of_hash, json_response, not_modified
from app.ingest.revisions import revision_json
from app.pagination import scope_of
from app.queries import articles as article_queries
from app.queries import revisions as queries
from app.schemas import CURSOR_EXAMPLE, ArticlePublic, RevisionPublic

router = APIRouter(tags=["articles"])

REVISION_EXAMPLE = {
    "commit": "3f1c2a9e0b7d4c5a8e6f1b2c3d4e5f60718293a4",
    "committed_at": "2021-09-12T08:30:00Z",
    "content_hash": "9f2c" + "0" * 60,
    "title": "艾娃做客斯廷奇菲尔德播客：中共利用TikTok影响选举",
}
REVISIONS_EXAMPLE = {
    "items": [
        REVISION_EXAMPLE,
        {
            **REVISION_EXAMPLE,
            "commit": "0b7d4c5a8e6f1b2c3d4e5f60718293a43f1c2a9e",
            "committed_at": "2021-09-11T22:05:00Z",
            "content_hash": "41aa" + "0" * 60,
            "title": "艾娃做客斯廷奇菲尔德播客",
        },
    ],
    # A cursor, not null: FastAPI leaves null members out of an example, and `next` is required.
    "next": CURSOR_EXAMPLE,
}

ContentHash = Annotated[
    str,
    Path(
        pattern=r"^[0-9a-f]{64}$",
        description="The revision's `content_hash`, as its list gives it.",
        examples=["9f2c" + "0" * 60],
    ),
]


class RevisionsPage(BaseModel):
    """One page of an article's revisions, newest first."""

    items: list[RevisionPublic] = Field(description="Revisions, newest commit time first.")
    next: str | None = Field(
        description="Pass as `cursor` to get the next page; null when this is the last page.",
        examples=[None],
    )


@router.get(
    "/articles/{id}/revisions",
    summary="List an article's revisions",
    response_model=RevisionsPage,
    responses=page_responses(REVISIONS_EXAMPLE, 304, 404, 422),
)
def list_revisions(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    id: ArticleId,
    limit: Annotated[
        int, Query(ge=1, le=200, description="Most revisions on one page (1-200).")
    ] = 20,
    cursor: CursorQuery = None,
) -> Response:
    """Every distinct version of the article, newest commit time first, a page at a time.

    A version is kept whenever the article's content changes: each commit of a history
    ingest that changed it, each folder ingest, upload or PUT that changed it. The first
    item is the article as `GET /articles/{id}` serves it.
    """
    article_queries.content_hash_for(session, article_id=id)  # 404 for an unknown article
    scope = scope_of("revisions", id)
    after = page_after(cursor, scope=scope, settings=settings, keyset=queries.REVISION_KEYSET)
    page = queries.list_revisions(session, article_id=id, after=after, limit=limit)
    items = [
        orjson.dumps(
            {
                "commit": r.commit,
                "committed_at": json_time(r.committed_at),
                "content_hash": r.content_hash,
                "title": r.title,
            }
        )
        for r in page.rows
    ]
    return page_response(request, items, page.next_key, scope=scope, settings=settings)


@router.get(
    "/articles/{id}/revisions/{content_hash}",
    summary="Get one revision of an article",
    response_model=ArticlePublic,
    responses=document_responses(ARTICLE_EXAMPLE, 304, 404, 422),
)
def get_revision(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    id: ArticleId,
    content_hash: ContentHash,
) -> Response:
    """One version of the article as a whole `Article`, as it was served (or, for an older
    version of a history, as the ingest makes it from that version's file).

    Its ETag is its content hash; `updated_at` is when the version was stored (or committed).
    """
    stored = queries.stored_revision(session, article_id=id, content_hash=content_hash)
    body, served_hash = revision_json(stored)
    etag, max_age = etag_of_hash(served_hash), settings.cache_max_age_article
    cached = not_modified(request, etag=etag, max_age=max_age)
    return cached or json_response(body, etag=etag, max_age=max_age)
