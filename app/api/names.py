"""Browsing by collection and by author: the names with their counts, and an author's articles."""

from dataclasses import dataclass, replace
from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import Engine
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
from app.config import Settings
from app.errors import Unprocessable
from app.pagination import scope_of
from app.queries import names as queries
from app.queries.filters import ArticleFilter
from app.schemas import CURSOR_EXAMPLE, NextCursor

router = APIRouter(tags=["browse"], route_class=PlannedRoute)


class NameCount(BaseModel):
    """A collection or an author, and how many matching articles it has."""

    name: str = Field(
        description="The collection, or the name on a credit line.", examples=["水星"]
    )
    count: int = Field(description="Matching articles (each counted once).", examples=[321])


class NamesPage(BaseModel):
    """One page of names; `next` is the cursor of the following page, null on the last."""

    items: list[NameCount] = Field(
        description="Names in the order asked for.", examples=[[{"name": "水星", "count": 321}]]
    )
    next: NextCursor
    total: int | None = Field(
        default=None,
        description="How many names match, over all pages (only with `total=true`).",
        examples=[57],
    )


NamesSort = Annotated[
    Literal["-count", "name"],
    Query(
        description="`-count`: most articles first (ties by name); `name`: by name.",
        examples=["-count"],
    ),
]
PrefixQuery = Annotated[
    str | None,
    Query(
        max_length=200,
        pattern=NO_NUL,
        description="Only names that start with this (case-sensitive).",
        examples=["水"],
    ),
]
AuthorName = Annotated[
    str,
    Path(
        min_length=1,
        max_length=300,
        pattern=NO_NUL,
        description="The name on a credit line (author, editor, translator...), as written.",
        examples=["水星"],
    ),
]


def _example(name: str, count: int) -> dict[str, object]:
    return {"items": [{"name": name, "count": count}], "next": CURSOR_EXAMPLE, "total": 9}


@dataclass(frozen=True, slots=True)
class NamesRequest:
    """What a list of collections or authors is asked for: whose articles count, the order,
    size and position of the page, and whether to count all names."""

    article_filter: ArticleFilter
    sort: str
    limit: int
    cursor: str | None
    total: bool


async def names_request(
    article_filter: ArticleFilterDep,
    sort: NamesSort = "-count",
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
    total: TotalQuery = False,
) -> NamesRequest:
    """The parameters of a request for collections or authors (``async``: pure, no thread)."""
    return NamesRequest(article_filter, sort=sort, limit=limit, cursor=cursor, total=total)


NamesRequestDep = Annotated[NamesRequest, Depends(names_request)]


async def names_page(
    request: Request,
    engine: Engine,
    settings: Settings,
    asked: NamesRequest,
    *,
    facet: str,
    prefix: str | None,
) -> Response:
    """One page of collections or authors of the matching articles, with their counts."""
    article_filter = asked.article_filter

    def answer(session: Session) -> Response:
        scope = scope_of(facet, asked.sort, prefix, article_filter.fingerprint())
        after = page_after(asked.cursor, scope=scope, settings=settings)
        page = queries.list_names(
            session,
            facet=facet,
            article_filter=article_filter,
            prefix=prefix,
            sort=asked.sort,
            after=after,
            limit=asked.limit,
        )
        items = [orjson.dumps({"name": n.name, "count": n.count}) for n in page.names]
        members = {}
        if asked.total:
            members["total"] = queries.count_names(
                session, facet=facet, article_filter=article_filter, prefix=prefix
            )
        return page_response(
            request, items, page.next_key, scope=scope, settings=settings, members=members
        )

    return await read(engine, answer)


@router.get(
    "/collections",
    summary="List collections",
    response_model=NamesPage,
    responses=page_responses(_example("gnews", 30120), 304, 422),
)
async def list_collections(
    request: Request, engine: EngineDep, settings: SettingsDep, asked: NamesRequestDep
) -> Response:
    """The collections (gnews, transcript, gettr...) of the articles matching the filters, with
    their counts, a page at a time."""
    return await names_page(request, engine, settings, asked, facet="collection", prefix=None)


@router.get(
    "/authors",
    summary="List authors",
    response_model=NamesPage,
    responses=page_responses(_example("水星", 321), 304, 422),
)
async def list_authors(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    asked: NamesRequestDep,
    prefix: PrefixQuery = None,
) -> Response:
    """The names on the credit lines of the articles matching the filters (authors, editors,
    translators, farms...), with how many articles each, a page at a time."""
    return await names_page(request, engine, settings, asked, facet="author", prefix=prefix)


@router.get(
    "/authors/{name:path}/articles",
    summary="List the articles of an author",
    response_model=ArticlesPage,
    responses=named_articles_responses(),
)
async def list_author_articles(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    name: AuthorName,
    article_filter: ArticleFilterDep,
    paging: ArticlePagingDep,
    counting: ListCountingDep,
) -> Response:
    """Articles with a credit line of `name`; filters, pages and counts as in `/articles`."""
    if article_filter.author not in (None, name):
        raise Unprocessable("author: the path names the author already; leave the parameter out")
    return await named_articles(
        request,
        engine,
        settings,
        exists=lambda session: queries.author_exists(session, name=name),
        missing=f"no author named {name!r}",
        article_filter=replace(article_filter, author=name),
        paging=paging,
        counting=counting,
    )
