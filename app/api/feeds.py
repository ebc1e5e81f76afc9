"""Feeds for feed readers: ``/feeds/articles.atom|json`` and ``/feeds/search.atom|json``.

The same filters, cursors and stored summaries as ``/articles`` and ``/search``
(``listing.summaries_page``, ``search.hits_page``), newest first, as Atom 1.0 or JSON Feed
1.1, with a strong ETag and 304 like every list. One route is made per list and format
(``FEED_FORMATS``), so the four routes share one body and differ only in what they document.
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlmodel import Session

from app import __version__
from app.api.deps import EngineDep, SettingsDep, read
from app.api.listing import ArticleFilterDep, CursorQuery, summaries_page
from app.api.problems import problem_responses
from app.api.search import SearchQuery, hits_page
from app.config import Settings
from app.http.caching import body_response
from app.pagination import encode_cursor
from app.queries.articles import SummaryPage
from app.queries.filters import ArticleFilter
from app.search.results import HitsPage
from app.syndication.atom import ATOM_MEDIA_TYPE, atom_bytes
from app.syndication.entries import FeedPage, entry_of
from app.syndication.json_feed import JSON_FEED_MEDIA_TYPE, JsonFeed, json_feed_bytes

router = APIRouter(tags=["feeds"])

NEWEST_FIRST = "-published_at"
PAGING_PARAMETERS = ("cursor", "limit")

FeedLimitQuery = Annotated[
    int, Query(ge=1, le=200, description="Most entries in one page of the feed.", examples=[20])
]

ATOM_EXAMPLE = """<?xml version='1.0' encoding='utf-8'?>
<feed xmlns="http://www.w3.org/2005/Atom"><id>http://127.0.0.1:8000/feeds/articles.atom?tag=%E7%BE%8E%E5%9B%BD</id><title>Articles: tag 美国</title><updated>2026-11-26T12:00:00Z</updated><link rel="self" href="http://127.0.0.1:8000/feeds/articles.atom?tag=%E7%BE%8E%E5%9B%BD" type="application/atom+xml" /><link rel="alternate" href="http://127.0.0.1:8000/articles?tag=%E7%BE%8E%E5%9B%BD" type="application/json" /><author><name>Article archive API</name></author><generator version="0.1.0">corpus-api</generator><entry><id>http://127.0.0.1:8000/articles/gnews-2362915</id><title>艾娃做客斯廷奇菲尔德播客：中共利用TikTok影响选举</title><updated>2026-11-26T12:00:00Z</updated><published>2024-03-04T08:37:00Z</published><author><name>澳洲雅典娜农场</name></author><link rel="alternate" href="http://127.0.0.1:8000/articles/gnews-2362915" type="application/json" /><link rel="via" href="https://gnews.org/articles/2362915" /><category term="美国" /></entry></feed>"""  # noqa: E501

JSON_FEED_EXAMPLE = {
    "version": "https://jsonfeed.org/version/1.1",
    "title": "Articles: tag 美国",
    "home_page_url": "http://127.0.0.1:8000/articles?tag=%E7%BE%8E%E5%9B%BD",
    "feed_url": "http://127.0.0.1:8000/feeds/articles.json?tag=%E7%BE%8E%E5%9B%BD",
    "authors": [{"name": "Article archive API"}],
    "items": [
        {
            "id": "http://127.0.0.1:8000/articles/gnews-2362915",
            "url": "http://127.0.0.1:8000/articles/gnews-2362915",
            "external_url": "https://gnews.org/articles/2362915",
            "title": "艾娃做客斯廷奇菲尔德播客：中共利用TikTok影响选举",
            "content_text": "艾娃在播客中谈中共如何借TikTok影响美国选举。",
            "summary": "艾娃在播客中谈中共如何借TikTok影响美国选举。",
            "date_published": "2024-03-04T08:37:00Z",
            "date_modified": "2026-11-26T12:00:00Z",
            "authors": [{"name": "澳洲雅典娜农场"}],
            "tags": ["美国"],
        }
    ],
}

FEED_HEADERS = {
    "ETag": {"description": "Strong validator of this feed page.", "schema": {"type": "string"}},
    "Cache-Control": {
        "description": "How long the feed may be reused.",
        "schema": {"type": "string"},
    },
}


class AtomResponse(Response):
    """Documents the 200 of an Atom route as ``application/atom+xml`` (a string)."""

    media_type = ATOM_MEDIA_TYPE


class JsonFeedResponse(JSONResponse):
    """Documents the 200 of a JSON Feed route as ``application/feed+json`` (``JsonFeed``)."""

    media_type = JSON_FEED_MEDIA_TYPE


@dataclass(frozen=True, slots=True)
class FeedFormat:
    """A format a feed is served in: how a page is rendered, and how its routes document it."""

    extension: str  # of the path: /feeds/articles.atom
    operation: str  # the end of the operationIds: articles_atom, articles_json_feed
    name: str  # as the summaries say it: "Atom feed of articles"
    standard: str  # the format and version the descriptions name
    via: str  # where an entry gives the page it was reposted from
    next: str  # where a page links the next (older) one
    media_type: str
    render: Callable[[FeedPage], bytes]
    response_class: type[Response]
    response_model: type[BaseModel] | None
    example: Any

    def responses(self) -> dict[int | str, Any]:
        """The ``responses=`` of a route in this format: its 200 and its errors."""
        return {
            200: {
                "description": "One page of the feed, newest first.",
                "headers": FEED_HEADERS,
                "content": {self.media_type: {"example": self.example}},
            },
            **problem_responses(304, 422),
        }


FEED_FORMATS = (
    FeedFormat(
        extension="atom",
        operation="atom",
        name="Atom feed",
        standard="Atom 1.0",
        via='link rel="via"',
        next='link rel="next"',
        media_type=ATOM_MEDIA_TYPE,
        render=atom_bytes,
        response_class=AtomResponse,
        response_model=None,
        example=ATOM_EXAMPLE,
    ),
    FeedFormat(
        extension="json",
        operation="json_feed",
        name="JSON Feed",
        standard="JSON Feed 1.1",
        via="external_url",
        next="next_url",
        media_type=JSON_FEED_MEDIA_TYPE,
        render=json_feed_bytes,
        response_class=JsonFeedResponse,
        response_model=JsonFeed,
        example=JSON_FEED_EXAMPLE,
    ),
)


def _url(request: Request, path: str, params: Sequence[tuple[str, str]]) -> str:
    """An absolute URL under the service's base, its query percent-encoded (ASCII)."""
    query = urlencode(list(params), quote_via=quote)
    return f"{request.base_url}{path}" + (f"?{query}" if query else "")


def _list_params(kind: str, params: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """The query of the JSON list a feed shows: its first page, in the feed's order."""
    kept = [(k, v) for k, v in params if k not in ("cursor", "sort")]
    return kept + [("sort", NEWEST_FIRST)] if kind == "search" else kept


def _title(article_filter: ArticleFilter, q: str | None) -> str:
    parts = [f"tag {tag}" for tag in article_filter.tags]
    if article_filter.collection:
        parts.append(f"collection {article_filter.collection}")
    if article_filter.author:
        parts.append(f"author {article_filter.author}")
    if article_filter.published_after:
        parts.append(f"from {article_filter.published_after.isoformat()}")
    if article_filter.published_before:
        parts.append(f"before {article_filter.published_before.isoformat()}")
    head = f"Search: {q}" if q is not None else "Articles"
    return f"{head}: {', '.join(parts)}" if parts else head


def _feed_response(
    request: Request,
    settings: Settings,
    feed_format: FeedFormat,
    *,
    kind: str,
    page: SummaryPage | HitsPage,
    scope: str,
    title: str,
) -> Response:
    """The feed page of ``page``'s items (stored summaries or hits) in ``feed_format``."""
    params = [(k, v) for k, v in request.query_params.multi_items()]
    unpaged = [(k, v) for k, v in params if k not in PAGING_PARAMETERS]
    feed_path = f"feeds/{kind}.{feed_format.extension}"
    next_url = None
    if page.next_key is not None:
        cursor = encode_cursor(page.next_key, scope=scope, secret=settings.cursor_secret)
        paged = [(k, v) for k, v in params if k != "cursor"] + [("cursor", cursor)]
        next_url = _url(request, feed_path, paged)
    base_url = str(request.base_url)
    feed_page = FeedPage(
        id=_url(request, feed_path, unpaged),
        title=title,
        self_url=_url(request, feed_path, params),
        list_url=_url(request, kind, _list_params(kind, params)),
        next_url=next_url,
        publisher=request.app.title,
        version=__version__,
        entries=tuple(entry_of(orjson.loads(item), base_url=base_url) for item in page.items),
    )
    return body_response(
        request,
        feed_format.render(feed_page),
        media_type=feed_format.media_type,
        max_age=settings.cache_max_age_list,
    )


@dataclass(frozen=True, slots=True)
class FeedRequest:
    """What every feed page is asked for with: the filters, the page size and the cursor."""

    article_filter: ArticleFilter
    limit: int
    cursor: str | None


async def feed_request(
    article_filter: ArticleFilterDep, limit: FeedLimitQuery = 20, cursor: CursorQuery = None
) -> FeedRequest:
    """The filter and paging parameters of a feed request (``async``: pure, no thread)."""
    return FeedRequest(article_filter=article_filter, limit=limit, cursor=cursor)


FeedRequestDep = Annotated[FeedRequest, Depends(feed_request)]


async def _feed(
    request: Request,
    engine: Engine,
    settings: Settings,
    feed_format: FeedFormat,
    asked: FeedRequest,
    *,
    q: str | None,
) -> Response:
    """One page of the feed of a filter's articles (``q`` None) or of a search, newest first."""
    kind = "articles" if q is None else "search"
    article_filter, cursor, limit = asked.article_filter, asked.cursor, asked.limit

    def answer(session: Session) -> Response:
        page: SummaryPage | HitsPage
        if q is None:
            page, scope = summaries_page(
                session,
                settings,
                article_filter=article_filter,
                sort=NEWEST_FIRST,
                cursor=cursor,
                limit=limit,
            )
        else:
            page, scope = hits_page(
                session,
                settings,
                q=q,
                article_filter=article_filter,
                sort=NEWEST_FIRST,
                cursor=cursor,
                limit=limit,
            )
        title = _title(article_filter, q)
        return _feed_response(
            request, settings, feed_format, kind=kind, page=page, scope=scope, title=title
        )

    return await read(engine, answer)


Route = Callable[..., Awaitable[Response]]


def _articles_route(feed_format: FeedFormat) -> Route:
    """The route of the articles feed in ``feed_format``: the parameters of ``/articles``."""

    async def route(
        request: Request, engine: EngineDep, settings: SettingsDep, asked: FeedRequestDep
    ) -> Response:
        """The articles of a filter, newest first, as a feed."""
        return await _feed(request, engine, settings, feed_format, asked, q=None)

    return route


def _search_route(feed_format: FeedFormat) -> Route:
    """The route of the search feed in ``feed_format``: ``q`` and the filters of ``/search``."""

    async def route(
        request: Request,
        engine: EngineDep,
        settings: SettingsDep,
        q: SearchQuery,
        asked: FeedRequestDep,
    ) -> Response:
        """The articles matching a search, newest first, as a feed."""
        return await _feed(request, engine, settings, feed_format, asked, q=q)

    return route


ARTICLES_DESCRIPTION = (
    "The articles matching every filter (the parameters of `/articles`), newest published "
    "first, {what}. Entry ids and links are the articles' absolute API URLs; the page an "
    "article was reposted from, where known, is its `{via}`. Older entries: the `{next}` "
    "link (a `/articles` cursor of the same filters works too)."
)
SEARCH_DESCRIPTION = (
    "The articles matching `q` (as in `/search`) and every filter, newest published first "
    "(not by relevance: a reader follows new matches), {what}; a body snippet stands in for "
    "a missing summary. Older entries: the `{next}` link."
)


def _add_routes() -> None:
    """Each list in every format, in the spec's order: articles.atom, articles.json, ..."""
    for kind, description, noun, make_route in (
        ("articles", ARTICLES_DESCRIPTION, "articles", _articles_route),
        ("search", SEARCH_DESCRIPTION, "a search", _search_route),
    ):
        for feed_format in FEED_FORMATS:
            router.add_api_route(
                f"/feeds/{kind}.{feed_format.extension}",
                make_route(feed_format),
                methods=["GET"],
                name=f"{kind}_{feed_format.operation}",
                summary=f"{feed_format.name} of {noun}",
                description=description.format(
                    what=f"as {feed_format.standard}", via=feed_format.via, next=feed_format.next
                ),
                response_class=feed_format.response_class,
                response_model=feed_format.response_model,
                responses=feed_format.responses(),
            )


_add_routes()
