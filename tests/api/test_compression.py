"""``CompressionMiddleware`` answers a client without gzip as Starlette's GZipMiddleware does."""

import asyncio
from typing import Any

import pytest
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.http.compression import CompressionMiddleware

SMALL, LARGE = b"x" * 100, b"y" * 5000


def responder(status: int, headers: list[tuple[bytes, bytes]], bodies: list[bytes]) -> ASGIApp:
    """An app answering ``status`` and ``headers`` with the body in the pieces given."""

    async def app(_scope: Scope, _receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": status, "headers": list(headers)})
        for i, body in enumerate(bodies):
            more = i < len(bodies) - 1
            await send({"type": "http.response.body", "body": body, "more_body": more})

    return app


def sent(middleware: ASGIApp, accept: bytes | None) -> list[dict[str, Any]]:
    """The messages ``middleware`` sends for a GET with this Accept-Encoding (None: none)."""
    out: list[dict[str, Any]] = []
    headers = [] if accept is None else [(b"accept-encoding", accept)]
    scope = {"type": "http", "method": "GET", "path": "/", "headers": headers}

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def send(message: Message) -> None:
        out.append({**message, "headers": list(message.get("headers", []))})

    asyncio.run(middleware(scope, receive, send))
    return out


def length(body: bytes) -> tuple[bytes, bytes]:
    return (b"content-length", str(len(body)).encode())


JSON = (b"content-type", b"application/json")
CASES = [
    (200, [JSON, length(LARGE)], [LARGE]),
    (200, [JSON, length(SMALL)], [SMALL]),
    (200, [JSON, length(LARGE), (b"vary", b"Origin")], [LARGE]),
    (206, [JSON, length(LARGE)], [LARGE]),
    (200, [JSON, length(LARGE), (b"content-encoding", b"br")], [LARGE]),
    (200, [(b"content-type", b"image/png"), length(LARGE)], [LARGE]),
    (200, [(b"content-type", b"video/mp4"), length(LARGE)], [LARGE]),
    (200, [(b"content-type", b"application/grpc+proto"), length(LARGE)], [LARGE]),
    (200, [(b"content-type", b"text/event-stream")], [SMALL, SMALL]),
    (200, [JSON], [SMALL]),
    (200, [JSON], [LARGE]),
    (200, [JSON], [SMALL, SMALL, b""]),
    (304, [(b"etag", b'"x"')], [b""]),
]


@pytest.mark.parametrize(("status", "headers", "bodies"), CASES)
@pytest.mark.parametrize("accept", [None, b"br", b"gzip, deflate"])
def test_compression_answers_as_starlette_gzip_does(
    status: int, headers: list[tuple[bytes, bytes]], bodies: list[bytes], accept: bytes | None
) -> None:
    """The same messages, headers included, for every kind of response and Accept-Encoding."""
    app = responder(status, headers, bodies)
    ours = CompressionMiddleware(app, minimum_size=1024, compresslevel=1)
    starlette = GZipMiddleware(app, minimum_size=1024, compresslevel=1)
    assert sent(ours, accept) == sent(starlette, accept)
