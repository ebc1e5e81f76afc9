"""Reading an ingest source safely: a folder, a file, or a .tar(.xz/.gz/.bz2) or .zip archive.

Every source yields ``SourceFile``s: a corpus path (relative to the corpus root, POSIX) with
its bytes, or with the reason it was refused (unsafe path, link, too large). Archives are
read as streams, so the shared archive is ingested without unpacking it first, and the
limits of the settings (member size, member count, total unpacked bytes) are enforced on
the bytes actually read, not on what the archive's headers claim.
"""

import lzma
import os
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any, BinaryIO

from app.config import Settings
from app.ingest.inflate import InflatingReader, Readable, compression_of

# The corpus holds markdown articles and plain-text court transcripts; anything else
# (images, .gitkeep, ...) in a folder or an archive is skipped, not failed.
ARTICLE_SUFFIXES = (".md", ".txt")
ARCHIVE_SUFFIXES = (".tar.xz", ".txz", ".tar.gz", ".tgz", ".tar.bz2", ".tar", ".zip")
_READ_CHUNK = 1 << 20


class SourceError(Exception):
    """The source as a whole cannot be read (missing, unknown kind, not an archive)."""


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One file of a source: ``data`` when it can be ingested, else ``problem`` says why not."""

    path: str
    data: bytes | None = None
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file handed over by the upload endpoint: its client-side name and an open stream."""

    name: str
    stream: BinaryIO


@dataclass(slots=True)
class ReadState:
    """What a reader learned while reading: progress, and whether it saw the whole source."""

    bytes_done: int = 0
    bytes_total: int | None = None
    # False when a limit stopped the reading early: a prune must not trust the listing then.
    complete: bool = True
    members: int = 0
    unpacked_bytes: int = 0
    skipped: int = 0


def is_archive_name(name: str) -> bool:
    """True for the archive suffixes an ingest opens."""
    return name.lower().endswith(ARCHIVE_SUFFIXES)


def is_article_name(name: str) -> bool:
    """True for the file suffixes that can hold an article or an index page."""
    return name.lower().endswith(ARTICLE_SUFFIXES)


def corpus_path(name: str) -> tuple[str | None, str | None]:
    """A member name as a safe corpus path, or ``(None, reason)`` when it escapes the root.

    One leading folder before ``content/`` is dropped, so ``txt-main/content/gnews/1.md``
    and ``content/gnews/1.md`` both give ``content/gnews/1.md``.
    """
    raw = name.replace("\\", "/")
    if raw.startswith("/") or (len(raw) > 1 and raw[1] == ":"):
        return None, "absolute path"
    parts = [p for p in raw.split("/") if p not in ("", ".")]
    if not parts:
        return None, "empty path"
    if ".." in parts:
        return None, "path escapes the archive (..)"
    if "\x00" in raw:
        return None, "NUL in path"
    if len(parts) > 1 and parts[0] != "content" and parts[1] == "content":
        parts = parts[1:]
    return "/".join(parts), None


def root_of(path: Path) -> Path:
    """The corpus root for a folder or file: the parent of its last ``content`` folder."""
    resolved = path.resolve()
    chain = [resolved, *resolved.parents]
    for candidate in chain:
        if candidate.name == "content" and candidate.parent != candidate:
            return candidate.parent
    return resolved if resolved.is_dir() else resolved.parent


class Reader:
    """Iterates the ``SourceFile``s of one source under the settings' limits."""

    def __init__(self, source: Path | UploadedFile, settings: Settings) -> None:
        self.source = source
        self.settings = settings
        self.state = ReadState()

    def __iter__(self) -> Iterator[SourceFile]:
        source = self.source
        if isinstance(source, UploadedFile):
            if is_archive_name(source.name):
                yield from self._archive(source.stream, source.name)
            else:
                yield from self._single(source.name, source.stream)
            return
        if source.is_symlink() and not source.exists():
            raise SourceError(f"{source}: broken symbolic link")
        if source.is_dir():
            yield from self._folder(source)
        elif source.is_file():
            if is_archive_name(source.name):
                self.state.bytes_total = source.stat().st_size
                with source.open("rb") as raw:
                    yield from self._archive(raw, source.name)
            else:
                rel = PurePosixPath(source.resolve().relative_to(root_of(source))).as_posix()
                with source.open("rb") as raw:
                    yield from self._single(rel, raw)
        else:
            raise SourceError(f"{source}: no such file or folder")

    # -- folders -------------------------------------------------------------------------

    def _folder(self, folder: Path) -> Iterator[SourceFile]:
        root = root_of(folder)
        files = sorted(self._walk(folder.resolve()))
        self.state.bytes_total = len(files)
        for full in files:
            rel = full.relative_to(root).as_posix()
            self.state.bytes_done += 1
            if not is_article_name(full.name):
                self.state.skipped += 1
                continue
            if full.is_symlink():
                yield SourceFile(rel, problem="symbolic link")
                continue
            try:
                size = full.stat().st_size
                if size > self.settings.max_file_bytes:
                    yield SourceFile(rel, problem=self._too_large(size))
                    continue
                yield SourceFile(rel, data=full.read_bytes())
            except OSError as exc:
                yield SourceFile(rel, problem=f"unreadable: {exc.strerror or exc}")

    @staticmethod
    def _walk(folder: Path) -> Iterator[Path]:
        for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
            # Hidden folders (.git, .venv) are not part of a corpus.
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for name in filenames:
                if not name.startswith("."):
                    yield Path(dirpath) / name

    # -- single files --------------------------------------------------------------------

    def _single(self, name: str, stream: BinaryIO) -> Iterator[SourceFile]:
        path, problem = corpus_path(name)
        if path is None:
            yield SourceFile(name, problem=problem)
            return
        if not is_article_name(path):
            yield SourceFile(path, problem="not a markdown or text file (.md, .txt) nor an archive")
            return
        data = self._bounded_read(stream, self.settings.max_file_bytes)
        if data is None:
            yield SourceFile(path, problem=self._too_large(None))
            return
        self.state.bytes_done += len(data)
        yield SourceFile(path, data=data)

    # -- archives ------------------------------------------------------------------------

    def _archive(self, raw: BinaryIO, name: str) -> Iterator[SourceFile]:
        if name.lower().endswith(".zip"):
            yield from self._zip(raw)
        else:
            yield from self._tar(raw)

    def _tar(self, raw: BinaryIO) -> Iterator[SourceFile]:
        head = raw.read(6)
        kind = compression_of(head)
        whole = _Prefixed(head, raw)
        counted: Any = (
            InflatingReader(whole, kind, self._count_raw)
            if kind
            else _CountingReader(whole, self.state)
        )
        try:
            # Stream mode: members are read in order, nothing seeks back, nothing is unpacked.
            tar = tarfile.open(fileobj=counted, mode="r|")  # noqa: SIM115
        except (*_UNPACK_ERRORS, EOFError) as exc:
            _close(counted)
            self.state.complete = False
            raise SourceError(f"not a readable tar archive: {exc}") from exc
        with tar:
            try:
                for member in tar:
                    if member.isdir():
                        continue
                    if not self._count_member():
                        return
                    path, problem = corpus_path(member.name)
                    shown = path or member.name
                    if problem is not None:
                        yield SourceFile(shown, problem=problem)
                        continue
                    if member.issym() or member.islnk():
                        yield SourceFile(shown, problem="link member (symbolic or hard link)")
                        continue
                    if not member.isfile():
                        yield SourceFile(shown, problem="not a regular file")
                        continue
                    if not is_article_name(shown):
                        self.state.skipped += 1
                        continue
                    if member.size > self.settings.max_file_bytes:
                        yield SourceFile(shown, problem=self._too_large(member.size))
                        continue
                    if not self._count_bytes(member.size):
                        return
                    extracted = tar.extractfile(member)
                    if extracted is None:
                        yield SourceFile(shown, problem="not a regular file")
                        continue
                    yield SourceFile(shown, data=extracted.read())
            except (*_UNPACK_ERRORS, EOFError) as exc:
                self.state.complete = False
                raise SourceError(f"archive is corrupt or truncated: {exc}") from exc
            finally:
                _close(counted)

    def _count_raw(self, size: int) -> None:
        self.state.bytes_done += size

    def _zip(self, raw: BinaryIO) -> Iterator[SourceFile]:
        try:
            archive = zipfile.ZipFile(raw)
        except (zipfile.BadZipFile, OSError) as exc:
            raise SourceError(f"not a readable zip archive: {exc}") from exc
        with archive:
            infos = [i for i in archive.infolist() if not i.is_dir()]
            self.state.bytes_total = len(infos)
            for info in infos:
                self.state.bytes_done += 1
                if not self._count_member():
                    return
                path, problem = corpus_path(info.filename)
                shown = path or info.filename
                if problem is not None:
                    yield SourceFile(shown, problem=problem)
                    continue
                mode = info.external_attr >> 16
                if stat.S_ISLNK(mode):
                    yield SourceFile(shown, problem="link member (symbolic link)")
                    continue
                # Only the file-type bits count: Python's ZipFile.writestr stores bare
                # permission bits (0o600), which are a regular file too.
                if stat.S_IFMT(mode) and not stat.S_ISREG(mode):
                    yield SourceFile(shown, problem="not a regular file")
                    continue
                if not is_article_name(shown):
                    self.state.skipped += 1
                    continue
                if info.file_size > self.settings.max_file_bytes:
                    yield SourceFile(shown, problem=self._too_large(info.file_size))
                    continue
                try:
                    with archive.open(info) as member:
                        # The header's size can lie (zip bombs): cap what is really read.
                        data = self._bounded_read(member, self.settings.max_file_bytes)
                except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
                    yield SourceFile(shown, problem=f"unreadable zip member: {exc}")
                    continue
                if data is None:
                    yield SourceFile(shown, problem=self._too_large(None))
                    continue
                if not self._count_bytes(len(data)):
                    return
                yield SourceFile(shown, data=data)

    # -- limits --------------------------------------------------------------------------

    def _count_member(self) -> bool:
        self.state.members += 1
        if self.state.members > self.settings.max_archive_members:
            self.state.complete = False
            return False
        return True

    def _count_bytes(self, size: int) -> bool:
        self.state.unpacked_bytes += size
        if self.state.unpacked_bytes > self.settings.max_archive_uncompressed_bytes:
            self.state.complete = False
            return False
        return True

    def _too_large(self, size: int | None) -> str:
        limit = self.settings.max_file_bytes
        shown = f"{size} bytes" if size is not None else "more"
        return f"file too large ({shown}; the limit is {limit} bytes)"

    @staticmethod
    def _bounded_read(stream: IO[bytes], limit: int) -> bytes | None:
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = stream.read(min(_READ_CHUNK, limit + 1 - total))
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                return None

    def limit_problem(self) -> str | None:
        """Why reading stopped early, if a limit stopped it."""
        if self.state.members > self.settings.max_archive_members:
            limit = self.settings.max_archive_members
            return f"archive holds more than {limit} files; the rest was not read"
        if self.state.unpacked_bytes > self.settings.max_archive_uncompressed_bytes:
            limit = self.settings.max_archive_uncompressed_bytes
            return f"archive unpacks to more than {limit} bytes; the rest was not read"
        return None


_UNPACK_ERRORS = (tarfile.TarError, OSError, lzma.LZMAError, zlib.error)


def _close(stream: object) -> None:
    if isinstance(stream, InflatingReader):
        stream.close()


class _Prefixed:
    """``raw`` with the bytes already read from its start put back in front."""

    def __init__(self, head: bytes, raw: BinaryIO) -> None:
        self._head = head
        self._raw = raw

    def read(self, size: int = -1) -> bytes:
        if self._head:
            if size < 0:
                out, self._head = self._head + self._raw.read(), b""
                return out
            out, self._head = self._head[:size], self._head[size:]
            return out if len(out) == size else out + self._raw.read(size - len(out))
        return self._raw.read(size)


class _CountingReader:
    """A read-only file wrapper that records how many compressed bytes were consumed."""

    def __init__(self, raw: Readable, state: ReadState) -> None:
        self._raw = raw
        self._state = state

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self._state.bytes_done += len(data)
        return data
