"""Feeds for feed readers: ``/feeds/articles.atom|json`` and ``/feeds/search.atom|json``.

The same filters, cursors and stored summaries as ``/articles`` and ``/search``
(``listing.summaries_page``, ``search.hits_page``), newest first, as Atom 1.0 or JSON Feed
1.1, with a strong ETag and 304 like every list.
"""

from collections.abc import Callable, Sequence
from typing import Annotated, Any
from urllib.parse import quote, urlencode

import orjson
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlmodel import Session

from app import __version__
from app.api.deps import EngineDep, SettingsDep, read
from app.api.listing import ArticleFilterDep, CursorQuery, summaries_page
from app.api.problems import problem_responses
from app.api.search import SearchQuery, hits_page
from app.config import Settings
from app.http.caching import body_response
from app.pagination import encode_cursor
from app.queries.filters import ArticleFilter
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


def _responses(media_type: str, example: Any) -> dict[int | str, Any]:
    return {
        200: {
            "description": "One page of the feed, newest first.",
            "headers": FEED_HEADERS,
            "content": {media_type: {"example": example}},
        },
        **problem_responses(304, 422),
    }


ATOM_RESPONSES = _responses(ATOM_MEDIA_TYPE, ATOM_EXAMPLE)
JSON_FEED_RESPONSES = _responses(JSON_FEED_MEDIA_TYPE, JSON_FEED_EXAMPLE)
FEED_FORMATS: dict[str, tuple[str, Callable[[FeedPage], bytes]]] = {
    "atom": (ATOM_MEDIA_TYPE, atom_bytes),
    "json": (JSON_FEED_MEDIA_TYPE, json_feed_bytes),
}


def _url(request: Request, path: str, params: Sequence[tuple[str, str]]) -> str:
    """An absolute URL under the service's base, its query percent-encoded (ASCII)."""
    query = urlencode(list(params), quote_via=quote)
    return f"{request.base_url}{path}" + (f"?{query}" if query else "")


def _list_params(kind: str, params: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """The query of the JSON list a feed shows: its first page, in the feed's order."""
    kept = [(k, v) for k, v in params if k not in ("cursor", "sort")]
    return kept + [("sort", NEWEST_FIRST)] if kind == "search" else kept


def _title(kind: str, article_filter: ArticleFilter, q: str | None) -> str:
    parts = [f"tag {tag}" for tag in article_filter.tags]
    if article_filter.collection:
        parts.append(f"collection {article_filter.collection}")
    if article_filter.author:
        parts.append(f"author {article_filter.author}")
    if article_filter.published_after:
        parts.append(f"from {article_filter.published_after.isoformat()}")
    if article_filter.published_before:
        parts.append(f"before {article_filter.published_before.isoformat()}")
    head = f"Search: {q}" if q is not None else kind
    return f"{head}: {', '.join(parts)}" if parts else head


def _feed_response(
    request: Request,
    settings: Settings,
    *,
    kind: str,
    feed_format: str,
    items: list[bytes],
    next_key: list[Any] | None,
    scope: str,
    title: str,
) -> Response:
    """The feed page of ``items`` (stored summaries or hits) in ``feed_format``."""
    media_type, render = FEED_FORMATS[feed_format]
    params = [(k, v) for k, v in request.query_params.multi_items()]
    unpaged = [(k, v) for k, v in params if k not in PAGING_PARAMETERS]
    feed_path = f"feeds/{kind}.{feed_format}"
    next_url = None
    if next_key is not None:
        cursor = encode_cursor(next_key, scope=scope, secret=settings.cursor_secret)
        paged = [(k, v) for k, v in params if k != "cursor"] + [("cursor", cursor)]
        next_url = _url(request, feed_path, paged)
    base_url = str(request.base_url)
    page = FeedPage(
        id=_url(request, feed_path, unpaged),
        title=title,
        self_url=_url(request, feed_path, params),
        list_url=_url(request, kind, _list_params(kind, params)),
        next_url=next_url,
        publisher=request.app.title,
        version=__version__,
        entries=tuple(entry_of(orjson.loads(item), base_url=base_url) for item in items),
    )
    return body_response(
        request, render(page), media_type=media_type, max_age=settings.cache_max_age_list
    )


async def _articles_feed(
    feed_format: str,
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    article_filter: ArticleFilter,
    limit: int,
    cursor: str | None,
) -> Response:
    def answer(session: Session) -> Response:
        page, scope = summaries_page(
            session,
            settings,
            article_filter=article_filter,
            sort=NEWEST_FIRST,
            cursor=cursor,
            limit=limit,
        )
        return _feed_response(
            request,
            settings,
            kind="articles",
            feed_format=feed_format,
            items=page.items,
            next_key=page.next_key,
            scope=scope,
            title=_title("Articles", article_filter, None),
        )

    return await read(engine, answer)


async def _search_feed(
    feed_format: str,
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    article_filter: ArticleFilter,
    q: str,
    limit: int,
    cursor: str | None,
) -> Response:
    def answer(session: Session) -> Response:
        page, scope = hits_page(
            session,
            settings,
            q=q,
            article_filter=article_filter,
            sort=NEWEST_FIRST,
            cursor=cursor,
            limit=limit,
        )
        return _feed_response(
            request,
            settings,
            kind="search",
            feed_format=feed_format,
            items=page.items,
            next_key=page.next_key,
            scope=scope,
            title=_title("Search", article_filter, q),
        )

    return await read(engine, answer)


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


@router.get(
    "/feeds/articles.atom",
    summary="Atom feed of articles",
    response_class=AtomResponse,
    responses=ATOM_RESPONSES,
    description=ARTICLES_DESCRIPTION.format(
        what="as Atom 1.0", via='link rel="via"', next='link rel="next"'
    ),
)
async def articles_atom(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    article_filter: ArticleFilterDep,
    limit: FeedLimitQuery = 20,
    cursor: CursorQuery = None,
) -> Response:
    """Atom feed of the articles of a filter."""
    return await _articles_feed("atom", request, engine, settings, article_filter, limit, cursor)


@router.get(
    "/feeds/articles.json",
    summary="JSON Feed of articles",
    response_class=JsonFeedResponse,
    response_model=JsonFeed,
    responses=JSON_FEED_RESPONSES,
    description=ARTICLES_DESCRIPTION.format(
        what="as JSON Feed 1.1", via="external_url", next="next_url"
    ),
)
async def articles_json_feed(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    article_filter: ArticleFilterDep,
    limit: FeedLimitQuery = 20,
    cursor: CursorQuery = None,
) -> Response:
    """JSON Feed of the articles of a filter."""
    return await _articles_feed("json", request, engine, settings, article_filter, limit, cursor)


@router.get(
    "/feeds/search.atom",
    summary="Atom feed of a search",
    response_class=AtomResponse,
    responses=ATOM_RESPONSES,
    description=SEARCH_DESCRIPTION.format(what="as Atom 1.0", next='link rel="next"'),
)
async def search_atom(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    article_filter: ArticleFilterDep,
    q: SearchQuery,
    limit: FeedLimitQuery = 20,
    cursor: CursorQuery = None,
) -> Response:
    """Atom feed of a search."""
    return await _search_feed("atom", request, engine, settings, article_filter, q, limit, cursor)


@router.get(
    "/feeds/search.json",
    summary="JSON Feed of a search",
    response_class=JsonFeedResponse,
    response_model=JsonFeed,
    responses=JSON_FEED_RESPONSES,
    description=SEARCH_DESCRIPTION.format(what="as JSON Feed 1.1", next="next_url"),
)
async def search_json_feed(
    request: Request,
    engine: EngineDep,
    settings: SettingsDep,
    article_filter: ArticleFilterDep,
    q: SearchQuery,
    limit: FeedLimitQuery = 20,
    cursor: CursorQuery = None,
) -> Response:
    """JSON Feed of a search."""
    return await _search_feed("json", request, engine, settings, article_filter, q, limit, cursor)
