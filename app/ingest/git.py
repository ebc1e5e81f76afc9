"""A git repository read through git itself: one ref's log, its newest tree, blob contents.

Nothing is checked out: ``git log --raw`` says which blob each path held at each commit, and
one long-lived ``git cat-file --batch`` process hands out the blobs' bytes. A working tree,
a bare repository and a ``.bundle`` (cloned bare into a temporary folder first) all read
the same way.
"""

import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import IO

from app.ingest.sources import SourceError

_NULL_SHA = "0" * 40
_LOG_READ = 1 << 16
# Tree entries that are not files: submodules (commits) have no blob to read.
_SUBMODULE = "160000"
SYMLINK = "120000"


@dataclass(frozen=True, slots=True)
class Change:
    """What one commit did to one path: its new blob and mode, or ``blob`` None (deleted)."""

    path: str
    blob: str | None
    mode: str


@dataclass(slots=True)
class Commit:
    """One commit of the ref's first-parent line: its id, committer time (UTC) and changes."""

    sha: str
    committed_at: datetime
    changes: list[Change] = field(default_factory=list)


def _git(git_dir: Path | None, *args: str, cwd: Path | None = None) -> str:
    base = ["git"] + ([f"--git-dir={git_dir}"] if git_dir is not None else [])
    done = subprocess.run([*base, *args], cwd=cwd, capture_output=True, check=False, text=True)
    if done.returncode != 0:
        raise SourceError(f"git {args[0]}: {done.stderr.strip() or 'failed'}")
    return done.stdout


class Repository:
    """An open repository (``with Repository(path) as repo``); a bundle is cloned first."""

    def __init__(self, location: Path) -> None:
        self.location = location
        self._temp: tempfile.TemporaryDirectory[str] | None = None
        self.git_dir = self._open(location)
        self._blobs: subprocess.Popen[bytes] | None = None

    def _open(self, location: Path) -> Path:
        if not location.exists():
            raise SourceError(f"{location}: no such repository")
        if location.is_file():
            # A bundle is not a repository git can log: a bare mirror of it is (seconds).
            self._temp = tempfile.TemporaryDirectory(prefix="corpus-bundle-")
            target = Path(self._temp.name) / "repo.git"
            _git(None, "clone", "--quiet", "--mirror", str(location), str(target))
            return target
        found = _git(None, "rev-parse", "--absolute-git-dir", cwd=location).strip()
        return Path(found)

    def __enter__(self) -> "Repository":
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stops the blob reader and removes a bundle's temporary clone."""
        if self._blobs is not None:
            assert self._blobs.stdin is not None
            self._blobs.stdin.close()
            self._blobs.wait()
            self._blobs = None
        if self._temp is not None:
            self._temp.cleanup()
            self._temp = None

    def resolve(self, ref: str | None) -> str:
        """The commit a ref names (default ``HEAD``: the checked-out branch, or a bundle's)."""
        wanted = ref or "HEAD"
        try:
            return _git(
                self.git_dir, "rev-parse", "--verify", "--quiet", f"{wanted}^{{commit}}"
            ).strip()
        except SourceError:
            raise SourceError(f"{self.location}: no commit {wanted!r}") from None

    def log(self, tip: str) -> Iterator[Commit]:
        """The first-parent history up to ``tip``, oldest commit first, with each one's changes.

        A merge shows its changes against its first parent, so replaying the changes gives
        exactly each commit's tree along the line.
        """
        args = [
            "git", f"--git-dir={self.git_dir}", "log", "--reverse", "--first-parent",
            "--diff-merges=first-parent", "--raw", "--no-renames", "--no-abbrev", "-z",
            "--format=%x01%H %ct", tip,
        ]  # fmt: skip
        with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
            assert proc.stdout is not None
            yield from _parse_log(proc.stdout)
            error = proc.stderr.read() if proc.stderr else b""
            if proc.wait() != 0:
                raise SourceError(f"git log: {error.decode(errors='replace').strip()}")

    def count(self, tip: str) -> int:
        """How many commits ``log(tip)`` gives (the first-parent line up to ``tip``)."""
        return int(_git(self.git_dir, "rev-list", "--count", "--first-parent", tip).strip())

    def is_ancestor(self, older: str, tip: str) -> bool:
        """True when commit ``older`` is in the history of ``tip`` (or is ``tip``)."""
        done = subprocess.run(
            ["git", f"--git-dir={self.git_dir}", "merge-base", "--is-ancestor", older, tip],
            capture_output=True,
            check=False,
        )
        return done.returncode == 0

    def paths_at(self, tip: str) -> set[str]:
        """Every file path in the tree of commit ``tip``."""
        out = _git(self.git_dir, "ls-tree", "-r", "-z", "--name-only", tip)
        return {p for p in out.split("\0") if p}

    def blob(self, sha: str, limit: int) -> bytes | None:
        """The bytes of a blob, or None when it holds more than ``limit`` bytes."""
        proc = self._blob_reader()
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(sha.encode() + b"\n")
        proc.stdin.flush()
        header = proc.stdout.readline().split()
        if len(header) != 3 or header[1] != b"blob":
            raise SourceError(f"git cat-file: no blob {sha}")
        size = int(header[2])
        data = _read_exactly(proc.stdout, size)
        proc.stdout.read(1)  # the newline after the contents
        return data if size <= limit else None

    def _blob_reader(self) -> "subprocess.Popen[bytes]":
        if self._blobs is None:
            self._blobs = subprocess.Popen(
                ["git", f"--git-dir={self.git_dir}", "cat-file", "--batch"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
        return self._blobs


def _read_exactly(stream: IO[bytes], size: int) -> bytes:
    chunks, left = [], size
    while left > 0:
        chunk = stream.read(left)
        if not chunk:
            raise SourceError("git cat-file: the blob ended early")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _parse_log(stream: IO[bytes]) -> Iterator[Commit]:
    """``git log -z --raw --format=%x01%H %ct`` -> commits: NUL-separated tokens, a header
    token per commit, then per change a ``:modes shas status`` token and a path token."""
    commit: Commit | None = None
    status: list[str] | None = None
    rest = b""
    while True:
        chunk = stream.read(_LOG_READ)
        tokens = (rest + chunk).split(b"\0")
        rest = tokens.pop() if chunk else b""
        for raw in tokens:
            token = raw.lstrip(b"\n")
            if status is not None:
                commit_changes = commit.changes if commit else []
                _, new_mode, _, new_sha, kind = status
                path = token.decode("utf-8", errors="surrogateescape")
                if new_mode != _SUBMODULE:
                    deleted = kind.startswith("D") or new_sha == _NULL_SHA
                    commit_changes.append(Change(path, None if deleted else new_sha, new_mode))
                status = None
            elif token.startswith(b"\x01"):
                if commit is not None:
                    yield commit
                sha, seconds = token[1:].decode().split()
                commit = Commit(sha, datetime.fromtimestamp(int(seconds), UTC))
            elif token.startswith(b":"):
                status = token[1:].decode().split()
        if not chunk:
            break
    if commit is not None:
        yield commit
