"""What an ingest reads: sources of corpus files (a folder, a file, an upload, one article).

Every source yields ``SourceFile``s: a corpus path (relative to the corpus root, POSIX) with
its bytes, or with the reason it was refused (unsafe path, link, too large). A new kind of
source (a git history...) is one subclass of ``Source``: the ingest loop (``app.ingest.run``)
reads every kind the same way. Archives are read by ``app.ingest.archives``.
"""

import os
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import IO, BinaryIO

from app.config import Settings

# The corpus holds markdown articles and plain-text court transcripts; anything else
# (images, .gitkeep, ...) in a folder or an archive is skipped, not failed.
ARTICLE_SUFFIXES = (".md", ".txt")
ARCHIVE_SUFFIXES = (".tar.xz", ".txz", ".tar.gz", ".tgz", ".tar.bz2", ".tar", ".zip")
_READ_CHUNK = 1 << 20


class SourceError(Exception):
    """The source as a whole cannot be read (missing, unknown kind, not an archive)."""


@dataclass(frozen=True, slots=True)
class Seen:
    """When a repository's history showed an article (commit times, UTC) and whether its
    ref's newest commit still holds it: what a history source knows beyond the bytes."""

    first_seen_at: datetime
    last_seen_at: datetime
    in_head: bool


@dataclass(frozen=True, slots=True)
class Written:
    """The commit that wrote a version of a file, and its committer time (UTC)."""

    commit: str
    committed_at: datetime


@dataclass(frozen=True, slots=True)
class Version:
    """An older version of a file in a history: its bytes, its commit, and when it was shown
    (as the article was while this version was its newest)."""

    data: bytes
    written: Written
    seen: Seen


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One file of a source: ``data`` when it can be ingested, else ``problem`` says why not.

    A history also says which commit wrote these bytes (``written``) and gives the older
    versions it has not given before (``earlier``): each becomes a revision of the article.
    An index page's older versions come one by one, oldest first, before the page itself
    (``index_version``: read for their entries only, so the same path comes again), each
    with ``slots``: the article each slot file ``content/gnews/<N>/README.md`` held at its
    commit, which is what the page's links to those slots meant then.
    """

    path: str
    data: bytes | None = None
    problem: str | None = None
    seen: Seen | None = None
    written: Written | None = None
    earlier: tuple[Version, ...] = ()
    slots: Mapping[str, str] | None = None
    index_version: bool = False


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


class Source(ABC):
    """Where an ingest's files come from; ``state`` tells how far the reading got."""

    def __init__(self, name: str) -> None:
        # What a failure of the whole source (unreadable, a limit crossed) is reported under.
        self.name = name
        self.state = ReadState()

    @abstractmethod
    def __iter__(self) -> Iterator[SourceFile]:
        """The source's files in order; ``SourceError`` when it cannot be read as a whole."""

    def limit_problem(self) -> str | None:
        """Why reading stopped early, if a limit stopped it."""
        return None


def is_archive_name(name: str) -> bool:
    """True for the archive suffixes an ingest opens."""
    return name.lower().endswith(ARCHIVE_SUFFIXES)


def is_utf8(path: str) -> bool:
    """True when a path is valid UTF-8 (git hands paths over as bytes)."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


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


def too_large(size: int | None, limit: int) -> str:
    """The problem of a file over the size limit (``size`` None: its size is unknown)."""
    shown = f"{size} bytes" if size is not None else "more"
    return f"file too large ({shown}; the limit is {limit} bytes)"


def read_at_most(stream: IO[bytes], limit: int) -> bytes | None:
    """All of ``stream``, or None as soon as it holds more than ``limit`` bytes."""
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


class Folder(Source):
    """A folder of the corpus (the root, or one inside ``content/``), hidden folders left out."""

    def __init__(self, folder: Path, settings: Settings) -> None:
        super().__init__(str(folder))
        self.folder = folder
        self.settings = settings

    def __iter__(self) -> Iterator[SourceFile]:
        root = root_of(self.folder)
        files = sorted(self._walk(self.folder.resolve()))
        self.state.bytes_total = len(files)
        limit = self.settings.max_file_bytes
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
                if size > limit:
                    yield SourceFile(rel, problem=too_large(size, limit))
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


class StreamSource(Source):
    """One file read as a stream, on disk or uploaded: an article file or an archive."""

    def __init__(self, file: Path | UploadedFile, settings: Settings) -> None:
        super().__init__(file.name if isinstance(file, UploadedFile) else str(file))
        self.file = file
        self.settings = settings

    def __iter__(self) -> Iterator[SourceFile]:
        if isinstance(self.file, UploadedFile):
            yield from self.read(self.file.name, self.file.stream)
            return
        name = self.on_disk(self.file)
        with self.file.open("rb") as raw:
            yield from self.read(name, raw)

    @abstractmethod
    def read(self, name: str, stream: BinaryIO) -> Iterator[SourceFile]:
        """The files in the stream; ``name`` is the uploaded name, or ``on_disk``'s."""

    def on_disk(self, path: Path) -> str:
        """The name a file on disk is read under."""
        return path.name


class ArticleFile(StreamSource):
    """One markdown or text file: on disk (its path from the corpus root) or uploaded."""

    def on_disk(self, path: Path) -> str:
        """The file's path from the corpus root."""
        return PurePosixPath(path.resolve().relative_to(root_of(path))).as_posix()

    def read(self, name: str, stream: BinaryIO) -> Iterator[SourceFile]:
        """The one file, refused when its name is unsafe, not an article's, or too large."""
        path, problem = corpus_path(name)
        if path is None:
            yield SourceFile(name, problem=problem)
            return
        if not is_article_name(path):
            yield SourceFile(path, problem="not a markdown or text file (.md, .txt) nor an archive")
            return
        data = read_at_most(stream, self.settings.max_file_bytes)
        if data is None:
            yield SourceFile(path, problem=too_large(None, self.settings.max_file_bytes))
            return
        self.state.bytes_done += len(data)
        yield SourceFile(path, data=data)


class Markdown(Source):
    """One article's bytes already in memory, at a path the caller checked (a PUT's body)."""

    def __init__(self, path: str, data: bytes) -> None:
        super().__init__(path)
        self.data = data

    def __iter__(self) -> Iterator[SourceFile]:
        self.state.bytes_done += len(self.data)
        yield SourceFile(self.name, data=self.data)
