"""Browsing by collection and by author: the names with their counts, and an author's articles."""

from dataclasses import replace
from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, Field
from sqlmodel import Session

from app.api.articles import PAGE_EXAMPLE
from app.api.counting import ListCountingDep, TotalQuery
from app.api.deps import EngineDep, SettingsDep, read
from app.api.listing import (
    NO_NUL,
    PAGE_HEADERS,
    ArticleFilterDep,
    ArticlePagingDep,
    ArticlesPage,
    CursorQuery,
    LimitQuery,
    articles_page,
)
from app.api.pages import page_after, page_response
from app.api.problems import problem_responses
from app.api.solving import PlannedRoute
from app.config import Settings
from app.errors import NotFound, Unprocessable
from app.pagination import scope_of
from app.queries import names as queries
from app.queries.filters import ArticleFilter

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
    next: str | None = Field(
        description="Pass as `cursor` to get the next page; null when this is the last page.",
        examples=["eyJ2IjoxLCJzIjoi...In0.Qm9ndXNzaWduYXR1cmU"],
    )
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
    return {"items": [{"name": name, "count": count}], "next": PAGE_EXAMPLE["next"], "total": 9}


def names_page(
    request: Request,
    session: Session,
    settings: Settings,
    *,
    facet: str,
    article_filter: ArticleFilter,
    prefix: str | None,
    sort: str,
    limit: int,
    cursor: str | None,
    total: bool,
) -> Response:
    """One page of collections or authors of the matching articles, with their counts."""
    scope = scope_of(facet, sort, prefix, article_filter.fingerprint())
    after = page_after(cursor, scope=scope, settings=settings)
    page = queries.list_names(
        session,
        facet=facet,
        article_filter=article_filter,
        prefix=prefix,
        sort=sort,
        after=after,
        limit=limit,
    )
    items = [orjson.dumps({"name": n.name, "count": n.count}) for n in page.names]
    members = {}
    if total:
        members["total"] = queries.count_names(
            session, facet=facet, article_filter=article_filter, prefix=prefix
        )
    return page_response(
        request, items, page.next_key, scope=scope, settings=settings, members=members
    )


@router.get(
    "/collections",
    summary="List collections",
    response_model=NamesPage,
    responses={
        200: {
            "headers": PAGE_HEADERS,
            "content": {"application/json": {"example": _example("gnews", 30120)}},
        },
        **problem_responses(304, 422),
    },
)
async def list_collections(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    article_filter: ArticleFilterDep,
    sort: NamesSort = "-count",
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
    total: TotalQuery = False,
) -> Response:
    """The collections (gnews, transcript, gettr...) of the articles matching the filters, with
    their counts, a page at a time."""
    return await read(
        engine,
        lambda session: names_page(
            request,
            session,
            settings,
            facet="collection",
            article_filter=article_filter,
            prefix=None,
            sort=sort,
            limit=limit,
            cursor=cursor,
            total=total,
        ),
    )


@router.get(
    "/authors",
    summary="List authors",
    response_model=NamesPage,
    responses={
        200: {
            "headers": PAGE_HEADERS,
            "content": {"application/json": {"example": _example("水星", 321)}},
        },
        **problem_responses(304, 422),
    },
)
async def list_authors(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    article_filter: ArticleFilterDep,
    prefix: PrefixQuery = None,
    sort: NamesSort = "-count",
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
    total: TotalQuery = False,
) -> Response:
    """The names on the credit lines of the articles matching the filters (authors, editors,
    translators, farms...), with how many articles each, a page at a time."""
    return await read(
        engine,
        lambda session: names_page(
            request,
            session,
            settings,
            facet="author",
            article_filter=article_filter,
            prefix=prefix,
            sort=sort,
            limit=limit,
            cursor=cursor,
            total=total,
        ),
    )


@router.get(
    "/authors/{name:path}/articles",
    summary="List the articles of an author",
    response_model=ArticlesPage,
    responses={
        200: {"headers": PAGE_HEADERS, "content": {"application/json": {"example": PAGE_EXAMPLE}}},
        **problem_responses(304, 404, 422),
    },
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

    def answer(session: Session) -> Response:
        if not queries.author_exists(session, name=name):
            raise NotFound(f"no author named {name!r}")
        return articles_page(
            request,
            session,
            settings,
            article_filter=replace(article_filter, author=name),
            paging=paging,
            counting=counting,
        )

    return await read(engine, answer)
