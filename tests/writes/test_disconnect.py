"""A client that goes away halfway through its upload leaves nothing behind."""

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from writes.articles import article_bytes, gnews_path, multipart_body, tar_archive


def _post(
    app: Any, headers: list[tuple[bytes, bytes]], messages: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], int]:
    """POSTs to /articles through the ASGI app, handing out ``messages`` as the body.

    Returns what the app sent, and how many messages it never asked for.
    """
    pending = list(messages)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if pending:
            return pending.pop(0)
        await asyncio.sleep(3600)  # a real server never sends anything after a disconnect
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/articles",
        "raw_path": b"/articles",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    asyncio.run(app(scope, receive, send))
    return sent, len(pending)


def _pieces(*chunks: bytes, last: bool) -> list[dict[str, Any]]:
    messages = [{"type": "http.request", "body": c, "more_body": True} for c in chunks]
    messages[-1]["more_body"] = not last
    return messages


def test_a_request_cut_off_halfway_stores_nothing(
    database_url: str,
    tmp_path: Path,
    client: TestClient,
    seeded: list[str],
    write_token: str,
    snapshot: Callable[[], Any],
) -> None:
    before = snapshot()
    upload_dir = tmp_path / "uploads"
    upload_dir.mkdir()
    archive = tar_archive((gnews_path(300 + n), article_bytes(300 + n)) for n in range(50))
    body, ctype = multipart_body(
        [("file", gnews_path(299), article_bytes(299)), ("file", "half.tar.gz", archive)]
    )
    half = len(body) // 2
    headers = [
        (b"host", b"testserver"),
        (b"content-type", ctype.encode()),
        (b"content-length", str(len(body)).encode()),
        (b"authorization", f"Bearer {write_token}".encode()),
    ]
    app = create_app(Settings(database_url=database_url, upload_temp_dir=str(upload_dir)))
    try:
        messages = [*_pieces(body[:1000], body[1000:half], last=False), {"type": "http.disconnect"}]
        sent, _unread = _post(app, headers, messages)
    finally:
        app.state.engine.dispose()
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 400  # the answer nobody reads; logged as a cut-off request
    answer = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    assert b"went away" in answer
    assert snapshot() == before
    assert list(upload_dir.iterdir()) == []  # the parts already on disk were removed


def test_an_upload_without_a_token_is_refused_before_its_body_is_read(
    database_url: str, client: TestClient, snapshot: Callable[[], Any]
) -> None:
    before = snapshot()
    body, ctype = multipart_body([("file", gnews_path(1), article_bytes(1))])
    chunks = [body[:100], body[100:]]
    headers = [
        (b"host", b"testserver"),
        (b"content-type", ctype.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    app = create_app(Settings(database_url=database_url))
    try:
        sent, unread = _post(app, headers, _pieces(*chunks, last=True))
    finally:
        app.state.engine.dispose()
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 401
    assert unread == len(chunks)  # not one piece of the body was taken in
    assert snapshot() == before
