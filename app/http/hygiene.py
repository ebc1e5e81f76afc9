"""HTTP hygiene for every response: HEAD wherever GET is, nosniff, problem+json CORS refusals."""

from typing import Any

import orjson
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import Scope

from app.errors import PROBLEM_MEDIA_TYPE, problem_document

# A body is what its type says: on every response.
NOSNIFF = ("X-Content-Type-Options", "nosniff")


def as_get(scope: Scope) -> Scope:
    """The scope the app answers a ``HEAD`` with: the same request as a ``GET``.

    FastAPI routes declare GET alone, so HEAD was a 405 everywhere. The app runs the GET
    (ETag, 304, gzip and lengths all come out the same); once its headers are sent the
    response is complete (``HEAD_END``), so a stream such as ``/export`` is cancelled, not
    read to its end. A copy: the router's notes (the route) stay out of the request's scope.
    """
    return {**scope, "method": "GET"}


# What a HEAD's answer ends with, right after its headers; the server sends no body itself.
HEAD_END = {"type": "http.response.body", "body": b"", "more_body": False}


class ProblemCORSMiddleware(CORSMiddleware):
    """Starlette's CORS, with a refused preflight answered as problem+json like every error;
    the HTTP layer asks it for preflights and for the headers of every other response."""

    def is_preflight(self, scope: Scope, origin: str | None) -> bool:
        """Whether the request is a CORS preflight (Starlette's test)."""
        return (
            origin is not None
            and scope["method"] == "OPTIONS"
            and any(name == b"access-control-request-method" for name, _ in scope["headers"])
        )

    def add_simple_headers(self, headers: MutableHeaders, origin: str | None) -> None:
        """What Starlette's ``CORSMiddleware.send`` does to a response's headers."""
        if origin is not None:
            headers.update(self.simple_headers)
            # With credentials the origin itself, never "*"; a list of origins mirrors one.
            if self.allow_credentials if self.allow_all_origins else self.is_allowed_origin(origin):
                self.allow_explicit_origin(headers, origin)
                return
        headers["Vary"] = ", ".join([*headers.getlist("Vary"), "Origin"])

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

    def preflight(self, scope: Scope) -> Response:
        """The answer to a preflight request."""
        return self.preflight_response(Headers(scope=scope))
