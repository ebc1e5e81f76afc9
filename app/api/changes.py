"""The change feed for mirrors: ``/changes``, ``/changes/digest`` and ``/export``."""

import asyncio
import time
from collections.abc import Iterator
from functools import partial
from typing import Any, Literal

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, Field

from app.api.deps import FeedEngineDep, SettingsDep
from app.api.problems import problem_responses
from app.feed import (
    DIGEST_ALGORITHM,
    REVISIONS_DIGEST_ALGORITHM,
    changes_body,
    current_digest,
    export_lines,
)
from app.replica import on_replica
from app.schemas import ArticlePublic

router = APIRouter(tags=["changes"])

SEARCHED_TEXT = (
    "the plain text search covers besides the title, for an article indexed from its whole "
    "file (its header, meta line, body and footers as a reader sees them); null for one "
    "indexed by its title and `body_text` only. A mirror indexes it, so that it finds "
    "exactly what this service finds."
)

# How often a waiting long-poll looks for new changes; it holds no connection in between.
LONGPOLL_INTERVAL_S = 0.2


class RevisionRecord(BaseModel):
    """One revision of an article as a mirror receives and stores it.

    Exactly one of three forms: the article's current version (`markdown` and `document`
    null: it is the change's `article`); a version that was served and then replaced
    (`document`: the `Article` it was served as); an older version of a git history that
    was never served (`markdown`: the file, and `context`: what its document holds beyond
    the file, so that the mirror renders the same `Article` with the same hash).
    """

    content_hash: str = Field(
        description="The version's content hash.", examples=["9f2c" + "0" * 60]
    )
    commit: str | None = Field(
        description="The git commit that wrote it; null for folders, uploads, PUT.",
        examples=["3f1c2a9e0b7d4c5a8e6f1b2c3d4e5f60718293a4"],
    )
    committed_at: str = Field(
        description="Its commit time (or when it was stored), UTC.",
        examples=["2021-09-12T08:30:00Z"],
    )
    title: str | None = Field(description="Its title.", examples=["艾娃做客斯廷奇菲尔德播客"])
    text_hash: str | None = Field(
        description="SHA-256 of the file it came from; null when unknown.",
        examples=["5d1e" + "0" * 60],
    )
    markdown: str | None = Field(
        description="An older version of a history: its file.", examples=[None]
    )
    context: dict[str, Any] | None = Field(
        description="With `markdown`: `first_seen_at`, `last_seen_at`, `in_head` as the "
        "history showed it, and the index `entry` that filled it in.",
        examples=[None],
    )
    document: ArticlePublic | None = Field(
        description="A replaced version: the `Article` it was served as.", examples=[None]
    )


class ChangePublic(BaseModel):
    """The newest change of one article."""

    seq: int = Field(description="Position in the feed: only grows, never reused.", examples=[4211])
    id: str = Field(description="The article's id.", examples=["gnews-2362915"])
    op: Literal["upsert", "delete"] = Field(
        description="`upsert` or `delete`.", examples=["upsert"]
    )
    content_hash: str | None = Field(
        description="The article's content hash; null for a delete.", examples=["9f2c" + "0" * 60]
    )
    changed_at: str = Field(
        description="When the change was made, UTC (ISO 8601).", examples=["2026-11-26T12:00:00Z"]
    )
    article: ArticlePublic | None = Field(
        default=None,
        description=(
            "With `include_docs=true`: the whole article, as `GET /articles/{id}` gives it. "
            "Absent for a delete."
        ),
    )
    searched_text: str | None = Field(
        default=None,
        description=("With `include_docs=true&include_text=true`: " + SEARCHED_TEXT),
    )
    revisions: list[RevisionRecord] | None = Field(
        default=None,
        description="With `include_docs=true&include_revisions=true`: every revision of "
        "the article, newest first (absent for a delete).",
    )


class ChangesPublic(BaseModel):
    """A page of the change feed."""

    results: list[ChangePublic]
    last_seq: int = Field(description="Pass as `since` to go on from here.", examples=[4211])


class DigestPublic(BaseModel):
    """What a mirror compares to prove it holds exactly what this service holds."""

    last_seq: int = Field(description="The feed's last seq in the same snapshot.", examples=[4211])
    count: int = Field(description="How many live articles.", examples=[46000])
    digest: str = Field(
        description="Hex SHA-256; see the operation's description.", examples=["e3b0" + "0" * 60]
    )
    revisions: int = Field(
        description="How many revisions the live articles have.", examples=[46800]
    )
    revisions_digest: str = Field(
        description="Hex SHA-256 over every revision; see the operation's description.",
        examples=["5a7c" + "0" * 60],
    )


# The feed moves on every write: a cached answer would hide changes from a mirror.
NO_STORE = {"Cache-Control": "no-store"}


def _json(body: dict[str, Any]) -> Response:
    return Response(
        orjson.dumps(body),  # the articles in it are orjson Fragments of their stored bytes
        media_type="application/json",
        headers=NO_STORE,
    )


@router.get(
    "/changes",
    summary="Change feed",
    response_model=ChangesPublic,
    responses=problem_responses(410, 422),
)
async def list_changes(
    request: Request,
    engine: FeedEngineDep,
    settings: SettingsDep,
    since: int = Query(0, ge=0, description="Answer changes with a seq above this; 0 for all."),
    limit: int = Query(1000, ge=1, le=10000, description="Most changes in one answer."),
    include_docs: bool = Query(False, description="Put each upserted article in its change."),
    include_text: bool = Query(
        False, description="With `include_docs`: add each article's `searched_text` (mirrors)."
    ),
    include_revisions: bool = Query(
        False, description="With `include_docs`: add each article's `revisions` (mirrors)."
    ),
    feed: Literal["normal", "longpoll"] = Query(
        "normal", description="`longpoll` waits for a change."
    ),
    timeout: float = Query(30.0, ge=0, le=300, description="Longest wait of a long-poll, seconds."),
) -> Response:
    """The newest change of each article changed after `since`, in seq order.

    A reader that has been shown seq N is never later shown a new change with a smaller seq:
    seqs are handed out under a lock held until commit, so they commit in order. A long-poll
    answers as soon as a change arrives, holding no database connection while it waits.
    `410` when `since` is older than the retained deletions (or ahead of this feed): start
    again from 0. With `include_docs` a page also ends before its articles pass
    `CORPUS_FEED_PAGE_MAX_BYTES` (8 MiB by default; at least one change a page): a page
    shorter than `limit` is not the end, only an empty one is.
    """
    deadline = time.monotonic() + timeout
    while True:
        body = await run_in_threadpool(
            on_replica,
            engine,
            partial(
                changes_body,
                since=since,
                limit=limit,
                include_docs=include_docs,
                include_text=include_text,
                include_revisions=include_revisions,
                max_bytes=settings.feed_page_max_bytes,
            ),
        )
        if body is not None:
            return _json(body)
        remaining = deadline - time.monotonic()
        if feed == "normal" or remaining <= 0 or await request.is_disconnected():
            return _json({"results": [], "last_seq": since})
        await asyncio.sleep(min(LONGPOLL_INTERVAL_S, remaining))


@router.get(
    "/changes/digest",
    summary="Digest of the archive",
    response_model=DigestPublic,
    description=(
        "The feed's `last_seq`, the number of live articles and a digest over every live "
        f"article's `(id, content_hash)`, all from one snapshot. Digest: {DIGEST_ALGORITHM} "
        f"Revisions: {REVISIONS_DIGEST_ALGORITHM}"
    ),
)
async def changes_digest(engine: FeedEngineDep, response: Response) -> DigestPublic:
    """The archive digest a mirror compares with its own."""
    response.headers.update(NO_STORE)
    d = await run_in_threadpool(on_replica, engine, current_digest)
    return DigestPublic(
        last_seq=d.last_seq,
        count=d.count,
        digest=d.digest,
        revisions=d.revisions,
        revisions_digest=d.revisions_digest,
    )


@router.get(
    "/export",
    summary="The whole archive as NDJSON",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": (
                "One `Article` JSON a line, in id order, then a trailer line "
                '`{"last_seq", "digest", "count", "revisions", "revisions_digest"}`, all from '
                "one snapshot. Digest: " + DIGEST_ALGORITHM
            ),
            "content": {
                "application/x-ndjson": {
                    "example": '{"id": "gnews-1", "...": "..."}\n'
                    '{"last_seq": 4211, "digest": "e3b0...", "count": 1}\n'
                }
            },
        },
        **problem_responses(422),
    },
)
def export_archive(
    engine: FeedEngineDep,
    settings: SettingsDep,
    include_text: bool = Query(
        False, description="Add each article's `searched_text` to its line (mirrors)."
    ),
    include_revisions: bool = Query(
        False, description="Add each article's `revisions` to its line (mirrors)."
    ),
) -> StreamingResponse:
    """Every live article, streamed from one snapshot with constant memory; for bootstrapping.

    With `include_text=true` each article line also holds `searched_text`, the plain text
    search covers besides the title (null for an article indexed by its body text only);
    with `include_revisions=true`, `revisions`, as in `/changes`.
    """
    lines: Iterator[str] = export_lines(
        engine,
        include_text=include_text,
        include_revisions=include_revisions,
        max_bytes=settings.feed_page_max_bytes,
    )
    return StreamingResponse(lines, media_type="application/x-ndjson", headers=NO_STORE)
