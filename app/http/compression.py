"""gzip for clients that ask for it; for the others, only the ``Vary`` header, cheaply."""

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

NEVER_COMPRESSED = frozenset(DEFAULT_EXCLUDED_CONTENT_TYPES)


def _may_compress(start: Message) -> bool:
    """Whether Starlette's gzip would consider this response (and so name Accept-Encoding):
    not partial, not encoded already, not of a type it leaves alone."""
    headers = Headers(raw=start["headers"])
    media_type = headers.get("content-type", "").partition(";")[0].strip().lower()
    kinds = {media_type, media_type.partition("/")[0] + "/*"}
    if media_type.startswith("application/grpc+"):
        kinds.add("application/grpc")
    return (
        start["status"] != 206
        and "content-encoding" not in headers
        and kinds.isdisjoint(NEVER_COMPRESSED)
    )


class CompressionMiddleware:
    """Starlette's ``GZipMiddleware`` for a request that accepts gzip; for one that does not,
    what Starlette's identity responder did (``Vary: Accept-Encoding`` on a body of at least
    ``minimum_size`` bytes) without holding the response's start until its body comes: the
    size is known from ``content-length``. An unsized response still goes to Starlette's."""

    def __init__(self, app: ASGIApp, *, minimum_size: int, compresslevel: int) -> None:
        self.app = app
        self.minimum_size = minimum_size
        self.starlette = GZipMiddleware(app, minimum_size=minimum_size, compresslevel=compresslevel)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _accepts_gzip(scope):
            await self.starlette(scope, receive, send)
            return
        start: Message | None = None

        async def vary(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                length = Headers(raw=message["headers"]).get("content-length")
                if length is None:  # unsized: the body decides, as Starlette's responder does
                    start = message
                    return
                if int(length) >= self.minimum_size and _may_compress(message):
                    MutableHeaders(scope=message).add_vary_header("Accept-Encoding")
            elif start is not None:
                held, start = start, None
                body = message["type"] == "http.response.body"
                if body and _sized_for_gzip(message, self.minimum_size) and _may_compress(held):
                    MutableHeaders(scope=held).add_vary_header("Accept-Encoding")
                await send(held)
            await send(message)

        await self.app(scope, receive, vary)


def _sized_for_gzip(body: Message, minimum_size: int) -> bool:
    return bool(body.get("more_body")) or len(body.get("body", b"")) >= minimum_size


def _accepts_gzip(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"accept-encoding":
            return b"gzip" in value
    return False
