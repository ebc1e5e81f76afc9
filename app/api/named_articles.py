"""The articles of one name: ``/tags/{name}/articles`` and ``/authors/{name}/articles``.

Both are ``/articles`` narrowed to the name (same filters, pages and counts), and a 404
when the archive has no such name at all, so a typo is told apart from an empty page.
"""

from collections.abc import Callable
from typing import Any

from fastapi import Request, Response
from sqlalchemy import Engine
from sqlmodel import Session

from app.api.articles import PAGE_EXAMPLE
from app.api.counting import ListCounting
from app.api.deps import SORTING_THREADS, read
from app.api.listing import ArticlePaging, articles_page
from app.api.page_docs import page_responses
from app.config import Settings
from app.errors import NotFound
from app.queries.filters import ArticleFilter


def named_articles_responses() -> dict[int | str, Any]:
    """The ``responses=`` of the articles of a name: a page of articles, or 404."""
    return page_responses(PAGE_EXAMPLE, 304, 404, 422)


async def named_articles(
    request: Request,
    engine: Engine,
    settings: Settings,
    *,
    exists: Callable[[Session], bool],
    missing: str,
    article_filter: ArticleFilter,
    paging: ArticlePaging,
    counting: ListCounting,
) -> Response:
    """A page of the articles of ``article_filter`` (the request's, narrowed to the name);
    404 with ``missing`` as its detail when ``exists`` finds no such name."""

    def answer(session: Session) -> Response:
        if not exists(session):
            raise NotFound(missing)
        return articles_page(
            request,
            session,
            settings,
            article_filter=article_filter,
            paging=paging,
            counting=counting,
        )

    # Narrowed to a name, the matches are sorted before the page is cut: in a thread.
    return await read(engine, answer, threads=SORTING_THREADS)
