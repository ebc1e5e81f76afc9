"""ETag and 304 for every GET whose route did not set its own (health, OpenAPI, docs...)."""

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import Message, Send

from app.http.caching import etag_matches, strong_etag_of_bytes

# Larger or unsized (streamed) bodies pass through untouched rather than being held in memory.
MAX_BUFFERED_BYTES = 8 * 1024 * 1024


class ConditionalGet:
    """One GET's response on its way out: a strong ETag (a hash of the body) on a 200 without
    one, and a 304 instead when it matches ``If-None-Match``; anything else passes as it is."""

    __slots__ = ("if_none_match", "send", "start", "chunks", "passthrough")

    def __init__(self, if_none_match: str | None, send: Send) -> None:
        self.if_none_match = if_none_match
        self.send = send
        self.start: Message | None = None
        self.chunks: list[bytes] = []
        self.passthrough = False

    async def __call__(self, message: Message) -> None:
        if self.passthrough:
            await self.send(message)
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
                self.passthrough = True
                await self.send(message)
                return
            self.start = message
            return
        self.chunks.append(message.get("body", b""))
        if message.get("more_body", False):
            return
        start = self.start
        assert start is not None
        body = b"".join(self.chunks)
        etag = strong_etag_of_bytes(body)
        headers = MutableHeaders(raw=start["headers"])
        headers["ETag"] = etag
        if etag_matches(self.if_none_match, etag):
            for name in ("content-length", "content-type"):
                del headers[name]
            await self.send({"type": "http.response.start", "status": 304, "headers": headers.raw})
            await self.send({"type": "http.response.body", "body": b""})
            return
        await self.send(start)
        await self.send({"type": "http.response.body", "body": body})
