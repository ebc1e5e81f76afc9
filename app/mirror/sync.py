"""Keeping a local database a mirror of an origin: bootstrap, follow, prove.

Each page of the origin's feed is applied together with the mirror's ``last_seq`` in one
transaction, so a mirror killed at any moment resumes from the last page it committed:
nothing lost, nothing applied twice. A mirror that starts from 0 over a database that
already holds articles (a first run, or after a ``410``) reconciles through ``/export``:
it writes what differs and deletes what the origin no longer has.
"""

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from app.db import snapshot_session, unit_of_work
from app.feed import ArchiveDigest, archive_digest
from app.mirror.apply import Applied, apply_deletions, apply_documents
from app.mirror.client import FeedGone, OriginClient
from app.models import Article, MirrorState, utcnow

Say = Callable[[str], None]

# Changes per page, and so per local transaction.
BATCH = 500
# How long one long-poll of --follow waits at the origin.
FOLLOW_WAIT_S = 25.0
# Backoff while the origin is down: doubles from the first to the cap.
BACKOFF_FIRST_S, BACKOFF_CAP_S = 0.5, 30.0
# A following mirror re-proves itself at most this often, once caught up after changes.
VERIFY_EVERY_S = 300.0


class OriginUnreachable(Exception):
    """The origin could not be synced from within the allowed tries."""


@dataclass(slots=True)
class Verdict:
    """The digest comparison at the end of a sync."""

    matches: bool
    origin: dict[str, Any]
    local_digest: str
    local_count: int
    last_seq: int
    local_revisions_digest: str = ""
    local_revisions: int = 0


def mirror_position(engine: Engine, origin: str) -> int:
    """The origin seq this database has applied up to (0: nothing yet)."""
    with Session(engine) as session:
        state = session.get(MirrorState, origin)
        return state.last_seq if state else 0


def _save_position(session: Session, origin: str, last_seq: int) -> None:
    state = session.get(MirrorState, origin)
    if state is None:
        state = MirrorState(origin=origin, last_seq=last_seq)
    state.last_seq, state.updated_at = last_seq, utcnow()
    session.add(state)
    session.flush()


def apply_page(engine: Engine, origin: str, page: dict[str, Any]) -> Applied:
    """Applies one page of changes and stores its ``last_seq``, all in one transaction."""
    results = page["results"]
    with unit_of_work(engine) as session:
        missing = [r["id"] for r in results if r["op"] == "upsert" and "article" not in r]
        if missing:
            raise ValueError(f"origin sent upserts without documents: {missing[:5]}")
        docs = [
            {
                **r["article"],
                "searched_text": r.get("searched_text"),
                "revisions": r.get("revisions"),
            }
            for r in results
            if r["op"] == "upsert"
        ]
        done = apply_documents(session, docs)
        gone = apply_deletions(session, [r["id"] for r in results if r["op"] == "delete"])
        _save_position(session, origin, int(page["last_seq"]))
    done.deleted = gone.deleted
    return done


def reconcile(engine: Engine, client: OriginClient, say: Say) -> int:
    """Makes the local database equal to the origin's ``/export``; returns its last_seq."""
    seen: set[str] = set()
    batch: list[dict[str, Any]] = []
    written = 0
    trailer: dict[str, Any] | None = None
    for line in client.export():
        if "id" not in line:
            trailer = line
            break
        seen.add(line["id"])
        batch.append(line)
        if len(batch) >= BATCH:
            with unit_of_work(engine) as session:
                written += apply_documents(session, batch).upserted
            batch = []
    if trailer is None:
        raise httpx.ReadError("the export ended without its trailer")
    with unit_of_work(engine) as session:
        written += apply_documents(session, batch).upserted
        held = session.execute(select(col(Article.id))).scalars().all()
        gone = apply_deletions(session, [i for i in held if i not in seen]).deleted
        _save_position(session, client.origin, int(trailer["last_seq"]))
    say(
        f"reconciled with the export: {written} written, {gone} deleted, "
        f"{len(seen)} articles at seq {trailer['last_seq']}"
    )
    return int(trailer["last_seq"])


def _local_is_empty(engine: Engine) -> bool:
    with Session(engine) as session:
        return session.execute(select(col(Article.id)).limit(1)).first() is None


def catch_up(engine: Engine, client: OriginClient, say: Say, *, since: int) -> int:
    """Applies pages until the origin has nothing newer; returns the seq reached.

    The next page is fetched while the current one is written: its ``since`` is known
    before the write, and the origin and the mirror then work side by side.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending: Future[dict[str, Any]] = pool.submit(client.changes, since=since, limit=BATCH)
        while True:
            page = pending.result()
            if not page["results"]:
                if int(page["last_seq"]) != since:
                    with unit_of_work(engine) as session:
                        _save_position(session, client.origin, int(page["last_seq"]))
                return int(page["last_seq"])
            next_since = int(page["last_seq"])
            pending = pool.submit(client.changes, since=next_since, limit=BATCH)
            done = apply_page(engine, client.origin, page)
            say(
                f"seq {next_since}: {done.upserted} written, {done.deleted} deleted, "
                f"{done.unchanged} unchanged"
            )
            since = next_since


def sync_once(engine: Engine, client: OriginClient, say: Say) -> int:
    """Brings the local database level with the origin; returns the origin seq reached."""
    since = mirror_position(engine, client.origin)
    if since == 0 and not _local_is_empty(engine):
        since = reconcile(engine, client, say)
    try:
        return catch_up(engine, client, say, since=since)
    except FeedGone as gone:
        say(f"origin answered 410 ({gone}): starting again from 0")
        with unit_of_work(engine) as session:
            _save_position(session, client.origin, 0)
        since = reconcile(engine, client, say)
        return catch_up(engine, client, say, since=since)


def verify(engine: Engine, client: OriginClient, say: Say, *, attempts: int = 5) -> Verdict:
    """Compares the origin's digest with the local one at the same seq."""
    for _ in range(attempts):
        origin = client.digest()
        reached = sync_once(engine, client, say)
        if reached != int(origin["last_seq"]):
            continue  # the origin moved between the two reads: look again
        with snapshot_session(engine) as session:
            local = archive_digest(session)
        matches = _same(local, origin)
        if matches:  # the operator can read when and at which digest it was last proved
            with unit_of_work(engine) as session:
                state = session.get(MirrorState, client.origin)
                if state is not None:
                    state.digest, state.updated_at = local.digest, utcnow()
                    session.add(state)
        return _verdict(matches, origin, local, reached)
    with snapshot_session(engine) as session:
        local = archive_digest(session)
    return _verdict(False, client.digest(), local, reached)


def _verdict(matches: bool, origin: dict[str, Any], local: ArchiveDigest, seq: int) -> Verdict:
    return Verdict(
        matches, origin, local.digest, local.count, seq, local.revisions_digest, local.revisions
    )


def _same(local: ArchiveDigest, origin: dict[str, Any]) -> bool:
    """The local digest is the origin's (revisions too, from an origin that keeps them)."""
    if (local.digest, local.count) != (origin["digest"], origin["count"]):
        return False
    if "revisions_digest" not in origin:
        return True
    return (local.revisions_digest, local.revisions) == (
        origin["revisions_digest"],
        origin["revisions"],
    )


def _backoff(delay: float, error: Exception, say: Say) -> float:
    say(f"origin unreachable ({type(error).__name__}: {error}); retrying in {delay:.1f}s")
    time.sleep(delay)
    return min(delay * 2, BACKOFF_CAP_S)


def run_mirror(
    engine: Engine,
    origin: str,
    say: Say,
    *,
    follow: bool,
    max_tries: int = 4,
    token: str | None = None,
) -> Verdict:
    """Syncs and verifies; with ``follow``, then long-polls the origin until interrupted.

    ``token`` is sent to the origin on every request (an ``unlimited`` one is not limited).
    """
    client = OriginClient(origin, token=token, say=say)
    delay, tries = BACKOFF_FIRST_S, 0
    try:
        while True:
            try:
                verdict = verify(engine, client, say)
                break
            except (httpx.HTTPError, ValueError) as error:
                tries += 1
                if not follow and tries >= max_tries:
                    raise OriginUnreachable(f"{origin}: {type(error).__name__}: {error}") from error
                delay = _backoff(delay, error, say)
        say(_verdict_line(verdict))
        if follow:
            _follow(engine, client, say, since=verdict.last_seq)
        return verdict
    finally:
        client.close()


def _verdict_line(v: Verdict) -> str:
    state = "MATCH" if v.matches else "MISMATCH"
    line = (
        f"digest {state} at seq {v.last_seq}: origin {v.origin['digest']} "
        f"({v.origin['count']} articles), local {v.local_digest} ({v.local_count} articles)"
    )
    if "revisions_digest" in v.origin:
        line += (
            f"; revisions: origin {v.origin['revisions_digest']} ({v.origin['revisions']}), "
            f"local {v.local_revisions_digest} ({v.local_revisions})"
        )
    return line


def _follow(engine: Engine, client: OriginClient, say: Say, *, since: int) -> None:
    delay, verified_at, dirty = BACKOFF_FIRST_S, time.monotonic(), False
    while True:
        try:
            page = client.changes(since=since, limit=BATCH, wait=FOLLOW_WAIT_S)
            if page["results"] or int(page["last_seq"]) != since:
                done = apply_page(engine, client.origin, page)
                say(f"seq {page['last_seq']}: {done.upserted} written, {done.deleted} deleted")
                dirty = True
            since = int(page["last_seq"])
            delay = BACKOFF_FIRST_S
            if (
                dirty
                and len(page["results"]) < BATCH
                and time.monotonic() - verified_at > VERIFY_EVERY_S
            ):
                since = _check_in_step(engine, client, say)
                verified_at, dirty = time.monotonic(), False
        except FeedGone as gone:
            say(f"origin answered 410 ({gone}): starting again from 0")
            since = _start_again(engine, client, say)
        except (httpx.HTTPError, ValueError) as error:
            delay = _backoff(delay, error, say)


def _start_again(engine: Engine, client: OriginClient, say: Say) -> int:
    with unit_of_work(engine) as session:
        _save_position(session, client.origin, 0)
    return sync_once(engine, client, say)


def _check_in_step(engine: Engine, client: OriginClient, say: Say) -> int:
    """Verifies a following mirror; one that drifted reconciles with the export."""
    verdict = verify(engine, client, say)
    say(_verdict_line(verdict))
    if verdict.matches:
        return verdict.last_seq
    say("the mirror drifted from the origin: reconciling with the export")
    return _start_again(engine, client, say)
