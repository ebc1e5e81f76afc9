"""Full-text search: ``GET /search``."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from sqlmodel import Session

from app.api.counting import FacetRequestDep
from app.api.deps import SEARCH_THREADS, engine_of, read, settings_of
from app.api.listing import NO_NUL, ArticleFilterDep, CursorQuery, LimitQuery
from app.api.pages import page_after, page_response
from app.api.problems import problem_responses
from app.api.solving import PlannedRoute
from app.config import Settings
from app.pagination import scope_of
from app.queries.filters import ArticleFilter
from app.schemas import CURSOR_EXAMPLE, SUMMARY_EXAMPLE
from app.search.backend import backend_for
from app.search.query import parse_query
from app.search.results import HitsPage, search_articles
from app.search.schemas import SearchPage

router = APIRouter(tags=["search"], route_class=PlannedRoute)

SearchSort = Literal["relevance", "-published_at", "published_at", "-updated_at", "updated_at"]

SearchQuery = Annotated[
    str,
    Query(
        min_length=1,
        max_length=500,
        pattern=NO_NUL,
        description=(
            'Terms separated by white space, all of which must match; "quoted phrases" '
            "match as written. Chinese matches as a substring (from one character up), "
            "Latin words whole and in any case; Traditional and Simplified, full- and "
            "half-width forms are the same."
        ),
        examples=["郭文貴 TikTok"],
    ),
]

SEARCH_EXAMPLE = {
    "items": [
        {
            **SUMMARY_EXAMPLE,
            "score": 1003.52,
            "snippets": [
                {
                    "field": "title",
                    "text": "艾娃做客斯廷奇菲尔德播客：中共利用TikTok影响选举",
                    "highlights": [[17, 23]],
                }
            ],
        }
    ],
    "next": CURSOR_EXAMPLE,
    "total": 21,
}


def hits_page(
    session: Session,
    settings: Settings,
    *,
    q: str,
    article_filter: ArticleFilter,
    sort: str,
    cursor: str | None,
    limit: int,
) -> tuple[HitsPage, str]:
    """One page of the hits of ``q`` under ``article_filter``, and the scope its cursors page in.

    ``/search`` and the search feeds page through here.
    """
    terms = parse_query(q)
    scope = scope_of("search", sort, [t.tokens for t in terms], article_filter.fingerprint())
    after = page_after(cursor, scope=scope, settings=settings)
    page = search_articles(
        session, terms=terms, article_filter=article_filter, sort=sort, after=after, limit=limit
    )
    return page, scope


@router.get(
    "/search",
    summary="Search articles",
    response_model=SearchPage,
    responses={
        200: {"content": {"application/json": {"example": SEARCH_EXAMPLE}}},
        **problem_responses(304, 422),
    },
)
async def search(
    request: Request,
    article_filter: ArticleFilterDep,
    q: SearchQuery,
    facets: FacetRequestDep,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
    sort: Annotated[
        SearchSort,
        Query(
            description="`relevance` (default), or an order of `/articles`.",
            examples=["relevance"],
        ),
    ] = "relevance",
) -> Response:
    """Articles matching every term of `q` and every filter, best first, with snippets."""
    settings = settings_of(request)

    def answer(session: Session) -> Response:
        page, scope = hits_page(
            session,
            settings,
            q=q,
            article_filter=article_filter,
            sort=sort,
            cursor=cursor,
            limit=limit,
        )
        members: dict[str, Any] = {"total": page.total}
        if facets.facets:
            hit_ids = backend_for(session).hit_ids(parse_query(q))
            members |= facets.members(session, article_filter, within=hit_ids)
        return page_response(
            request, page.items, page.next_key, scope=scope, settings=settings, members=members
        )

    return await read(engine_of(request), answer, threads=SEARCH_THREADS)
