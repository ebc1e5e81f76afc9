"""Request ids and one structured (JSON) access-log line per request, on logger ``app.access``."""

import json
import logging
import os
import re
import sys
import time

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.metrics import ROUTE_TEMPLATE_KEY, observe_request

log = logging.getLogger("app.access")
REQUEST_ID_HEADER = "X-Request-ID"
# A client's id is echoed only when it is short, printable ASCII: it goes into logs and headers.
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


def request_id_from(headers: Headers) -> str:
    """The client's X-Request-ID when it is safe to echo, else a new one."""
    given = headers.get("x-request-id")
    if given and _SAFE_ID.match(given):
        return given
    return os.urandom(16).hex()  # as random as uuid4().hex, without building a UUID


def ensure_access_handler() -> None:
    """Print access lines on stderr when nothing else (uvicorn, the root logger) shows them."""
    if not log.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
    if log.level == logging.NOTSET:
        log.setLevel(logging.INFO)


class RequestContextMiddleware:
    """Gives each request an id (echoed in X-Request-ID) and logs one JSON line when it ends."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = Headers(scope=scope)
        request_id = request_id_from(headers)
        scope.setdefault("state", {})["request_id"] = request_id
        status, sent = 500, 0

        async def send_wrapper(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            seconds = time.perf_counter() - started
            route = scope.get("route")  # set by the router when a route matched
            template = getattr(route, "path", None) or scope.get(ROUTE_TEMPLATE_KEY)
            observe_request(scope["method"], template, status, seconds)
            client = scope.get("client")
            log.info(
                json.dumps(
                    {
                        "event": "request",
                        "request_id": request_id,
                        "method": scope["method"],
                        "path": scope["path"],
                        "query": scope.get("query_string", b"").decode("latin-1"),
                        "status": status,
                        "bytes": sent,
                        "duration_ms": round(seconds * 1000, 3),
                        "client": client[0] if client else None,
                        "user_agent": headers.get("user-agent"),
                    },
                    ensure_ascii=False,
                )
            )
