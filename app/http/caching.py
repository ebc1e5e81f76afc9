"""Strong ETags, ``If-None-Match`` and ``Cache-Control`` for JSON (and feed) responses.

The ETag names the uncompressed representation; gzip (added outside) keeps it and adds
``Vary: Accept-Encoding``, so a cache keeps the two encodings apart.
"""

import hashlib
import json
from typing import Any

from fastapi import Request, Response

JSON_MEDIA_TYPE = "application/json"


def strong_etag(*parts: str) -> str:
    """A strong ETag over ``parts`` (a hash: same parts, same tag)."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:40]
    return f'"{digest}"'


def strong_etag_of_bytes(body: bytes) -> str:
    """``strong_etag(body.decode())`` of a UTF-8 body, without decoding and encoding it again."""
    return f'"{hashlib.sha256(body).hexdigest()[:40]}"'


def etag_of_hash(content_hash: str) -> str:
    """The ETag of one article: its content hash, quoted."""
    return f'"{content_hash}"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """True when ``If-None-Match`` is ``*`` or names ``etag`` (weak comparison, per RFC 9110)."""
    if not if_none_match:
        return False
    wanted = etag.removeprefix("W/")
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == wanted:
            return True
    return False


def cache_control(max_age: int) -> str:
    """``Cache-Control`` for public data that may be reused for ``max_age`` seconds."""
    return f"public, max-age={max_age}" if max_age > 0 else "no-cache"


def not_modified(request: Request, *, etag: str, max_age: int) -> Response | None:
    """A ``304`` (empty body) when the client's copy is current, else ``None``."""
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(
            status_code=304, headers={"ETag": etag, "Cache-Control": cache_control(max_age)}
        )
    return None


def dump_json(data: Any) -> bytes:
    """JSON bytes as Starlette's JSONResponse writes them (UTF-8, compact)."""
    return json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def json_response(
    body: bytes, *, etag: str, max_age: int, headers: dict[str, str] | None = None
) -> Response:
    """A 200 JSON response carrying its validator and caching policy."""
    return cached_response(
        body, media_type=JSON_MEDIA_TYPE, etag=etag, max_age=max_age, headers=headers
    )


def cached_response(
    body: bytes,
    *,
    media_type: str,
    etag: str,
    max_age: int,
    headers: dict[str, str] | None = None,
) -> Response:
    """A 200 response of any media type carrying its validator and caching policy."""
    all_headers = {"ETag": etag, "Cache-Control": cache_control(max_age), **(headers or {})}
    return Response(content=body, media_type=media_type, headers=all_headers)


def body_response(request: Request, body: bytes, *, media_type: str, max_age: int) -> Response:
    """``body`` with a strong ETag over its bytes, or a 304 when the client's copy is current."""
    etag = strong_etag_of_bytes(body)
    cached = not_modified(request, etag=etag, max_age=max_age)
    if cached is not None:
        return cached
    return cached_response(body, media_type=media_type, etag=etag, max_age=max_age)
