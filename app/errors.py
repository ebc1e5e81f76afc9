"""The error hierarchy. One handler (``app.api.problems``) turns each into problem+json."""

from typing import Any

PROBLEM_MEDIA_TYPE = "application/problem+json"


def problem_document(
    status: int,
    title: str,
    detail: str,
    *,
    type_slug: str = "about:blank",
    errors: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The RFC 9457 body every error has: ``{"type", "title", "status", "detail"}``."""
    body: dict[str, Any] = {
        "type": type_slug if type_slug == "about:blank" else f"/problems/{type_slug}",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    return body


class ProblemError(Exception):
    """An error the client caused or should know of; ``status`` is the HTTP status."""

    status: int = 500
    title: str = "Internal Server Error"
    type_slug: str = "about:blank"

    def __init__(
        self,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}
        # Per-item reasons (e.g. each bad file of an upload), shown as the problem's ``errors``.
        self.errors = errors


class BadRequest(ProblemError):
    status, title, type_slug = 400, "Bad Request", "bad-request"


class Unauthorized(ProblemError):
    status, title, type_slug = 401, "Unauthorized", "unauthorized"


class Forbidden(ProblemError):
    status, title, type_slug = 403, "Forbidden", "forbidden"


class NotFound(ProblemError):
    status, title, type_slug = 404, "Not Found", "not-found"


class Conflict(ProblemError):
    status, title, type_slug = 409, "Conflict", "conflict"


class Gone(ProblemError):
    status, title, type_slug = 410, "Gone", "gone"


class FeedAhead(Gone):
    """A feed read from a seq past this database's last one: on a read replica, usually one
    the primary showed the reader (``app.replica`` asks the primary instead)."""


class PreconditionFailed(ProblemError):
    status, title, type_slug = 412, "Precondition Failed", "precondition-failed"


class PayloadTooLarge(ProblemError):
    status, title, type_slug = 413, "Payload Too Large", "payload-too-large"


class UnsupportedMediaType(ProblemError):
    status, title, type_slug = 415, "Unsupported Media Type", "unsupported-media-type"


class TooManyRequests(ProblemError):
    status, title, type_slug = 429, "Too Many Requests", "rate-limited"


class Unprocessable(ProblemError):
    status, title, type_slug = 422, "Unprocessable Content", "unprocessable"


class ServiceUnavailable(ProblemError):
    status, title, type_slug = 503, "Service Unavailable", "service-unavailable"
