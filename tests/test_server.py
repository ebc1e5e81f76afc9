"""The server's own behaviour, on a real ``corpus serve`` spoken to through raw sockets:
header and body timeouts, its refusals as problem+json, the upload cap, no banner."""

import asyncio
import gc
import json
import os
import select
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from mirror.processes import Server, wait_for
from sqlalchemy.engine import Engine
from uvicorn.config import Config
from uvicorn.server import ServerState
from writes.store import dump_store, make_token

from app.server import (
    CLOSES_PER_TURN,
    MALLOC_ARENAS,
    CorpusHttpProtocol,
    bound_malloc_arenas,
    served_app,
)

TIMEOUT_S = 1.0  # header and body timeouts of the server under test
SLACK_S = 3.0  # how much later than its timeout a close may come on a loaded machine


@pytest.fixture
def served(database_url: str, engine: Engine, tmp_path: Path) -> Iterator[tuple[Server, Path]]:
    """``corpus serve`` with 1 s timeouts, one upload at a time; and its upload temp folder."""
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    env = {
        "CORPUS_HEADER_TIMEOUT": str(TIMEOUT_S),
        "CORPUS_BODY_TIMEOUT": str(TIMEOUT_S),
        "CORPUS_MAX_CONCURRENT_UPLOADS": "1",
        "CORPUS_UPLOAD_TEMP_DIR": str(uploads),
    }
    server = Server(database_url, tmp_path / "serve.log", env=env).start()
    try:
        yield server, uploads
    finally:
        server.stop()


def _connect(server: Server) -> socket.socket:
    conn = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    return conn


def _read_until_closed(conn: socket.socket, limit_s: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes; and how many seconds that took."""
    started, data = time.monotonic(), b""
    conn.settimeout(limit_s)
    try:
        while chunk := conn.recv(65536):
            data += chunk
    except ConnectionResetError:
        pass  # closed with unread bytes of ours still in its buffer
    except TimeoutError:
        pytest.fail(f"the server kept the connection open for {limit_s} s; got {data[:200]!r}")
    return data, time.monotonic() - started


def _read_answer(conn: socket.socket) -> bytes:
    """One whole answer (head and its Content-Length of body) on a kept-alive connection;
    what came before the server closed, if it did."""
    conn.settimeout(10)
    data = b""
    while b"\r\n\r\n" not in data or len(data) < _answer_length(data):
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def _answer_length(data: bytes) -> int:
    head, _, _ = data.partition(b"\r\n\r\n")
    length = _response(head + b"\r\n\r\n")[1].get("content-length", "0")
    return len(head) + 4 + int(length)


def _response(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), {k.lower(): v for k, v in headers.items()}, body


def _problem(raw: bytes, status: int) -> dict[str, object]:
    code, headers, body = _response(raw)
    assert code == status, raw[:300]
    assert headers["content-type"] == "application/problem+json"
    assert headers["connection"] == "close"
    assert "server" not in headers
    problem: dict[str, object] = json.loads(body)
    assert problem["status"] == status and problem["title"] and problem["detail"]
    assert int(headers["content-length"]) == len(body)
    return problem


def _ask(server: Server, request: bytes) -> bytes:
    with _connect(server) as conn:
        conn.sendall(request)
        return _read_until_closed(conn, 10)[0]


def test_partial_headers_are_answered_408_and_silent_connections_closed(
    served: tuple[Server, Path],
) -> None:
    server, _ = served
    partial = [_connect(server) for _ in range(20)]
    silent = [_connect(server) for _ in range(20)]
    for conn in partial:
        conn.sendall(b"GET /articles HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    # Meanwhile a normal request is answered at once.
    answer = _ask(server, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert _response(answer)[0] == 200
    for conn in partial:
        raw, _ = _read_until_closed(conn, TIMEOUT_S + SLACK_S)
        assert "did not arrive within 1 s" in str(_problem(raw, 408)["detail"])
        conn.close()
    for conn in silent:
        raw, _ = _read_until_closed(conn, TIMEOUT_S + SLACK_S)
        assert raw == b""  # nothing was asked, nothing is answered: only closed
        conn.close()
    # A request whose headers arrived is not cut off by either timer while it is answered.
    with _connect(server) as conn:
        conn.sendall(b"GET /changes?feed=longpoll&timeout=2 HTTP/1.1\r\nHost: x\r\n\r\n")
        conn.settimeout(10)
        raw = conn.recv(65536)  # a long poll answers after 2 s, past both 1 s timers
    assert _response(raw)[0] == 200


def test_the_servers_own_refusals_are_problems(served: tuple[Server, Path]) -> None:
    server, _ = served
    raw_target = _ask(server, "GET /articles?tag=美国 HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert "percent-encode" in str(_problem(raw_target, 400)["detail"])
    raw_path = _ask(server, "GET /tags/美国/articles HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert "percent-encode" in str(_problem(raw_path, 400)["detail"])
    garbage = _ask(server, b"NOT HTTP AT ALL\r\n\r\n")
    assert "not valid HTTP" in str(_problem(garbage, 400)["detail"])
    long_target = b"GET /articles?tag=" + b"a" * 70_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    _problem(_ask(server, long_target), 414)
    huge_header = b"GET /articles HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200_000
    _problem(_ask(server, huge_header), 431)
    # A body the app answered early (401: no token) is not read as a head, however long.
    request = _upload("", b"x" * 200_000, length=300_000).replace(b"Bearer ", b"X")
    early = _ask(server, request.replace(b"Connection: close\r\n", b""))
    assert early.startswith(b"HTTP/1.1 401 ") and early.count(b"HTTP/1.1 ") == 1
    # And an answer of the app's names no server software either.
    raw = _ask(server, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    status, headers, _ = _response(raw)
    assert status == 200
    assert "server" not in headers and headers["x-content-type-options"] == "nosniff"


PART = (
    b"--b0undary\r\n"
    b'Content-Disposition: form-data; name="file"; filename="content/gnews/1.md"\r\n'
    b"Content-Type: text/markdown\r\n\r\n"
)
END = b"\r\n--b0undary--\r\n"


def _upload(token: str, body: bytes, length: int | None = None) -> bytes:
    """A POST /articles of ``body`` (a multipart body or its start), ``length`` declared."""
    head = (
        f"POST /articles HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
        "Content-Type: multipart/form-data; boundary=b0undary\r\nConnection: close\r\n"
        f"Content-Length: {len(body) if length is None else length}\r\n\r\n"
    )
    return head.encode() + body


def test_a_stalled_upload_gets_408_its_temp_folder_goes_and_the_store_stays(
    served: tuple[Server, Path], engine: Engine
) -> None:
    server, uploads = served
    token = make_token(engine, "editor", ["write"])
    article = "# 标题\n\n**发布时间：** 2024-03-04 08:37\n\n正文。\n".encode()
    before = dump_store(engine)
    with _connect(server) as stalled:
        stalled.sendall(_upload(token, PART + article * 20_000, length=10_000_000))
        # Being received: its folder is there (a loaded machine may take a moment to start).
        wait_for(lambda: len(list(uploads.iterdir())) == 1, timeout=SLACK_S, what="the folder")
        # While it holds the only upload slot, another upload is refused at once.
        refused = _ask(server, _upload(token, PART + article + END))
        assert "uploads are being received" in str(_problem(refused, 503)["detail"])
        assert _response(refused)[1]["retry-after"] == "10"
        raw, _ = _read_until_closed(stalled, TIMEOUT_S + SLACK_S)
        assert "paused for more than 1 s" in str(_problem(raw, 408)["detail"])
        # The client has not closed its end, and the folder is gone all the same.
        assert list(uploads.iterdir()) == []
    assert dump_store(engine) == before
    # The slot is free again: the next upload is received and stored.
    stored = _ask(server, _upload(token, PART + article + END))
    assert _response(stored)[0] == 200, stored[:500]
    assert dump_store(engine) != before


def test_a_request_that_came_while_the_server_was_held_up_is_answered_not_reset(
    database_url: str, engine: Engine, tmp_path: Path
) -> None:
    """A keep-alive connection's next request, already in the kernel's buffer when its idle
    timer is run late (the server busy), is answered: closing would reset it unanswered."""
    env = {"CORPUS_KEEP_ALIVE_TIMEOUT": "1"}
    server = Server(database_url, tmp_path / "serve.log", env=env).start()
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    try:
        assert server.process is not None
        with _connect(server) as conn:
            conn.sendall(request)
            assert _read_answer(conn).startswith(b"HTTP/1.1 200 ")
            time.sleep(0.5)  # idle, within the keep-alive timeout
            # Held up (SIGSTOP stands for an event loop busy with other requests): the next
            # request arrives before the timeout, the server sees it only after.
            server.process.send_signal(signal.SIGSTOP)
            try:
                conn.sendall(request)
                time.sleep(1.5)
            finally:
                server.process.send_signal(signal.SIGCONT)
            try:
                answer = _read_answer(conn)
            except ConnectionResetError:
                answer = b"reset"
        assert answer.startswith(b"HTTP/1.1 200 "), answer[:200]
    finally:
        server.stop()


class _Transport(asyncio.Transport):
    """The parts of a transport the timers use, over a real socket; what was written."""

    def __init__(self, sock: socket.socket) -> None:
        super().__init__()
        self.sock = sock
        self.closed = False
        self.written = b""

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += bytes(data)

    def get_extra_info(self, name: str, default: object = None) -> object:
        return self.sock if name == "socket" else default

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True


@pytest.mark.parametrize("waiting", [b"", b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"])
def test_the_idle_timer_run_late_closes_only_a_connection_with_nothing_waiting(
    waiting: bytes,
) -> None:
    """Run after the client's next request came but before the loop read it (the order the
    test above can only provoke), the timer leaves the connection open and waits again."""
    loop = asyncio.new_event_loop()
    server_end, client_end = socket.socketpair()
    try:
        config = Config(app=served_app, factory=True, timeout_keep_alive=1)
        protocol = CorpusHttpProtocol(config, ServerState(), {}, loop)
        transport = _Transport(server_end)
        protocol.transport = transport
        if waiting:
            client_end.sendall(waiting)
            wait_for(
                lambda: bool(select.select([server_end], [], [], 0)[0]), timeout=5, what="bytes"
            )
        protocol.timeout_keep_alive_handler()
        assert transport.closed is not bool(waiting)
        assert (protocol.timeout_keep_alive_task is not None) is bool(waiting)
    finally:
        server_end.close()
        client_end.close()
        loop.close()


def _loop_turn(loop: asyncio.AbstractEventLoop) -> None:
    """One turn of the loop: the callbacks ready now run, those they schedule wait."""
    loop.call_soon(loop.stop)
    loop.run_forever()


def test_connections_past_their_header_timeout_together_are_closed_a_few_per_turn() -> None:
    """A thousand header timers firing in one turn would hold the loop for all their closes:
    they are closed ``CLOSES_PER_TURN`` a turn, the loop reading its sockets in between."""
    loop = asyncio.new_event_loop()
    pairs = [socket.socketpair() for _ in range(2 * CLOSES_PER_TURN + 1)]
    try:
        config = Config(app=served_app, factory=True)
        state = ServerState()
        transports = []
        for server_end, _ in pairs:
            protocol = CorpusHttpProtocol(config, state, {}, loop)
            protocol.transport = _Transport(server_end)
            transports.append(protocol.transport)
            protocol._header_deadline()  # the timers of all of them fire in one turn
        assert not any(t.closed for t in transports)  # closed in turns to come, not this one
        closed_by_turn = []
        for _ in range(4):
            _loop_turn(loop)
            closed_by_turn.append(sum(t.closed for t in transports))
        assert closed_by_turn == [CLOSES_PER_TURN, 2 * CLOSES_PER_TURN, len(pairs), len(pairs)]
        assert all(t.written == b"" for t in transports)  # nothing was asked: only closed
    finally:
        for ends in pairs:
            for end in ends:
                end.close()
        loop.close()


def test_a_head_completed_after_its_timeout_is_not_read_but_answered_408() -> None:
    """Bytes that come while the connection waits its turn to be closed are not parsed:
    the request is refused as if closed at its timeout, and the app never sees it."""
    loop = asyncio.new_event_loop()
    server_end, client_end = socket.socketpair()
    try:
        protocol = CorpusHttpProtocol(Config(app=served_app, factory=True), ServerState(), {}, loop)
        transport = _Transport(server_end)
        protocol.transport = transport
        protocol.data_received(b"GET /articles HTTP/1.1\r\nHost: x\r\n")
        assert protocol.header_timer is not None and protocol.request_begun
        protocol._cancel_header_timer()
        protocol._header_deadline()  # as its timer would
        protocol.data_received(b"X-Late: 1\r\n\r\n")
        assert protocol.cycle is None and protocol.request_begun  # not parsed: no request
        _loop_turn(loop)
        assert transport.closed
        status, headers, body = _response(transport.written)
        assert status == 408 and headers["connection"] == "close"
        assert "did not arrive within" in json.loads(body)["detail"]
    finally:
        server_end.close()
        client_end.close()
        loop.close()


def test_serve_bounds_malloc_arenas_unless_the_operator_did(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    bound_malloc_arenas()
    assert os.environ["MALLOC_ARENA_MAX"] == MALLOC_ARENAS  # the workers inherit it
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    bound_malloc_arenas()
    assert os.environ["MALLOC_ARENA_MAX"] == "4"


def test_the_served_app_keeps_its_start_up_objects_out_of_full_collections() -> None:
    gc.unfreeze()
    try:
        app = served_app()
        assert app.routes and gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()  # this process is the tests', not a server's
