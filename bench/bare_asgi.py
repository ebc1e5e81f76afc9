"""The ceiling of bench/peers.py: a bare ASGI app answering a fixed 5.8 KB JSON body.

    .venv/bin/uvicorn bare_asgi:app --app-dir bench --loop uvloop --http httptools

What uvicorn + uvloop + httptools serve on this machine with no framework and no database: no
read of this service can be faster, so its figures are read against this one.
"""

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]

# The size of a page of 20 summaries of the archive (5.8 KB), as the issue measured it.
BODY = (
    b'{"items": ['
    + b",".join([b'{"id": "gnews-0000000", "title": "' + b"x" * 250 + b'"}'] * 20)
    + b"]}"
)
HEADERS = [(b"content-type", b"application/json"), (b"content-length", str(len(BODY)).encode())]


async def app(
    scope: Scope,
    receive: Callable[[], Awaitable[Message]],
    send: Callable[[Message], Awaitable[None]],
) -> None:
    """Answers every HTTP request with BODY; ignores lifespan events."""
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
