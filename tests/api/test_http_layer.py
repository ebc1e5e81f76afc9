"""The HTTP layer: one pure-ASGI layer of ours around the routes, CORS headers as Starlette's."""

import asyncio
from typing import Any

import pytest
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.types import Message

from app.api.rate_limits import RateLimitMiddleware
from app.config import Settings
from app.http.hygiene import ProblemCORSMiddleware
from app.http.layer import HttpLayer
from app.main import create_app


def test_the_app_has_one_http_layer_around_the_rate_limits(database_url: str) -> None:
    app = create_app(Settings(database_url=database_url))
    try:
        assert [m.cls for m in app.user_middleware] == [HttpLayer, RateLimitMiddleware]
    finally:
        app.state.engine.dispose()


async def _no_app(*_: Any) -> None:
    raise AssertionError("not called")


CORS_SETTINGS: list[dict[str, Any]] = [
    {"allow_origins": ["*"]},
    {"allow_origins": ["*"], "allow_credentials": True},
    {"allow_origins": ["https://reader.example"]},
    {"allow_origins": ["https://reader.example"], "allow_credentials": True},
    {"allow_origins": [], "allow_origin_regex": r"https://.*\.example"},
]
VARY = [[], [(b"vary", b"Accept-Encoding")], [(b"vary", b"A"), (b"vary", b"B")]]


@pytest.mark.parametrize("settings", CORS_SETTINGS)
@pytest.mark.parametrize("origin", [None, "https://reader.example", "https://other.test"])
@pytest.mark.parametrize("vary", VARY)
def test_a_responses_cors_headers_are_starlettes(
    settings: dict[str, Any], origin: str | None, vary: list[tuple[bytes, bytes]]
) -> None:
    common = {"allow_methods": ["GET"], "expose_headers": ["ETag"], **settings}
    ours = ProblemCORSMiddleware(_no_app, **common)
    theirs = CORSMiddleware(_no_app, **common)
    start = [(b"content-type", b"application/json"), *vary, (b"etag", b'"x"')]
    request = Headers(headers={} if origin is None else {"Origin": origin})
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    message: Message = {"type": "http.response.start", "status": 200, "headers": list(start)}
    asyncio.run(theirs.send(message, send=send, request_headers=request))
    headers = MutableHeaders(raw=list(start))
    ours.add_simple_headers(headers, origin)
    assert headers.raw == sent[0]["headers"]
