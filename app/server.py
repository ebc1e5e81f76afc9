"""The HTTP server: uvicorn with the project's own protocol class (timeouts, problem+json).

uvicorn stays the server; where it has no setting, ``CorpusHttpProtocol`` (a subclass of
its httptools protocol, the one ``corpus serve`` runs) adds it:

- **Header timeout** (``CORPUS_HEADER_TIMEOUT``): from the connection's first moment, or a
  request's first byte, until its headers are complete. uvicorn arms no timer before a
  request's headers, so a client sending partial headers held its connection for ever.
  A request that has begun gets a ``408`` problem; a connection that sent nothing is closed.
  Connections whose timeouts pass together are closed a few per turn of the event loop.
- **Body timeout** (``CORPUS_BODY_TIMEOUT``): the longest pause between two pieces of a
  request's body, while the app waits for it (not while uvicorn's own flow control has
  paused reading). Crossed: ``408`` problem+json, the app sees the client gone (an upload
  removes its temp folder) and the connection is closed.
- **Keep-alive timeout** (``CORPUS_KEEP_ALIVE_TIMEOUT``, uvicorn's): an idle connection is
  closed, except when the client's next request already waits unread in the socket (the
  event loop, busy, ran the timer late): closing then would reset a request sent in time.
- **400s** uvicorn answers itself (malformed HTTP, a raw non-ASCII byte in the target) are
  ``application/problem+json`` like every other error.
"""

import asyncio
import ctypes
import fcntl
import gc
import logging
import os
import struct
import termios
import weakref
from collections import deque
from functools import lru_cache
from typing import Any

import httptools
from fastapi import FastAPI
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState

from app.api.problems import problem_response
from app.config import Settings, get_settings
from app.main import create_app

log = logging.getLogger("app.server")

BAD_TARGET = (
    "the request target is not valid: percent-encode every byte outside printable ASCII "
    "(curl -G URL --data-urlencode 'tag=美国')"
)
MALFORMED = "the request is not valid HTTP/1.1"
# uvicorn sets no bound on a request's head; these are h11's 16 KiB for the target (uvicorn's
# other parser) and nginx's default 4 x 8 KiB buffers, doubled, for all of the headers.
MAX_TARGET_BYTES = 16 * 1024
MAX_HEAD_BYTES = 64 * 1024
HEADERS_TOO_SLOW = "the request's headers did not arrive within {0:g} s"
# A thousand connections opened at once reach their header timeout at once: closed in the
# one turn of the event loop their timers fire in, they held it 16-44 ms (median 28 ms,
# bench/header_deadlines.py), and a request that came meanwhile waited as long. They are
# closed this many a turn (median 6 ms); between two turns the loop reads its sockets.
CLOSES_PER_TURN = 64
BODY_TOO_SLOW = "the request body paused for more than {0:g} s"


def problem_bytes(
    status: int, title: str, detail: str, default_headers: list[tuple[bytes, bytes]]
) -> bytes:
    """A whole problem+json response, status line to body, that closes the connection."""
    return _problem_bytes(status, title, detail, tuple(default_headers))


# A thousand slow connections opened together reach their header timeout together: the
# same 408 (its Date changes once a second) is built once, not once per connection while
# every other request waits for the event loop.
@lru_cache(maxsize=64)
def _problem_bytes(
    status: int, title: str, detail: str, default_headers: tuple[tuple[bytes, bytes], ...]
) -> bytes:
    response = problem_response(status, title, detail)
    head = [STATUS_LINE[status]]
    for name, value in [*default_headers, *response.raw_headers, (b"connection", b"close")]:
        head.extend([name, b": ", value, b"\r\n"])
    return b"".join([*head, b"\r\n", bytes(response.body)])


class HeadTooLarge(Exception):
    """A request's target or headers crossed their bound (raised inside a parser callback)."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail


class OverdueHeads:
    """A server's connections past their header timeout, closed a few per loop turn."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.waiting: deque[CorpusHttpProtocol] = deque()

    def add(self, protocol: "CorpusHttpProtocol") -> None:
        """Queues a connection to be closed; the first one queued starts the turns."""
        if not self.waiting:
            self.loop.call_soon(self._close_some)
        self.waiting.append(protocol)

    def _close_some(self) -> None:
        for _ in range(min(CLOSES_PER_TURN, len(self.waiting))):
            self.waiting.popleft().close_overdue()
        if self.waiting:
            self.loop.call_soon(self._close_some)


_overdue_heads: "weakref.WeakKeyDictionary[ServerState, OverdueHeads]" = (
    weakref.WeakKeyDictionary()
)


def overdue_heads(server_state: ServerState, loop: asyncio.AbstractEventLoop) -> OverdueHeads:
    """The queue of overdue connections of the server ``server_state`` belongs to."""
    queue = _overdue_heads.get(server_state)
    if queue is None:
        queue = _overdue_heads[server_state] = OverdueHeads(loop)
    return queue


class CorpusHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with header and body timeouts and problem+json 400s."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        settings = get_settings()
        self.header_timeout = settings.header_timeout
        self.body_timeout = settings.body_timeout
        self.header_timer: asyncio.TimerHandle | None = None
        self.body_timer: asyncio.TimerHandle | None = None
        self.in_message = False  # between a request's first byte and its body's end
        self.request_begun = False  # between a request's first byte and its headers' end
        self.overdue = False  # its header timeout passed; waits in OverdueHeads to be closed
        self.head_bytes = 0
        self.body_seen_at = 0.0

    def timeout_keep_alive_handler(self) -> None:
        """Closes an idle connection, unless its next request has come and is not read yet."""
        if not self.transport.is_closing() and _unread_bytes(self.transport):
            # The loop reads it next (data_received cancels this); armed again in case not.
            self.timeout_keep_alive_task = self.loop.call_later(
                self.timeout_keep_alive, self.timeout_keep_alive_handler
            )
            return
        super().timeout_keep_alive_handler()

    # Header timeout: armed while no request is being answered, until headers are complete.

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Arms the header timer: a connection that sends nothing is closed in time too."""
        super().connection_made(transport)
        self._arm_header_timer()

    def data_received(self, data: bytes) -> None:
        """Arms the header timer when bytes arrive between requests; parses (problem+json 400)."""
        if self.overdue:  # came after the header timeout: the connection is closed unread
            return
        if not self.in_message:
            self._arm_header_timer()
        # Bytes between requests or in a head count against the head's bound; a body's not.
        in_head = not self.in_message or self.request_begun
        if in_head:
            self.head_bytes += len(data)
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
            if in_head and self.header_timer is not None and self.head_bytes > MAX_HEAD_BYTES:
                # Still no end of the head: every byte so far was head (httptools would
                # hold a header's value in memory for as long as it grows).
                detail = f"the request's head is over the limit of {MAX_HEAD_BYTES} bytes"
                self._close_with(431, "Request Header Fields Too Large", detail)
        except httptools.HttpParserInvalidURLError:
            self._refuse(BAD_TARGET)
        except httptools.HttpParserError as error:
            # A callback's own error arrives wrapped: a bound crossed, or a target uvicorn
            # cannot decode (a raw byte after the '?') or parse.
            cause = error.__context__
            if isinstance(cause, HeadTooLarge):
                self._close_with(cause.status, cause.title, cause.detail)
            elif isinstance(cause, UnicodeDecodeError | httptools.HttpParserInvalidURLError):
                self._refuse(BAD_TARGET)
            else:
                self._refuse(f"{MALFORMED}: {error}")
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()

    def on_message_begin(self) -> None:
        """A request's first byte: it now has ``header_timeout`` to finish its headers."""
        super().on_message_begin()
        self.in_message = self.request_begun = True
        self._arm_header_timer()

    def on_url(self, url: bytes) -> None:
        """A piece of the target, refused with 414 past ``MAX_TARGET_BYTES``."""
        super().on_url(url)
        if len(self.url) > MAX_TARGET_BYTES:
            detail = f"the request target is over the limit of {MAX_TARGET_BYTES} bytes"
            raise HeadTooLarge(414, "URI Too Long", detail)

    def on_headers_complete(self) -> None:
        """Headers complete: the header timer stops, the body timer starts."""
        self._cancel_header_timer()
        self.request_begun, self.head_bytes = False, 0
        super().on_headers_complete()
        self.body_seen_at = self.loop.time()
        self._cancel_body_timer()
        self.body_timer = self.loop.call_later(self.body_timeout, self._body_deadline)

    def on_body(self, body: bytes) -> None:
        """A piece of the body: the pause the body timer measures starts again."""
        self.body_seen_at = self.loop.time()
        super().on_body(body)

    def on_message_complete(self) -> None:
        """The whole body is in: nothing more to wait for."""
        self.in_message = False
        self._cancel_body_timer()
        super().on_message_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        """Stops both timers with the connection."""
        self._cancel_header_timer()
        self._cancel_body_timer()
        super().connection_lost(exc)

    def send_400_response(self, msg: str) -> None:
        """uvicorn's own 400, as problem+json (its message is only ever the generic one)."""
        self._refuse(MALFORMED)

    def _refuse(self, detail: str) -> None:
        log.info("refused a request before the app: %s", detail)
        self._close_with(400, "Bad Request", detail)

    def _arm_header_timer(self) -> None:
        if self.header_timer is None:
            self.header_timer = self.loop.call_later(self.header_timeout, self._header_deadline)

    def _cancel_header_timer(self) -> None:
        if self.header_timer is not None:
            self.header_timer.cancel()
            self.header_timer = None

    def _cancel_body_timer(self) -> None:
        if self.body_timer is not None:
            self.body_timer.cancel()
            self.body_timer = None

    def _header_deadline(self) -> None:
        self.header_timer = None
        if not self.transport.is_closing():
            self.overdue = True
            overdue_heads(self.server_state, self.loop).add(self)

    def close_overdue(self) -> None:
        """Closes the connection, its header timeout passed: with a 408 if a request began."""
        if self.transport.is_closing():
            return
        if self.request_begun:
            detail = HEADERS_TOO_SLOW.format(self.header_timeout)
            self._close_with(408, "Request Timeout", detail)
        else:  # nothing was asked: there is no one to answer
            self.transport.close()

    def _body_deadline(self) -> None:
        self.body_timer = None
        cycle = self.cycle
        if self.transport.is_closing() or cycle is None or not cycle.more_body:
            return
        idle = self.loop.time() - self.body_seen_at
        if self.flow.read_paused or idle < self.body_timeout:
            # The app has not read what came (our own back-pressure), or a piece came since.
            wait = self.body_timeout - idle if idle < self.body_timeout else self.body_timeout
            self.body_timer = self.loop.call_later(wait, self._body_deadline)
            return
        if cycle.response_complete:  # answered already (early: a 401, a 413): only close
            self.transport.close()
        else:
            self._close_with(408, "Request Timeout", BODY_TOO_SLOW.format(self.body_timeout))

    def _close_with(self, status: int, title: str, detail: str) -> None:
        """Answers with a problem and closes; only closes when an answer is under way (a
        second one would be read as part of it)."""
        cycle = self.cycle
        answering = cycle is not None and cycle.response_started and not cycle.response_complete
        if cycle is not None and not cycle.response_complete:
            # The app's receive() now answers http.disconnect, and its sends go nowhere.
            cycle.disconnected = True
            cycle.message_event.set()
        if not self.transport.is_closing():
            if not answering:
                data = problem_bytes(status, title, detail, self.server_state.default_headers)
                self.transport.write(data)
            self.transport.close()


# glibc gives every thread that allocates its own malloc arena (up to eight per core), and
# memory freed in an arena stays with it. The request threads (searches, writes) come and go
# and each left its arena holding freed memory: in a soak on the dev archive the thread
# arenas grew to 121 MB resident while 56 MB were in use in all of malloc; with two arenas,
# 26 MB. ``MALLOC_ARENA_MAX`` is glibc's own setting; an operator's value is kept.
MALLOC_ARENAS = "2"
M_ARENA_MAX = -8  # mallopt's parameter for MALLOC_ARENA_MAX (glibc's malloc.h)


def _unread_bytes(transport: asyncio.BaseTransport) -> int:
    """How many received bytes wait in the kernel for this connection (0 when unknown)."""
    sock = transport.get_extra_info("socket")
    if sock is None:
        return 0
    try:
        count: int = struct.unpack("i", fcntl.ioctl(sock.fileno(), termios.FIONREAD, b"\0" * 4))[0]
    except (OSError, ValueError):  # closed meanwhile, or not a socket the kernel can count
        return 0
    return count


def bound_malloc_arenas() -> None:
    """Bounds glibc's malloc arenas in this process and the worker processes it starts."""
    wanted = os.environ.setdefault("MALLOC_ARENA_MAX", MALLOC_ARENAS)  # read by each worker
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)  # this process started already
    if mallopt is not None and wanted.isdigit():  # not glibc: nothing to bound
        mallopt(M_ARENA_MAX, int(wanted))


def served_app() -> FastAPI:
    """The app of one serving process (``corpus serve`` builds it in each of its workers).

    Its start-up objects (~150k: the app, its routes and models, the libraries) are frozen
    out of the garbage collector's reach: every full collection walked them all on the event
    loop, a pause every request waited out, for objects that live as long as the process.
    """
    app = create_app()
    gc.freeze()
    return app


def server_options(settings: Settings) -> dict[str, Any]:
    """The ``uvicorn.run`` keywords the service always runs with."""
    return {
        "http": CorpusHttpProtocol,
        "server_header": False,  # no banner naming the server software
        "timeout_keep_alive": settings.keep_alive_timeout,
    }
