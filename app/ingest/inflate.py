"""Unpacking a compressed archive stream in a background thread.

lzma, zlib and bz2 release the GIL while they work, so a thread that inflates the next
blocks lets the reading thread parse tar headers and hash files at the same time: a second
ingest of the xz archive is bound by the slower of the two, not by their sum. Output is
produced in bounded blocks (``max_length``), so a small input that inflates enormously
(a bomb) never sits in memory whole.
"""

import bz2
import lzma
import queue
import threading
import zlib
from collections.abc import Callable
from typing import Protocol

_READ = 1 << 20
_BLOCK = 4 << 20
_QUEUED_BLOCKS = 8


class Readable(Protocol):
    """Anything with ``read(size)`` returning bytes."""

    def read(self, size: int = -1, /) -> bytes: ...


class _Decompressor(Protocol):
    eof: bool
    unused_data: bytes

    def decompress(self, data: bytes, max_length: int = ..., /) -> bytes: ...


def compression_of(head: bytes) -> str | None:
    """``xz``, ``gz`` or ``bz2`` from an archive's first bytes; None for a plain tar."""
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if head.startswith(b"\x1f\x8b"):
        return "gz"
    if head.startswith(b"BZh"):
        return "bz2"
    return None


def _new(kind: str) -> Callable[[], _Decompressor]:
    if kind == "xz":
        return lzma.LZMADecompressor  # type: ignore[return-value]
    if kind == "bz2":
        return bz2.BZ2Decompressor  # type: ignore[return-value]
    return _ZlibAdapter


class _ZlibAdapter:
    """zlib's streaming object with the lzma/bz2 interface (input kept until consumed)."""

    def __init__(self) -> None:
        self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)  # gzip header and trailer
        self.eof = False
        self.unused_data = b""
        self.needs_input = True

    def decompress(self, data: bytes, max_length: int = -1, /) -> bytes:
        out = self._z.decompress(self._z.unconsumed_tail + data, max(max_length, 0))
        self.eof = self._z.eof
        self.unused_data = self._z.unused_data
        self.needs_input = not self._z.unconsumed_tail
        return out


class InflatingReader:
    """A read-only stream of the inflated bytes of ``raw``; ``on_read`` counts raw bytes."""

    def __init__(self, raw: Readable, kind: str, on_read: Callable[[int], None]) -> None:
        self._blocks: queue.Queue[bytes | BaseException] = queue.Queue(_QUEUED_BLOCKS)
        self._buffer = b""
        self._pos = 0
        self._done = False
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._inflate, args=(raw, kind, on_read), name="ingest-inflate", daemon=True
        )
        self._thread.start()

    def _put(self, item: bytes | BaseException) -> bool:
        while not self._stop.is_set():
            try:
                self._blocks.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def _inflate(self, raw: Readable, kind: str, on_read: Callable[[int], None]) -> None:
        def take() -> bytes:
            data = raw.read(_READ)
            on_read(len(data))
            return data

        try:
            decompressor: _Decompressor | None = None
            pending = b""
            while not self._stop.is_set():
                if decompressor is None:
                    pending = pending or take()
                    if not pending:
                        break  # the end, after a whole stream
                    if not pending.strip(b"\x00"):
                        pending = b""  # padding between or after streams
                        continue
                    decompressor = _new(kind)()
                if getattr(decompressor, "needs_input", True) and not pending:
                    pending = take()
                    if not pending:
                        raise EOFError("compressed stream ended before its end marker")
                block = decompressor.decompress(pending, _BLOCK)
                pending = b""
                if decompressor.eof:
                    # What follows may be another stream (concatenated gzip members, xz streams).
                    pending, decompressor = decompressor.unused_data, None
                if block and not self._put(block):
                    return
            self._put(b"")
        except BaseException as exc:  # noqa: BLE001  (handed to the reading thread)
            self._put(exc)

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` inflated bytes (all that is left when ``size`` < 0)."""
        pieces: list[bytes] = []
        wanted = size
        while wanted != 0:
            if self._pos >= len(self._buffer) and (self._done or not self._next_block()):
                break
            # Slices copy only what is returned: blocks are MBs, reads are KBs.
            end = len(self._buffer) if wanted < 0 else min(len(self._buffer), self._pos + wanted)
            pieces.append(self._buffer[self._pos : end])
            if wanted > 0:
                wanted -= end - self._pos
            self._pos = end
        return b"".join(pieces)

    def _next_block(self) -> bool:
        item = self._blocks.get()
        if isinstance(item, BaseException):
            self._done = True
            raise item
        if not item:
            self._done = True
            return False
        self._buffer, self._pos = item, 0
        return True

    def close(self) -> None:
        """Stops the inflating thread (when the reader leaves before the end)."""
        self._stop.set()
        self._thread.join(timeout=5)
