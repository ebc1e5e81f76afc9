"""Reading articles: the filtered, paged list and one whole article."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, Field
from sqlmodel import Session

from app.api.counting import ListCountingDep
from app.api.deps import SORTING_THREADS, EngineDep, SettingsDep, engine_of, read, settings_of
from app.api.listing import (
    NO_NUL,
    PAGE_HEADERS,
    ArticleFilterDep,
    ArticlePagingDep,
    ArticlesPage,
    articles_page,
    sorts_first,
)
from app.api.pages import page_response
from app.api.problems import problem_responses
from app.api.solving import PlannedRoute
from app.articles.stored import with_members
from app.http.caching import etag_of_hash, json_response, not_modified
from app.pagination import scope_of
from app.queries import articles as queries
from app.queries import related as related_queries
from app.schemas import EXAMPLE_ID, SUMMARY_EXAMPLE, ArticlePublic, ArticleSummary

router = APIRouter(tags=["articles"], route_class=PlannedRoute)

ArticleId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=300,
        pattern=NO_NUL,
        description="The article's id: its path without `content/` and `.md`, `/` turned into `-`.",
        examples=[EXAMPLE_ID],
    ),
]

PAGE_EXAMPLE = {
    "items": [SUMMARY_EXAMPLE],
    "next": "eyJ2IjoxLCJzIjoi...In0.Qm9ndXNzaWduYXR1cmU",
}


@router.get(
    "/articles",
    summary="List articles",
    response_model=ArticlesPage,
    responses={
        200: {"headers": PAGE_HEADERS, "content": {"application/json": {"example": PAGE_EXAMPLE}}},
        **problem_responses(304, 422),
    },
)
async def list_articles(
    request: Request,
    article_filter: ArticleFilterDep,
    paging: ArticlePagingDep,
    counting: ListCountingDep,
) -> Response:
    """Articles matching every given filter, a page at a time (keyset cursor in `next` and `Link`).

    Empty stubs are left out unless `include_empty=true`. Walking the pages returns each
    matching article once, even while new articles arrive.
    """
    settings = settings_of(request)
    return await read(
        engine_of(request),
        lambda session: articles_page(
            request,
            session,
            settings,
            article_filter=article_filter,
            paging=paging,
            counting=counting,
        ),
        threads=SORTING_THREADS if sorts_first(article_filter, paging, counting) else None,
    )


ARTICLE_EXAMPLE = {
    **SUMMARY_EXAMPLE,
    "bylines": [{"role": "author", "name": "澳洲雅典娜农场", "role_as_written": "作者"}],
    "script": "simplified",
    "is_empty": False,
    "sections": [{"index": 0, "heading": "背景", "text": "据报道……"}],
    "links": [
        {
            "url": "https://www.rbc.ru/politics/",
            "text": "rbc.ru",
            "section_index": 0,
            "is_reference": True,
        }
    ],
    "images": [{"url": "https://assets.gnews.org/a.png", "alt": "", "caption": "nbcnews.com"}],
    "body_markdown": "据报道……",
    "body_text": "据报道……",
}


@router.get(
    "/articles/{id}",
    summary="Get an article",
    response_model=ArticlePublic,
    responses={
        200: {
            "headers": {k: v for k, v in PAGE_HEADERS.items() if k != "Link"},
            "content": {"application/json": {"example": ARTICLE_EXAMPLE}},
        },
        **problem_responses(304, 404, 422),
    },
)
async def get_article(request: Request, id: ArticleId) -> Response:
    """One whole article: summary fields, credit lines, sections, cited links, images and bodies.

    Its ETag is its content hash: send it back in `If-None-Match` to get a 304.
    """
    max_age = settings_of(request).cache_max_age_article
    revalidating = "if-none-match" in request.headers

    def answer(session: Session) -> Response:
        if revalidating:  # answer a revalidation without reading the body
            etag = etag_of_hash(queries.content_hash_for(session, article_id=id))
            cached = not_modified(request, etag=etag, max_age=max_age)
            if cached is not None:
                return cached
        body, content_hash = queries.article_json(session, article_id=id)
        return json_response(body, etag=etag_of_hash(content_hash), max_age=max_age)

    return await read(engine_of(request), answer)


class RelatedArticle(ArticleSummary):
    """An article sharing entity tags with the one asked about."""

    score: float = Field(
        description=(
            "The sum, over the shared entity tags, of ln(articles / articles with the tag): "
            "rare tags weigh most. Higher is more related."
        ),
        examples=[14.2],
    )
    shared_tags: list[str] = Field(
        description="The entity tags both articles carry (those the score counted).",
        examples=[["郭文贵", "新中国联邦"]],
    )


class RelatedPage(BaseModel):
    """The articles most related to one article, best first (one page; `next` is null)."""

    items: list[RelatedArticle] = Field(description="Related articles, most related first.")
    next: str | None = Field(default=None, description="Always null: the list is one page.")


RELATED_EXAMPLE = {
    "items": [{**SUMMARY_EXAMPLE, "score": 14.2, "shared_tags": ["郭文贵", "新中国联邦"]}],
}


@router.get(
    "/articles/{id}/related",
    summary="List related articles",
    response_model=RelatedPage,
    responses={
        200: {
            "headers": {k: v for k, v in PAGE_HEADERS.items() if k != "Link"},
            "content": {"application/json": {"example": RELATED_EXAMPLE}},
        },
        **problem_responses(304, 404, 422),
    },
)
async def list_related(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    id: ArticleId,
    limit: Annotated[
        int, Query(ge=1, le=50, description="Most related articles (1-50).", examples=[10])
    ] = 10,
) -> Response:
    """The non-empty articles sharing the most informative entity tags with this one.

    Each shared `entity` tag counts ln(N / n), N articles in all and n carrying the tag.
    """

    def answer(session: Session) -> Response:
        found = related_queries.related_articles(
            session, article_id=id, limit=limit, scan_limit=settings.related_scan_limit
        )
        stored = queries.summaries(session, [r.id for r in found])
        items = [
            with_members(stored[r.id], {"score": r.score, "shared_tags": r.shared_tags})
            for r in found
            if r.id in stored
        ]
        scope = scope_of("related", id)
        return page_response(request, items, None, scope=scope, settings=settings)

    return await read(engine, answer)
