"""Archives as ingest sources: .tar(.xz/.gz/.bz2) and .zip, read as streams, never unpacked.

The shared archive is ingested as it is. The limits of the settings (member size, member
count, total unpacked bytes) are enforced on the bytes actually read, not on what the
archive's headers claim; members that escape the root or are links are refused.
"""

import lzma
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from app.ingest.inflate import InflatingReader, Readable, compression_of
from app.ingest.sources import (
    ReadState,
    SourceError,
    SourceFile,
    StreamSource,
    corpus_path,
    is_article_name,
    read_at_most,
    too_large,
)

_UNPACK_ERRORS = (tarfile.TarError, OSError, lzma.LZMAError, zlib.error)


class Archive(StreamSource):
    """A tar or zip archive, on disk or uploaded; its members are the source's files."""

    def on_disk(self, path: Path) -> str:
        """The archive's name; its size is what progress counts up to."""
        self.state.bytes_total = path.stat().st_size
        return path.name

    def read(self, name: str, stream: BinaryIO) -> Iterator[SourceFile]:
        """The members, read in order."""
        if name.lower().endswith(".zip"):
            yield from self._zip(stream)
        else:
            yield from self._tar(stream)

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
                        data = read_at_most(member, self.settings.max_file_bytes)
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
        return too_large(size, self.settings.max_file_bytes)

    def limit_problem(self) -> str | None:
        """Why reading stopped early, if a limit stopped it."""
        if self.state.members > self.settings.max_archive_members:
            limit = self.settings.max_archive_members
            return f"archive holds more than {limit} files; the rest was not read"
        if self.state.unpacked_bytes > self.settings.max_archive_uncompressed_bytes:
            limit = self.settings.max_archive_uncompressed_bytes
            return f"archive unpacks to more than {limit} bytes; the rest was not read"
        return None


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
