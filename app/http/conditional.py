"""ETag and 304 for every GET whose route did not set its own (health, OpenAPI, docs...)."""

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.http.caching import etag_matches, strong_etag_of_bytes

# Larger or unsized (streamed) bodies pass through untouched rather than being held in memory.
MAX_BUFFERED_BYTES = 8 * 1024 * 1024


class ConditionalGetMiddleware:
    """Adds a strong ETag (a hash of the body) to GET 200s without one; answers 304 on a match."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        if_none_match = Headers(scope=scope).get("if-none-match")
        start: Message | None = None
        chunks: list[bytes] = []
        passthrough = False

        async def send_wrapper(message: Message) -> None:
            nonlocal start, passthrough
            if passthrough:
                await send(message)
                return
            if message["type"] == "http.response.start":
                headers = Headers(raw=message["headers"])
                length = headers.get("content-length")
                if (
                    message["status"] != 200
                    or "etag" in headers
                    or length is None
                    or int(length) > MAX_BUFFERED_BYTES
                ):
                    passthrough = True
                    await send(message)
                    return
                start = message
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            assert start is not None
            body = b"".join(chunks)
            etag = strong_etag_of_bytes(body)
            headers = MutableHeaders(raw=start["headers"])
            headers["ETag"] = etag
            if etag_matches(if_none_match, etag):
                for name in ("content-length", "content-type"):
                    del headers[name]
                await send({"type": "http.response.start", "status": 304, "headers": headers.raw})
                await send({"type": "http.response.body", "body": b""})
                return
            await send(start)
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, send_wrapper)
