"""The app's one HTTP layer: every response's shared behaviour, composed once, as one ASGI app.

It does what six middlewares did, in their order (outermost first): request id + access log,
nosniff, HEAD, CORS, gzip, ETag. Each behaviour keeps its own module; this one reads the
request's headers once, and on the way out the response's start passes one chain of steps
whose outer part edits its headers in one copy: a request costs one layer's frames instead
of six layers' calls, send wrappers and header copies.
"""

import time
from dataclasses import dataclass

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.http.access_log import REQUEST_ID_HEADER, current_request_id, log_request, request_id_from
from app.http.compression import Compression
from app.http.conditional import ConditionalGet
from app.http.hygiene import HEAD_END, NOSNIFF, ProblemCORSMiddleware, as_get


@dataclass(slots=True)
class RequestHeaders:
    """The request headers the layer's behaviours read (the first of each, as ``Headers.get``)."""

    request_id: str | None = None
    origin: str | None = None
    accept_encoding: bytes | None = None
    if_none_match: str | None = None
    user_agent: str | None = None

    @classmethod
    def of(cls, scope: Scope) -> "RequestHeaders":
        """One pass over the scope's headers."""
        found = cls()
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                if found.request_id is None:
                    found.request_id = value.decode("latin-1")
            elif name == b"origin":
                if found.origin is None:
                    found.origin = value.decode("latin-1")
            elif name == b"accept-encoding":
                if found.accept_encoding is None:
                    found.accept_encoding = value
            elif name == b"if-none-match":
                if found.if_none_match is None:
                    found.if_none_match = value.decode("latin-1")
            elif name == b"user-agent" and found.user_agent is None:
                found.user_agent = value.decode("latin-1")
        return found


class Exchange:
    """One response on its way out, past the outer behaviours: CORS (unless the request was
    a preflight, which CORS answered itself), HEAD, nosniff, the request id, and the figures
    the access log keeps."""

    __slots__ = ("send", "cors", "origin", "head", "request_id", "answered", "status", "sent")

    def __init__(
        self,
        send: Send,
        cors: ProblemCORSMiddleware | None,
        origin: str | None,
        head: bool,
        request_id: str,
    ) -> None:
        self.send = send
        self.cors = cors
        self.origin = origin
        self.head = head
        self.request_id = request_id
        self.answered = False
        self.status = 500
        self.sent = 0

    async def __call__(self, message: Message) -> None:
        kind = message["type"]
        if self.head:
            if self.answered or kind != "http.response.start":
                return
            self.answered = True
        if kind == "http.response.start":
            headers = MutableHeaders(scope=message)
            if self.cors is not None:
                self.cors.add_simple_headers(headers, self.origin)
            headers[NOSNIFF[0]] = NOSNIFF[1]
            headers[REQUEST_ID_HEADER] = self.request_id
            self.status = message["status"]
            await self.send(message)
            if self.head:
                await self.send(dict(HEAD_END))
            return
        if kind == "http.response.body":
            self.sent += len(message.get("body", b""))
        await self.send(message)


class HttpLayer:
    """The shared HTTP behaviour of every route, around the app (see the module's docstring)."""

    def __init__(
        self, app: ASGIApp, *, cors: ProblemCORSMiddleware, compression: Compression
    ) -> None:
        self.app = app
        self.cors = cors
        self.compression = compression

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        asked = RequestHeaders.of(scope)
        request_id = request_id_from(asked.request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        # Copied into the worker threads of sync routes too (anyio copies the context).
        current_request_id.set(request_id)
        method = scope["method"]
        preflight = self.cors.is_preflight(scope, asked.origin)
        out = Exchange(
            send, None if preflight else self.cors, asked.origin, method == "HEAD", request_id
        )
        try:
            if preflight:
                await self.cors.preflight(scope)(scope, receive, out)
                return
            gzip = asked.accept_encoding is not None and b"gzip" in asked.accept_encoding
            step = self.compression.step(gzip, out)
            if method == "GET" or method == "HEAD":
                step = ConditionalGet(asked.if_none_match, step)
            await self.app(as_get(scope) if method == "HEAD" else scope, receive, step)
        finally:
            log_request(scope, request_id, asked.user_agent, out.status, out.sent, started)
