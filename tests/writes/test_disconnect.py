"""A client that goes away halfway through its upload leaves nothing behind."""

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from writes.articles import article_bytes, gnews_path, multipart_body, tar_archive


def _call_and_hang_up(
    app: Any, headers: list[tuple[bytes, bytes]], chunks: list[bytes]
) -> list[dict[str, Any]]:
    """Sends ``chunks`` of a body through the ASGI app, then a disconnect; returns what it sent."""
    incoming: list[dict[str, Any]] = [
        {"type": "http.request", "body": chunk, "more_body": True} for chunk in chunks
    ]
    incoming.append({"type": "http.disconnect"})
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if incoming:
            return incoming.pop(0)
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
    return sent


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
        sent = _call_and_hang_up(app, headers, [body[:1000], body[1000:half]])
    finally:
        app.state.engine.dispose()
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 400  # the answer nobody reads; logged as a cut-off request
    answer = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    assert b"went away" in answer
    assert snapshot() == before
    assert list(upload_dir.iterdir()) == []  # the parts already on disk were removed
