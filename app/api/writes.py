"""The write endpoints: upload articles, replace one, delete one. Each needs a write token.

The routes stay thin: they stream the body in (``app.writes.receive``), then hand it to
``app.writes`` in a worker thread, which owns the one transaction of the write.
"""

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from app.api.articles import ArticleId
from app.api.auth import WriteToken
from app.api.deps import EngineDep, SettingsDep
from app.api.problems import PROBLEM_MEDIA_TYPE, problem_responses
from app.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    ProblemError,
    ServiceUnavailable,
    Unauthorized,
    Unprocessable,
    UnsupportedMediaType,
)
from app.writes.article import Preconditions, delete_article, replace_article
from app.writes.receive import receive_markdown, receive_upload
from app.writes.schemas import ArticleWritten, UploadReport
from app.writes.slots import UploadSlots
from app.writes.upload import ingest_upload

router = APIRouter(tags=["writes"])
UPLOAD_PREFIX = "corpus-upload-"

IfMatch = Annotated[
    str | None,
    Header(
        description="The ETag of the version you edit (GET /articles/{id}); 412 if it changed.",
        examples=['"9f2c' + "0" * 60 + '"'],
    ),
]

# What each error of the write routes says, shown as the OpenAPI example of its status.
_PROBLEM_EXAMPLES: dict[type[ProblemError], str] = {
    BadRequest: "the multipart body ended before its closing boundary",
    Unauthorized: "this endpoint needs an `Authorization: Bearer TOKEN` header",
    Forbidden: "the token 'reader' lacks the 'write' scope",
    NotFound: "no article with id 'gnews-1'",
    Conflict: "other writes kept changing the same articles; send the request again",
    ServiceUnavailable: "the database did not take the write; send the request again",
    PayloadTooLarge: "the body is over the limit of 209715200 bytes",
    PreconditionFailed: "article 'gnews-1' is not at the version named in If-Match",
    UnsupportedMediaType: "send multipart/form-data with `file` parts, not application/json",
    Unprocessable: (
        "1 bad file(s), nothing was stored: content/gnews/1.md: not UTF-8 (byte 0xb4 at offset 0)"
    ),
}


def _problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``problem_responses`` with an example problem for each status."""
    out = problem_responses(*statuses)
    for error, detail in _PROBLEM_EXAMPLES.items():
        if error.status in statuses:
            out[error.status]["content"][PROBLEM_MEDIA_TYPE]["example"] = {
                "type": f"/problems/{error.type_slug}",
                "title": error.title,
                "status": error.status,
                "detail": detail,
            }
    return out


_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "description": (
                                "One or more markdown files, or .zip / .tar.gz / .tar.xz "
                                "archives of them. A file's name (or the archive member's "
                                "path) is its path in the corpus, e.g. content/gnews/123.md."
                            ),
                        },
                        "path": {
                            "type": "string",
                            "description": "For a single markdown file: its path in the corpus.",
                            "example": "content/gnews/2362915.md",
                        },
                    },
                },
                "encoding": {
                    "file": {
                        "contentType": (
                            "text/markdown, application/zip, application/gzip, application/x-xz"
                        )
                    }
                },
            }
        },
    }
}

_MARKDOWN_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "text/markdown": {
                "schema": {"type": "string"},
                "example": "# 标题\n\n**发布时间：** 2024-03-04 08:37\n\n正文。\n",
            }
        },
    }
}


@router.post(
    "/articles",
    summary="Upload articles",
    response_model=UploadReport,
    responses=_problems(400, 401, 403, 409, 413, 415, 422, 503),
    openapi_extra=_UPLOAD_BODY,
)
async def upload_articles(
    request: Request, token: WriteToken, engine: EngineDep, settings: SettingsDep
) -> UploadReport:
    """Adds or updates the articles in the uploaded files and archives; all or nothing.

    Answers with the ingest report. If any file is bad (not UTF-8, binary, empty, an unsafe
    archive member, no path), the whole upload is refused with 422 listing every bad file,
    and nothing is stored. `503` (with `Retry-After`) while `CORPUS_MAX_CONCURRENT_UPLOADS`
    uploads are being received already.
    """
    slots: UploadSlots = request.app.state.upload_slots
    # The slot first: a refused upload makes no temp folder.
    with (
        slots.slot(),
        tempfile.TemporaryDirectory(prefix=UPLOAD_PREFIX, dir=settings.upload_temp_dir) as folder,
    ):
        upload = await receive_upload(request, folder=Path(folder), settings=settings)
        return await run_in_threadpool(
            ingest_upload, engine, upload, settings=settings, token_name=token.name
        )


@router.put(
    "/articles/{id}",
    summary="Replace an article",
    response_model=ArticleWritten,
    responses={
        201: {"description": "The article was new and has been added.", "model": ArticleWritten},
        **_problems(401, 403, 409, 412, 413, 415, 422, 503),
    },
    openapi_extra=_MARKDOWN_BODY,
)
async def put_article(
    id: ArticleId,
    request: Request,
    response: Response,
    token: WriteToken,
    engine: EngineDep,
    settings: SettingsDep,
    path: str | None = Query(
        default=None,
        description=(
            "The article's path in the corpus. Needed only for a new id (an id cannot be "
            "turned back into a path); for an existing article it must match its path."
        ),
        examples=["content/gnews/2362915.md"],
    ),
    if_match: IfMatch = None,
    if_none_match: str | None = Header(
        default=None,
        description="`*`: only add the article, never replace one (412 if it exists).",
        examples=["*"],
    ),
) -> ArticleWritten:
    """Replaces one article with the markdown body (200), or adds it when the id is new (201).

    Send the article's ETag in `If-Match` to be sure no one changed it since you read it.
    """
    data = await receive_markdown(request, limit=settings.max_file_bytes)
    written = await run_in_threadpool(
        replace_article,
        engine,
        article_id=id,
        path=path,
        data=data,
        settings=settings,
        token_name=token.name,
        preconditions=Preconditions(if_match, if_none_match),
    )
    if written.result == "added":
        response.status_code = 201
    response.headers["Location"] = f"/articles/{written.id}"
    response.headers["ETag"] = f'"{written.content_hash}"'
    return written


@router.delete(
    "/articles/{id}",
    summary="Delete an article",
    status_code=204,
    response_class=Response,
    responses=_problems(401, 403, 404, 409, 412, 422, 503),
)
def remove_article(
    id: ArticleId, token: WriteToken, engine: EngineDep, if_match: IfMatch = None
) -> Response:
    """Deletes one article; mirrors see a `delete` change."""
    delete_article(
        engine, article_id=id, token_name=token.name, preconditions=Preconditions(if_match)
    )
    return Response(status_code=204)
