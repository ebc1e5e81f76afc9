"""Every error leaves the service as ``application/problem+json`` (RFC 9457), from here."""

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.db_faults import DATABASE_ERRORS, RETRY_AFTER_S, unavailable_reason
from app.errors import PROBLEM_MEDIA_TYPE as PROBLEM_MEDIA_TYPE  # re-exported: routes use it
from app.errors import ProblemError, ServiceUnavailable, Unprocessable, problem_document

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
log = logging.getLogger("app.errors")


class ProblemItem(BaseModel):
    """One thing that failed validation: a parameter, a body field or an uploaded file."""

    loc: list[str | int] = Field(
        description="Where: the parameter's place and name, or `file` and the file's path.",
        examples=[["query", "limit"]],
    )
    msg: str = Field(
        description="Why, for a person to read.",
        examples=["Input should be less than or equal to 200"],
    )
    type: str = Field(description="The kind of failure.", examples=["less_than_equal"])


class Problem(BaseModel):
    """An error, as RFC 9457 shapes it."""

    type: str = Field(
        description="A URI naming the kind of error.", examples=["/problems/not-found"]
    )
    title: str = Field(description="A short summary of the kind of error.", examples=["Not Found"])
    status: int = Field(description="The HTTP status code.", examples=[404])
    detail: str = Field(
        description="What went wrong this time, for a person to read.",
        examples=["no article with id 'gnews-1'"],
    )
    # A typed list (not free-form objects), so client generators make a model of it.
    errors: list[ProblemItem] | None = Field(
        default=None,
        description="For 422: each parameter, field or file that failed validation.",
        examples=[[{"loc": ["query", "limit"], "msg": "Input should be ...", "type": "..."}]],
    )


def problem_response(
    status: int,
    title: str,
    detail: str,
    *,
    type_slug: str = "about:blank",
    headers: dict[str, str] | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> JSONResponse:
    """A problem+json response."""
    body = problem_document(status, title, detail, type_slug=type_slug, errors=errors)
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def problem_of(error: ProblemError) -> JSONResponse:
    """The problem+json response of one of our errors: its class gives status, title and type."""
    return problem_response(
        error.status,
        error.title,
        error.detail,
        type_slug=error.type_slug,
        headers=error.headers,
        errors=error.errors,
    )


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` entry documenting each error status of a route."""
    descriptions = {
        304: "Not Modified: the ETag in If-None-Match is still current.",
        400: "Bad Request",
        401: "No valid bearer token.",
        403: "The token lacks the needed scope.",
        404: "No such resource.",
        409: "Conflict: concurrent writes got in the way; send the request again.",
        410: "Gone: the requested history is no longer retained.",
        412: "Precondition Failed: If-Match or If-None-Match did not hold.",
        413: "The request body is too large.",
        415: "Unsupported media type.",
        422: "A parameter or the body failed validation.",
        429: "Too Many Requests: the client's rate limit is used up; retry after Retry-After.",
        503: (
            "The database is unavailable (down, hung or refusing) or not migrated; "
            "send the request again after Retry-After seconds."
        ),
    }
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        if status == 304:
            out[status] = {"description": descriptions[304]}
            continue
        # No ``model``: FastAPI would add the schema again under ``application/json``, a type
        # these responses never have. ``app.api.spec`` puts ``Problem`` in the components.
        out[status] = {
            "description": descriptions.get(status, "Error"),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": dict(PROBLEM_REF)}},
        }
    return out


def problem_schemas() -> dict[str, dict[str, Any]]:
    """``Problem`` and the models it uses, as entries of the spec's ``components.schemas``."""
    schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    nested = schema.pop("$defs", {})
    return {**nested, "Problem": schema}


def install_problem_handlers(app: FastAPI) -> None:
    """Route every error, ours and the framework's, through one problem+json shape."""

    @app.exception_handler(ProblemError)
    async def _problem(_request: Request, exc: ProblemError) -> JSONResponse:
        return problem_of(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors)
        return problem_of(Unprocessable(detail or "invalid request", errors=errors))

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return problem_response(
            exc.status_code,
            _reason(exc.status_code),
            str(exc.detail),
            headers=dict(exc.headers or {}),
        )

    async def _database(request: Request, exc: Exception) -> JSONResponse:
        # A database that is down, hung or refusing is the client's "try again", never a
        # 500; any other database error is a bug and goes on to the 500 below.
        reason = unavailable_reason(exc)
        if reason is None:
            raise exc
        log.warning("database unavailable on %s %s: %r", request.method, request.url.path, exc)
        return problem_of(database_unavailable(reason))

    for error in DATABASE_ERRORS:
        app.add_exception_handler(error, _database)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        # The base class is the 500: nothing more is known of what went wrong.
        return problem_of(ProblemError("an unexpected error occurred"))


def database_unavailable(reason: str) -> ServiceUnavailable:
    """The 503 of a database that cannot serve now, with the ``Retry-After`` it asks for."""
    return ServiceUnavailable(
        f"{reason}; try again later", headers={"Retry-After": str(RETRY_AFTER_S)}
    )


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
