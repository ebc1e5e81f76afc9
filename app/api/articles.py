"""Reading articles: the filtered, paged list and one whole article."""

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from sqlmodel import Session

from app.api.deps import engine_of, read, settings_of
from app.api.listing import (
    NO_NUL,
    PAGE_HEADERS,
    ArticleFilterDep,
    ArticlePagingDep,
    ArticlesPage,
    articles_page,
)
from app.api.problems import problem_responses
from app.http.caching import etag_of_hash, json_response, not_modified
from app.queries import articles as queries
from app.schemas import EXAMPLE_ID, SUMMARY_EXAMPLE, ArticlePublic

router = APIRouter(tags=["articles"])

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
    request: Request, article_filter: ArticleFilterDep, paging: ArticlePagingDep
) -> Response:
    """Articles matching every given filter, a page at a time (keyset cursor in `next` and `Link`).

    Empty stubs are left out unless `include_empty=true`. Walking the pages returns each
    matching article once, even while new articles arrive.
    """
    settings = settings_of(request)
    return await read(
        engine_of(request),
        lambda session: articles_page(
            request, session, settings, article_filter=article_filter, paging=paging
        ),
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
