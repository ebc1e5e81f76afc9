"""Inflating archives in a background thread: every format, whole, bounded, and errors surface."""

import bz2
import gzip
import io
import lzma

import pytest

from app.ingest.inflate import InflatingReader, compression_of

DATA = ("正文第一行。\n".encode() + bytes(range(256))) * 20_000  # ~5 MB


def _read_all(reader: InflatingReader, size: int) -> bytes:
    out = []
    while chunk := reader.read(size):
        out.append(chunk)
    return b"".join(out)


@pytest.mark.parametrize(
    ("kind", "pack"),
    [("xz", lzma.compress), ("gz", gzip.compress), ("bz2", bz2.compress)],
)
@pytest.mark.parametrize("size", [1, 10240, -1])
def test_inflates_whole_in_any_read_size(kind: str, pack: object, size: int) -> None:
    packed = pack(DATA if size != 1 else DATA[:50_000])  # type: ignore[operator]
    assert compression_of(packed[:6]) == kind
    seen: list[int] = []
    reader = InflatingReader(io.BytesIO(packed), kind, seen.append)
    expected = DATA if size != 1 else DATA[:50_000]
    assert _read_all(reader, size) == expected
    assert sum(seen) == len(packed)


def test_concatenated_streams_and_padding() -> None:
    packed = gzip.compress(b"first ") + gzip.compress(b"second")
    assert InflatingReader(io.BytesIO(packed), "gz", lambda n: None).read() == b"first second"
    padded = lzma.compress(b"xz data") + b"\x00" * 8
    assert InflatingReader(io.BytesIO(padded), "xz", lambda n: None).read() == b"xz data"


def test_a_truncated_stream_raises_after_what_it_could_give() -> None:
    packed = lzma.compress(DATA)
    reader = InflatingReader(io.BytesIO(packed[: len(packed) // 2]), "xz", lambda n: None)
    with pytest.raises(EOFError):
        _read_all(reader, 65536)


def test_garbage_raises() -> None:
    reader = InflatingReader(io.BytesIO(b"\xfd7zXZ\x00" + b"garbage" * 100), "xz", lambda n: None)
    with pytest.raises(lzma.LZMAError):
        reader.read()


def test_a_bomb_can_be_read_in_part_and_closed() -> None:
    bomb = lzma.compress(b"\x00" * (64 << 20))  # 64 MB of zeros in ~10 KB
    reader = InflatingReader(io.BytesIO(bomb), "xz", lambda n: None)
    first = reader.read(1024)
    assert first == b"\x00" * 1024
    reader.close()


def test_plain_tar_is_not_compressed() -> None:
    assert compression_of(b"conten") is None
