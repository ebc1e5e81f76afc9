"""The soak's readers' HTTP/1.1 client: one keep-alive connection, a GET at a time.

httpx spent ~4.6 ms of the load generator's CPU per request (73 s of one core in a 90 s
soak), and a load generator short of CPU adds its own waits to every latency it measures
(its event loop ran timers up to 0.8 s late). This sends the same requests on the same
connections with a few hundred microseconds of CPU each: the request line and headers
written as bytes, the answer's head parsed, its body read by ``Content-Length`` or chunks.
"""

import asyncio
import json
from collections import Counter
from dataclasses import dataclass
from typing import Any

TIMEOUT_S = 60.0


class ClosedUnanswered(Exception):
    """The connection closed before any byte of the answer: the request may be sent again."""


class BadAnswer(Exception):
    """The server's bytes were not an HTTP/1.1 answer."""


@dataclass
class Answer:
    """One answer: status, headers (lower-case names) and the whole body."""

    status_code: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Connection:
    """One keep-alive connection to ``host:port``, opened when first needed, and again after
    the server closed it."""

    def __init__(self, host: str, port: int, retried: Counter[str]) -> None:
        self.host, self.port = host, port
        self.retried = retried  # why requests were sent again, counted
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str, headers: dict[str, str] | None = None) -> Answer:
        """``GET path``, sent once more on a new connection if this one closed before the
        answer began (the keep-alive race every HTTP/1.1 client meets; see ``soak.get``)."""
        head = f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
        for name, value in (headers or {}).items():
            head += f"{name}: {value}\r\n"
        request = (head + "\r\n").encode("utf-8")
        async with asyncio.timeout(TIMEOUT_S):
            try:
                return await self._exchange(request)
            except ClosedUnanswered as exc:
                self.retried[str(exc)] += 1
                self.close()
                return await self._exchange(request)

    async def _exchange(self, request: bytes) -> Answer:
        if self.writer is None or self.writer.is_closing():
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        try:
            self.writer.write(request)
            raw = await self.reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            raise ClosedUnanswered(type(exc).__name__) from exc
        try:
            answer, keep = await self._answer(raw)
        except BaseException:
            self.close()
            raise
        if not keep:
            self.close()
        return answer

    async def _answer(self, raw: bytes) -> tuple[Answer, bool]:
        assert self.reader is not None
        lines = raw.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
            raise BadAnswer(lines[0][:80])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        status = int(parts[1])
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = await self._chunks()
        elif status in (204, 304) or 100 <= status < 200:
            body = b""
        else:  # the body ends with the connection
            body = await self.reader.read()
            return Answer(status, headers, body), False
        keep = headers.get("connection", "").lower() != "close"
        return Answer(status, headers, body), keep

    async def _chunks(self) -> bytes:
        assert self.reader is not None
        body = bytearray()
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                while (await self.reader.readuntil(b"\r\n")) != b"\r\n":  # trailers
                    pass
                return bytes(body)
            body += await self.reader.readexactly(size)
            await self.reader.readexactly(2)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None
