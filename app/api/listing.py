"""What every article list shares: its query parameters, page shape, cursor and caching.

``/articles``, ``/tags/{name}/articles`` and ``/search`` take the same filter parameters
(``ArticleFilterDep``), page with the same cursors and answer the same page shape, and count
their totals and facets with the same parameters (``app.api.counting``).
"""

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Annotated, Literal

from fastapi import Depends, Query, Request, Response
from pydantic import BaseModel, Field, StringConstraints, create_model
from sqlmodel import Session

from app.api.counting import ListCounting
from app.api.pages import page_after, page_response
from app.articles.stored import trimmed
from app.config import Settings
from app.errors import Unprocessable
from app.pagination import scope_of
from app.queries import articles as article_queries
from app.queries.filters import ArticleFilter, article_keyset
from app.schemas import ArticleSummary, FacetCount

# PostgreSQL text cannot hold NUL; refusing it here keeps such input a 422, never a 500.
NO_NUL = r"^[^\x00]*$"
Name = Annotated[str, StringConstraints(min_length=1, max_length=300, pattern=NO_NUL)]
MAX_TAGS = 10
SUMMARY_FIELDS = tuple(ArticleSummary.model_fields)

ArticleSort = Literal["-published_at", "published_at", "-updated_at", "updated_at"]

LimitQuery = Annotated[
    int,
    Query(ge=1, le=200, description="Most items on one page (1-200).", examples=[20]),
]
CursorQuery = Annotated[
    str | None,
    Query(
        max_length=1000,
        pattern=NO_NUL,
        description="The `next` value of the previous page, as given. Omit for the first page.",
        examples=["eyJ2IjoxLCJzIjoi...In0.Qm9ndXNzaWduYXR1cmU"],
    ),
]
SortQuery = Annotated[
    ArticleSort,
    Query(
        description=(
            "Order of the list; the article id breaks ties. Articles without a publication "
            "time count as older than all others: last in `-published_at`, first in "
            "`published_at`."
        ),
        examples=["-published_at"],
    ),
]
FieldsQuery = Annotated[
    list[str] | None,
    Query(
        description=(
            "Trim each item to these fields (comma-separated or repeated); `id` is always "
            f"kept. Fields: {', '.join(SUMMARY_FIELDS)}."
        ),
        examples=[["id,title,published_at"]],
    ),
]


async def article_filter(
    tag: Annotated[
        list[Name],
        Query(
            max_length=MAX_TAGS,
            description="A tag name (meta or entity); repeat it to require several tags at once.",
            examples=[["美国"]],
        ),
    ] = [],  # noqa: B006  (FastAPI copies the default; it is never mutated)
    collection: Annotated[
        Name | None,
        Query(
            description="Only this collection: gnews, transcript, gettr, article, court-case...",
            examples=["gnews"],
        ),
    ] = None,
    author: Annotated[
        Name | None,
        Query(
            description="Only articles with a credit line (byline) of exactly this name.",
            examples=["水星"],
        ),
    ] = None,
    published_after: Annotated[
        datetime | None,
        Query(
            description="Published at or after this time (ISO 8601; UTC when no zone is given).",
            examples=["2024-01-01T00:00:00Z"],
        ),
    ] = None,
    published_before: Annotated[
        datetime | None,
        Query(
            description="Published before this time (ISO 8601; UTC when no zone is given).",
            examples=["2024-04-01T00:00:00Z"],
        ),
    ] = None,
    include_empty: Annotated[
        bool,
        Query(
            description="Also list empty stubs (articles whose file has no body).", examples=[False]
        ),
    ] = False,
) -> ArticleFilter:
    """The article filter of a list request (``async``: pure, so no worker thread)."""
    try:
        return ArticleFilter(
            tags=tuple(tag),
            collection=collection,
            author=author,
            published_after=published_after,
            published_before=published_before,
            include_empty=include_empty,
        )
    except OverflowError as exc:  # a time so near year 1 or 9999 that UTC falls outside
        raise Unprocessable("published_after/published_before: time out of range") from exc


ArticleFilterDep = Annotated[ArticleFilter, Depends(article_filter)]


def parse_fields(fields: list[str] | None) -> set[str] | None:
    """The summary fields to keep, from ``fields=a,b&fields=c``; 422 on an unknown name."""
    if not fields:
        return None
    names = {name.strip() for value in fields for name in value.split(",") if name.strip()}
    unknown = sorted(names - set(SUMMARY_FIELDS))
    if unknown:
        raise Unprocessable(
            f"fields: unknown field(s) {', '.join(unknown)}; known: {', '.join(SUMMARY_FIELDS)}"
        )
    return names | {"id"}


ArticleSummaryFields = create_model(  # type: ignore[call-overload]
    "ArticleSummaryFields",
    __doc__="An article summary trimmed by `fields`: `id` and the fields asked for.",
    id=(str, Field(description="Stable id made from the path.", examples=["gnews-2362915"])),
    **{
        name: (
            info.annotation,
            Field(default=None, description=info.description, examples=info.examples),
        )
        for name, info in ArticleSummary.model_fields.items()
        if name != "id"
    },
)


class ArticlesPage(BaseModel):
    """One page of articles; `next` is the cursor of the following page, null on the last."""

    items: list[ArticleSummary | ArticleSummaryFields] = Field(
        description="Article summaries (trimmed to `fields` when it is given).",
        examples=[[{"id": "gnews-2362915", "title": "艾娃做客斯廷奇菲尔德播客"}]],
    )
    next: str | None = Field(
        description="Pass as `cursor` to get the next page; null when this is the last page.",
        examples=["eyJ2IjoxLCJzIjoi...In0.Qm9ndXNzaWduYXR1cmU"],
    )
    total: int | None = Field(
        default=None,
        description="How many articles match, over all pages (only with `total=true`).",
        examples=[1234],
    )
    facets: dict[str, list[FacetCount]] | None = Field(
        default=None,
        description="Per facet asked for in `facets`, its most frequent values, most first.",
        examples=[{"collection": [{"value": "gnews", "count": 1200}]}],
    )


PAGE_HEADERS = {
    "ETag": {
        "description": "Strong validator of this page's content.",
        "schema": {"type": "string"},
    },
    "Cache-Control": {
        "description": "How long the page may be reused.",
        "schema": {"type": "string"},
    },
    "Link": {
        "description": 'The next page, as `<URL>; rel="next"` (absent on the last page).',
        "schema": {"type": "string"},
    },
}


@dataclass(frozen=True, slots=True)
class ArticlePaging:
    """How a list of articles is paged: size, position, order and the fields kept."""

    limit: int
    cursor: str | None
    sort: str
    fields: list[str] | None


async def article_paging(
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
    sort: SortQuery = "-published_at",
    fields: FieldsQuery = None,
) -> ArticlePaging:
    """The paging parameters of an article list request."""
    return ArticlePaging(limit=limit, cursor=cursor, sort=sort, fields=fields)


ArticlePagingDep = Annotated[ArticlePaging, Depends(article_paging)]


@lru_cache(maxsize=1024)  # the same few filters come again and again; hashing one is dear
def _articles_scope(sort: str, article_filter: ArticleFilter) -> str:
    """The scope of the cursors of a list of articles in ``sort`` order under ``article_filter``."""
    return scope_of("articles", sort, article_filter.fingerprint())


def summaries_page(
    session: Session,
    settings: Settings,
    *,
    article_filter: ArticleFilter,
    sort: str,
    cursor: str | None,
    limit: int,
) -> tuple[article_queries.SummaryPage, str]:
    """The stored summaries of one page of matching articles, and the scope its cursors page in.

    Every list of articles pages through here: ``/articles``, a tag's list, the Atom and JSON
    feeds (so a list's ``next`` cursor also pages the feed of the same filter, and back).
    """
    keyset = article_keyset(sort)
    scope = _articles_scope(sort, article_filter)
    after = page_after(cursor, scope=scope, settings=settings, keyset=keyset)
    page = article_queries.list_articles(
        session, article_filter=article_filter, keyset=keyset, after=after, limit=limit
    )
    return page, scope


def sorts_first(
    article_filter: ArticleFilter, paging: ArticlePaging, counting: ListCounting
) -> bool:
    """Whether a list's read sorts or counts its matches (milliseconds or more) rather than
    reading its page's rows in an index's order (tens of microseconds)."""
    brief = not counting.total and not counting.facets.facets
    return not (brief and article_filter.indexed_order(paging.sort))


def articles_page(
    request: Request,
    session: Session,
    settings: Settings,
    *,
    article_filter: ArticleFilter,
    paging: ArticlePaging,
    counting: ListCounting,
) -> Response:
    """One page of the articles matching ``article_filter``, with the counts asked for."""
    wanted = parse_fields(paging.fields)
    page, scope = summaries_page(
        session,
        settings,
        article_filter=article_filter,
        sort=paging.sort,
        cursor=paging.cursor,
        limit=paging.limit,
    )
    items = page.items if wanted is None else [trimmed(i, wanted) for i in page.items]
    members = counting.members(session, article_filter)
    return page_response(
        request, items, page.next_key, scope=scope, settings=settings, members=members
    )
