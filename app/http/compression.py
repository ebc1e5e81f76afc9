"""gzip for clients that ask for it; for the others, only the ``Vary`` header, cheaply."""

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipResponder
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


class Compression:
    """The gzip settings, and the step a response takes through them on its way out."""

    def __init__(self, *, minimum_size: int, compresslevel: int) -> None:
        self.minimum_size = minimum_size
        self.compresslevel = compresslevel

    def step(self, accepts_gzip: bool, send: Send) -> Send:
        """Starlette's gzip for a request that accepts it; for one that does not, what
        Starlette's identity responder did (``Vary: Accept-Encoding`` on a body of at least
        ``minimum_size`` bytes) without holding the response's start until its body comes:
        the size is known from ``content-length``. An unsized response waits for its body."""
        if not accepts_gzip:
            return VaryOnly(self.minimum_size, send)
        # Starlette's responder, driven one message at a time instead of wrapping an app.
        responder = GZipResponder(_no_app, self.minimum_size, compresslevel=self.compresslevel)
        responder.send = send
        return responder.send_with_compression


async def _no_app(scope: Scope, receive: Receive, send: Send) -> None:
    raise AssertionError("the layer drives the responder's send_with_compression directly")


class VaryOnly:
    """A response to a client without gzip: ``Vary: Accept-Encoding`` where gzip would apply."""

    __slots__ = ("minimum_size", "send", "start")

    def __init__(self, minimum_size: int, send: Send) -> None:
        self.minimum_size = minimum_size
        self.send = send
        self.start: Message | None = None

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            length = Headers(raw=message["headers"]).get("content-length")
            if length is None:  # unsized: the body decides, as Starlette's responder does
                self.start = message
                return
            if int(length) >= self.minimum_size and _may_compress(message):
                MutableHeaders(scope=message).add_vary_header("Accept-Encoding")
        elif self.start is not None:
            held, self.start = self.start, None
            body = message["type"] == "http.response.body"
            if body and _sized_for_gzip(message, self.minimum_size) and _may_compress(held):
                MutableHeaders(scope=held).add_vary_header("Accept-Encoding")
            await self.send(held)
        await self.send(message)


class CompressionMiddleware:
    """``Compression`` as a middleware of its own (the HTTP layer uses the step itself)."""

    def __init__(self, app: ASGIApp, *, minimum_size: int, compresslevel: int) -> None:
        self.app = app
        self.compression = Compression(minimum_size=minimum_size, compresslevel=compresslevel)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, self.compression.step(accepts_gzip(scope), send))


def _sized_for_gzip(body: Message, minimum_size: int) -> bool:
    return bool(body.get("more_body")) or len(body.get("body", b"")) >= minimum_size


def accepts_gzip(scope: Scope) -> bool:
    """Whether the request's (first) Accept-Encoding names gzip, as Starlette's test is."""
    for name, value in scope["headers"]:
        if name == b"accept-encoding":
            return b"gzip" in value
    return False
