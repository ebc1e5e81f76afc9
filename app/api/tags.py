"""Browsing by tag: the tags with their counts, and the articles of one tag."""

from dataclasses import replace
from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, Field
from sqlmodel import Session

from app.api.counting import ListCountingDep, TotalQuery
from app.api.deps import EngineDep, SettingsDep, read
from app.api.listing import (
    NO_NUL,
    ArticleFilterDep,
    ArticlePagingDep,
    ArticlesPage,
    CursorQuery,
    LimitQuery,
)
from app.api.named_articles import named_articles, named_articles_responses
from app.api.page_docs import page_responses
from app.api.pages import page_after, page_response
from app.api.solving import PlannedRoute
from app.pagination import scope_of
from app.queries import tags as queries
from app.schemas import CURSOR_EXAMPLE, NextCursor

router = APIRouter(tags=["tags"], route_class=PlannedRoute)


class TagCount(BaseModel):
    """A tag and how many articles carry it."""

    name: str = Field(description="The tag as written.", examples=["美国"])
    kind: Literal["meta", "entity"] = Field(
        description="`meta` (the file's own tag) or `entity` (inline `[[zh:...]]`).",
        examples=["entity"],
    )
    count: int = Field(description="Articles carrying this tag.", examples=[1234])


class TagsPage(BaseModel):
    """One page of tags; `next` is the cursor of the following page, null on the last."""

    items: list[TagCount] = Field(
        description="Tags in the order asked for.",
        examples=[[{"name": "美国", "kind": "entity", "count": 1234}]],
    )
    next: NextCursor
    total: int | None = Field(
        default=None,
        description="How many tags match, over all pages (only with `total=true`).",
        examples=[5321],
    )


TAGS_EXAMPLE = {
    "items": [
        {"name": "美国", "kind": "entity", "count": 1234},
        {"name": "新闻", "kind": "meta", "count": 880},
    ],
    "next": CURSOR_EXAMPLE,
}

TagName = Annotated[
    str,
    Path(
        min_length=1,
        max_length=200,
        pattern=NO_NUL,
        description="The tag's name, as written.",
        examples=["美国"],
    ),
]


@router.get(
    "/tags",
    summary="List tags",
    response_model=TagsPage,
    responses=page_responses(TAGS_EXAMPLE, 304, 422),
)
async def list_tags(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    prefix: Annotated[
        str | None,
        Query(
            max_length=200,
            pattern=NO_NUL,
            description="Only tags whose name starts with this (case-sensitive).",
            examples=["美"],
        ),
    ] = None,
    kind: Annotated[
        Literal["meta", "entity"] | None,
        Query(description="Only tags of this kind.", examples=["entity"]),
    ] = None,
    sort: Annotated[
        Literal["-count", "name"],
        Query(
            description="`-count`: most used first (ties by name); `name`: by name.",
            examples=["-count"],
        ),
    ] = "-count",
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
    total: TotalQuery = False,
) -> Response:
    """Tags carried by at least one article, with their counts, a page at a time."""
    keyset = queries.tag_keyset(sort)
    scope = scope_of("tags", sort, prefix, kind)
    after = page_after(cursor, scope=scope, settings=settings, keyset=keyset)

    # A read like every list's (``deps.read``: inline on SQLite). As a plain ``def`` route in
    # the thread pool, the soak's /tags took 430 ms at p50 for a sub-millisecond query: the
    # hop and the GIL handovers with a busy event loop.
    def answer(session: Session) -> Response:
        page = queries.list_tags(
            session, prefix=prefix, kind=kind, keyset=keyset, after=after, limit=limit
        )
        items = [
            orjson.dumps({"name": t.name, "kind": t.kind, "count": t.count}) for t in page.tags
        ]
        members = {"total": queries.count_tags(session, prefix=prefix, kind=kind)} if total else {}
        return page_response(
            request, items, page.next_key, scope=scope, settings=settings, members=members
        )

    return await read(engine, answer)


@router.get(
    "/tags/{name:path}/articles",
    summary="List the articles of a tag",
    response_model=ArticlesPage,
    responses=named_articles_responses(),
)
async def list_tag_articles(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    name: TagName,
    article_filter: ArticleFilterDep,
    paging: ArticlePagingDep,
    counting: ListCountingDep,
) -> Response:
    """Articles carrying the tag `name` (meta or entity); filters and pages as in `/articles`."""
    return await named_articles(
        request,
        engine,
        settings,
        exists=lambda session: queries.tag_exists(session, name=name),
        missing=f"no tag named {name!r}",
        article_filter=replace(article_filter, tags=(*article_filter.tags, name)),
        paging=paging,
        counting=counting,
    )
