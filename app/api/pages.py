"""The one page builder of every list: ``/articles``, ``/tags``, a tag's articles, ``/search``.

A page is ``{"items": [...], "next": CURSOR_OR_NULL, ...}`` joined from its items' JSON
bytes (stored summaries, mostly), with a strong ETag over the body, a ``Link`` to the next
page, ``Cache-Control``, and a ``304`` when the client's copy is current.
"""

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import orjson
from fastapi import Request, Response

from app.config import Settings
from app.http.caching import json_response, not_modified, strong_etag_of_bytes
from app.pagination import Keyset, decode_cursor, encode_cursor


def page_after(
    cursor: str | None, *, scope: str, settings: Settings, keyset: Keyset | None = None
) -> list[Any] | None:
    """The sort key a request's cursor points after (None for the first page); 422 if bad.

    With ``keyset`` the key is also checked against (and typed by) that order's keys.
    """
    if cursor is None:
        return None
    key = decode_cursor(cursor, scope=scope, secret=settings.cursor_secret)
    return key if keyset is None else keyset.parse_key(key)


def page_response(
    request: Request,
    items: Sequence[bytes],
    next_key: list[Any] | None,
    *,
    scope: str,
    settings: Settings,
    members: Mapping[str, Any] | None = None,
) -> Response:
    """The page as JSON with ETag, Cache-Control and Link; 304 when the client copy is current.

    ``members`` are further top-level members after ``next`` (a search's ``total``).
    """
    next_cursor = None
    if next_key is not None:
        next_cursor = encode_cursor(next_key, scope=scope, secret=settings.cursor_secret)
    tail = orjson.dumps({"next": next_cursor, **(members or {})})
    body = b'{"items":[' + b",".join(items) + b"]," + tail[1:]
    etag = strong_etag_of_bytes(body)
    max_age = settings.cache_max_age_list
    cached = not_modified(request, etag=etag, max_age=max_age)
    if cached is not None:
        return cached
    headers = {}
    if next_cursor is not None:
        headers["Link"] = next_page_link(request, next_cursor)
    return json_response(body, etag=etag, max_age=max_age, headers=headers)


def next_page_link(request: Request, cursor: str) -> str:
    """``Link`` to this request's URL with ``cursor`` in place of its own, as
    ``request.url.include_query_params(cursor=cursor)`` would make it, without building and
    parsing a whole URL twice."""
    scope = request.scope
    return _link(scope["path"], scope.get("query_string", b""), cursor)


@lru_cache(maxsize=4096)  # the first pages of the same lists, again and again
def _link(path: str, query_string: bytes, cursor: str) -> str:
    # Starlette's URL escapes these in a path; the path then goes percent-encoded, since a
    # header is Latin-1 (a tag name, say).
    path = path.replace("?", "%3F").replace("#", "%23").replace("\\", "%5C")
    path = quote(path, safe="/:@!$&'()*+,;=-._~")
    given = parse_qsl(query_string.decode(), keep_blank_values=True)
    query = urlencode([*((k, v) for k, v in given if k != "cursor"), ("cursor", cursor)])
    return f'<{path}?{query}>; rel="next"'
