"""HTTP hygiene for every response: HEAD wherever GET is, nosniff, problem+json CORS refusals."""

from typing import Any

import orjson
from starlette.datastructures import MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import PROBLEM_MEDIA_TYPE, problem_document


class HeadMiddleware:
    """Answers ``HEAD`` as the ``GET`` of the same URL would, headers only.

    FastAPI routes declare GET alone, so HEAD was a 405 everywhere. The app runs the GET
    (ETag, 304, gzip and lengths all come out the same); once its headers are sent the
    response is complete, so a stream such as ``/export`` is cancelled, not read to its end.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        answered = False

        async def headers_only(message: Message) -> None:
            nonlocal answered
            if answered or message["type"] != "http.response.start":
                return
            answered = True
            # The server sees HEAD in its own scope and sends no body bytes itself.
            await send(message)
            await send({"type": "http.response.body", "body": b"", "more_body": False})

        await self.app({**scope, "method": "GET"}, receive, headers_only)


class NoSniffMiddleware:
    """``X-Content-Type-Options: nosniff`` on every response: a body is what its type says."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["X-Content-Type-Options"] = "nosniff"
            await send(message)

        await self.app(scope, receive, with_header)


class ProblemCORSMiddleware(CORSMiddleware):
    """Starlette's CORS, with a refused preflight answered as problem+json like every error."""

    def preflight_response(self, request_headers: Any) -> Response:
        """Starlette's answer; its ``400 text/plain`` refusal becomes a problem."""
        response = super().preflight_response(request_headers)
        if response.status_code != 400:
            return response
        detail = bytes(response.body).decode("utf-8", "replace")
        body = problem_document(400, "Bad Request", f"{detail} (this service allows GET)")
        headers = {
            k: v for k, v in response.headers.items() if k not in ("content-length", "content-type")
        }
        return Response(
            orjson.dumps(body), status_code=400, headers=headers, media_type=PROBLEM_MEDIA_TYPE
        )
