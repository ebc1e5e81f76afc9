"""Receiving uploads: a multipart body streamed to files on disk, limits checked as it comes.

Nothing here holds a whole body in memory: python-multipart's streaming parser hands over
each part in pieces, file parts go straight to a temp folder, and the byte, part and field
limits are checked on every piece, so an oversized body is refused at the byte that crosses
the limit, whatever ``Content-Length`` said (or when there is none, as with chunked bodies).
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from app.config import Settings
from app.errors import BadRequest, PayloadTooLarge, Unprocessable, UnsupportedMediaType
from app.ingest.sources import is_archive_name

FILE_FIELD = "file"
PATH_FIELD = "path"
# Form fields are short (a path); these caps keep them from being a way around the limits.
MAX_FIELD_BYTES = 1024
MAX_FIELDS = 4
MAX_PART_HEADERS = 8
MAX_HEADER_BYTES = 4096


class RequestCutOff(BadRequest):
    """The client went away before the body was complete."""


@dataclass(slots=True)
class ReceivedFile:
    """One ``file`` part, as stored on disk."""

    filename: str | None
    disk_path: Path
    size: int = 0

    @property
    def is_archive(self) -> bool:
        """True when the client named it as an archive (.zip, .tar.gz, .tar.xz...)."""
        return is_archive_name(self.filename or "")


@dataclass(slots=True)
class Upload:
    """A received ``multipart/form-data`` body: its file parts on disk and its form fields."""

    files: list[ReceivedFile] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)


def multipart_boundary(content_type: str | None) -> bytes:
    """The boundary of a ``multipart/form-data`` Content-Type; 415 for any other type."""
    media_type, params = parse_options_header(content_type or "")
    if media_type != b"multipart/form-data":
        shown = media_type.decode("latin-1") or "none"
        raise UnsupportedMediaType(f"send multipart/form-data with `file` parts, not {shown}")
    boundary = params.get(b"boundary")
    if not boundary:
        raise BadRequest("the multipart/form-data Content-Type has no boundary parameter")
    return boundary


def check_declared_length(request: Request, limit: int) -> None:
    """413 at once when Content-Length already says the body is over ``limit``."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the body is {declared} bytes; the limit is {limit}")


def _decode_header(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


class _PartCollector:
    """The parser's callbacks: routes each part's bytes to a file on disk or a small field."""

    def __init__(self, folder: Path, settings: Settings) -> None:
        self.folder = folder
        self.settings = settings
        self.upload = Upload()
        self.ended = False
        self._headers: dict[str, bytes] = {}
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._file: IO[bytes] | None = None
        self._received: ReceivedFile | None = None
        self._field_name: str | None = None
        self._field_value = bytearray()

    def callbacks(self) -> dict[str, object]:
        """The callback table python-multipart expects."""
        return {
            "on_part_begin": self.on_part_begin,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
            "on_end": self.on_end,
        }

    def on_part_begin(self) -> None:
        self._headers = {}

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[bytes(self._header_name).decode("latin-1").lower()] = bytes(
            self._header_value
        )
        self._header_name.clear()
        self._header_value.clear()

    def on_headers_finished(self) -> None:
        _disposition, params = parse_options_header(self._headers.get("content-disposition", b""))
        name = _decode_header(params.get(b"name", b""))
        if name == FILE_FIELD:
            self._begin_file(params.get(b"filename"))
        elif name == PATH_FIELD:
            if len(self.upload.fields) >= MAX_FIELDS or name in self.upload.fields:
                raise Unprocessable(f"the `{PATH_FIELD}` field may be sent once")
            self._field_name = name
            self._field_value.clear()
        else:
            raise Unprocessable(
                f"unexpected form part {name!r}: send `{FILE_FIELD}` parts and, for a single "
                f"markdown file, an optional `{PATH_FIELD}` field"
            )

    def _begin_file(self, raw_filename: bytes | None) -> None:
        count = len(self.upload.files) + 1
        if count > self.settings.max_upload_parts:
            raise PayloadTooLarge(
                f"more than {self.settings.max_upload_parts} file parts in one upload"
            )
        filename = _decode_header(raw_filename) if raw_filename else None
        self._received = ReceivedFile(
            filename=filename, disk_path=self.folder / f"part-{count:05d}"
        )
        self._file = self._received.disk_path.open("wb")
        self.upload.files.append(self._received)

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._received is not None and self._file is not None:
            self._received.size += end - start
            limit = (
                self.settings.max_upload_bytes
                if self._received.is_archive
                else self.settings.max_file_bytes
            )
            if self._received.size > limit:
                raise PayloadTooLarge(
                    f"file part {self._received.filename or len(self.upload.files)!r} is over "
                    f"the limit of {limit} bytes"
                )
            self._file.write(data[start:end])
        elif self._field_name is not None:
            self._field_value += data[start:end]
            if len(self._field_value) > MAX_FIELD_BYTES:
                raise PayloadTooLarge(
                    f"the `{self._field_name}` field is over {MAX_FIELD_BYTES} bytes"
                )

    def on_part_end(self) -> None:
        if self._file is not None:
            self._file.close()
        elif self._field_name is not None:
            try:
                self.upload.fields[self._field_name] = self._field_value.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise Unprocessable(f"the `{self._field_name}` field is not UTF-8") from exc
        self._file = None
        self._received = None
        self._field_name = None

    def on_end(self) -> None:
        self.ended = True

    def close(self) -> None:
        """Closes a file part left open by an error."""
        if self._file is not None:
            self._file.close()
            self._file = None


async def receive_upload(request: Request, *, folder: Path, settings: Settings) -> Upload:
    """Streams a ``multipart/form-data`` body into ``folder``; a ProblemError on bad input."""
    boundary = multipart_boundary(request.headers.get("content-type"))
    check_declared_length(request, settings.max_upload_bytes)
    collector = _PartCollector(folder, settings)
    parser = MultipartParser(
        boundary,
        collector.callbacks(),  # type: ignore[arg-type]
        max_header_count=MAX_PART_HEADERS,
        max_header_size=MAX_HEADER_BYTES,
    )
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > settings.max_upload_bytes:
                raise PayloadTooLarge(
                    f"the body is over the limit of {settings.max_upload_bytes} bytes"
                )
            parser.write(chunk)
        parser.finalize()
    except ClientDisconnect as exc:
        raise RequestCutOff("the client went away before the body was complete") from exc
    except MultipartParseError as exc:
        raise BadRequest(f"malformed multipart body: {exc}") from exc
    finally:
        collector.close()
    if not collector.ended:
        raise RequestCutOff("the multipart body ended before its closing boundary")
    if not collector.upload.files:
        raise Unprocessable(f"no `{FILE_FIELD}` part in the upload")
    return collector.upload


async def receive_markdown(request: Request, *, limit: int) -> bytes:
    """Streams a ``text/markdown`` body (one article) into memory, at most ``limit`` bytes."""
    media_type, _params = parse_options_header(request.headers.get("content-type") or "")
    if media_type not in (b"text/markdown", b"text/plain", b"text/x-markdown"):
        shown = media_type.decode("latin-1") or "none"
        raise UnsupportedMediaType(f"send the article as text/markdown, not {shown}")
    check_declared_length(request, limit)
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                raise PayloadTooLarge(f"the article is over the limit of {limit} bytes")
    except ClientDisconnect as exc:
        raise RequestCutOff("the client went away before the body was complete") from exc
    return bytes(body)
