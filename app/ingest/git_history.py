"""``GitHistory``: every article a repository's ref ever held, each at its newest version.

The ref's history is replayed oldest commit first from ``git log --raw`` (no checkout):
every path ever committed becomes the file of its newest blob, also when a later commit
deleted it (an archive keeps what it published), with the commit times it was shown at
(``Seen``). The slot files ``content/gnews/<N>/README.md`` are not articles of their own:
each distinct version is a version of the GNews article it names (``app.ingest.slots``).

Every older version (an earlier blob of a path, the other versions of a slot article) comes
with its file as ``SourceFile.earlier``, so the store keeps it as a revision; after a
previous run, only the versions written since. An index page's older versions come instead
one by one before it, oldest first (``index_version``), each with what the slot files held
at its commit (``slots``): every version's entries fill in, the newest winning.

Times: ``first_seen_at`` is the committer time of the first commit that showed the article;
``last_seen_at`` that of the last commit that held it when it has left the ref, else that of
the commit of its newest version (so commits elsewhere in the archive do not rewrite every
article still in it: ``in_head`` says it is still there).
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from app.config import Settings
from app.ingest.git import SYMLINK, Change, Commit, Repository
from app.ingest.prepare import reads_as_index_page
from app.ingest.run import IngestProgress
from app.ingest.slots import (
    Identity,
    file_identity,
    identity_of,
    index_named,
    nameless,
    own_path,
)
from app.ingest.sources import (
    Seen,
    Source,
    SourceError,
    SourceFile,
    Version,
    Written,
    is_article_name,
    is_utf8,
    too_large,
)
from app.parsing.index_page import is_slot

# Commits replayed between two progress reports: the log gives thousands a second.
_COMMITS_SHOWN = 64


class HistoryRewritten(SourceError):
    """The commit a previous run read to is no longer in the ref's history."""


@dataclass(frozen=True, slots=True)
class _Older:
    """A blob a path held before its newest one (or a slot article's other version)."""

    blob: str
    commit: str
    wrote: datetime
    fresh: bool  # written after the commit a previous run read to (``since``)


@dataclass(slots=True)
class _Shown:
    """One path's (or one slot version's) life along the ref."""

    blob: str  # the newest blob
    mode: str
    commit: str  # the commit that wrote the newest blob, and one of its paths
    path: str
    first: datetime
    wrote: datetime  # when the newest blob was written
    last: datetime
    present: bool = True
    versions: int = 1
    # Changed by a commit after the one a previous run read to (``since``).
    touched: bool = False
    # The newest blob was written after ``since``; the blobs held before it.
    fresh: bool = False
    older: list[_Older] = field(default_factory=list)

    @classmethod
    def new(cls, change: Change, commit: Commit) -> "_Shown":
        """A path or version first shown by this change."""
        assert change.blob is not None
        at = commit.committed_at
        return cls(change.blob, change.mode, commit.sha, change.path, at, at, at)

    def seen(self) -> Seen:
        """The commit times of this life as an article knows them."""
        return Seen(self.first, self.wrote if self.present else self.last, self.present)

    def as_older(self) -> _Older:
        """This version's newest blob as an older version of an article."""
        return _Older(self.blob, self.commit, self.wrote, self.fresh)


class GitHistory(Source):
    """The history of one ref (default ``HEAD``) of a working tree, bare repository or bundle."""

    def __init__(
        self,
        location: Path,
        settings: Settings,
        *,
        ref: str | None = None,
        since: str | None = None,
        progress: Callable[[IngestProgress], None] | None = None,
    ) -> None:
        super().__init__(str(location))
        self.location = location
        self.settings = settings
        self.ref = ref
        # A commit a previous run read to: only what changed after it is read again.
        self.since = since
        self.progress = progress  # told of the commits replayed, every _COMMITS_SHOWN
        self.tip: str | None = None
        self.commits = 0
        self.commits_after = 0  # the commits after ``since`` (all of them without it)
        self.versions = 0
        self.paths: dict[str, _Shown] = {}
        self.slot_versions: dict[str, _Shown] = {}
        # What the slots held (slot path -> blob) at each commit that wrote an index page,
        # the article each slot blob is a version of, and where that article is stored.
        self.slots_held: dict[str, dict[str, str]] = {}
        self._identities: dict[str, Identity] = {}
        self._stored_at: dict[Identity, str] = {}

    def __iter__(self) -> Iterator[SourceFile]:
        with Repository(self.location) as repo:
            self.tip = repo.resolve(self.ref)
            if self.since is not None and not repo.is_ancestor(self.since, self.tip):
                raise HistoryRewritten(
                    f"{self.location}: the history was rewritten: commit {self.since[:12]}, "
                    f"read last time, is no longer in {self.ref or 'HEAD'}'s history "
                    "(read it all again with --full)"
                )
            self._replay(repo)
            groups, failed = self._slot_articles(repo)
            changed = {i for i, v in groups.items() if any(self._wanted(x) for x in v)}
            # Files a changed slot article may be one article with (``slots`` module).
            merging = {f"content/gnews/{gnews_id}.md" for _, gnews_id in changed}
            # Index pages first: their entries are then at hand when the articles are written.
            ordered = sorted(self.paths, key=lambda p: (not index_named(p), p))
            paths = [p for p in ordered if self._wanted(self.paths[p]) or p in merging]
            self.state.bytes_total = len(paths) + len(changed) + len(failed)
            yield from failed
            for path in paths:
                yield from self._file(repo, path, groups)
            for identity in sorted(changed & groups.keys()):
                yield from self._slot_file(repo, own_path(identity), groups[identity])

    def _wanted(self, shown: _Shown) -> bool:
        return self.since is None or shown.touched

    # -- the replay ----------------------------------------------------------------------

    def _replay(self, repo: Repository) -> None:
        held: dict[str, str] = {}  # slot path -> blob it holds now
        holders: dict[str, int] = {}  # slot blob -> slots holding it now
        before: datetime | None = None
        after = self.since is None
        total = repo.count(self.tip or "HEAD") if self.progress else None
        for commit in repo.log(self.tip or "HEAD"):
            self.commits += 1
            if self.progress is not None and self.commits % _COMMITS_SHOWN == 0:
                self.progress(IngestProgress(0, self.commits, total, "commits"))
            self.commits_after += after
            left = self._apply(commit, before, held, holders, after)
            for blob in left:
                if holders.get(blob, 0) == 0 and before is not None:
                    version = self.slot_versions[blob]
                    version.present, version.last = False, before
                    version.touched |= after
            before = commit.committed_at
            after = after or commit.sha == self.since
        self.versions += len(self.slot_versions)
        if self.progress is not None:
            self.progress(IngestProgress(0, self.commits, total, "commits"))

    def _apply(
        self,
        commit: Commit,
        before: datetime | None,
        held: dict[str, str],
        holders: dict[str, int],
        after: bool,
    ) -> list[str]:
        """Applies one commit's changes; returns the slot blobs that some slot let go."""
        left: list[str] = []
        at = commit.committed_at
        for change in commit.changes:
            if is_slot(change.path):
                old = held.pop(change.path, None)
                if old is not None:
                    holders[old] -= 1
                    left.append(old)
                if change.blob is not None:
                    held[change.path] = change.blob
                    holders[change.blob] = holders.get(change.blob, 0) + 1
                    version = self.slot_versions.get(change.blob)
                    if version is None:
                        version = self.slot_versions[change.blob] = _Shown.new(change, commit)
                        version.touched = version.fresh = after
                    elif not version.present:  # let go, and shown again
                        version.present = True
                        version.touched |= after
                continue
            if not is_article_name(change.path):
                continue
            shown = self.paths.get(change.path)
            if shown is not None:
                shown.touched |= after
            if change.blob is None:
                if shown is not None and shown.present:
                    shown.present, shown.last = False, before or at
            elif shown is None:
                self.paths[change.path] = _Shown.new(change, commit)
                self.paths[change.path].touched = self.paths[change.path].fresh = after
                self.versions += 1
            elif shown.blob != change.blob or not shown.present:
                if shown.blob != change.blob:
                    shown.versions += 1
                    self.versions += 1
                    shown.older.append(shown.as_older())
                    shown.fresh = after
                shown.blob, shown.mode, shown.commit = change.blob, change.mode, commit.sha
                shown.wrote, shown.present = at, True
        if held and any(index_named(change.path) for change in commit.changes):
            self.slots_held[commit.sha] = dict(held)
        return left

    # -- the slot versions ---------------------------------------------------------------

    def _slot_articles(
        self, repo: Repository
    ) -> tuple[dict[Identity, list[_Shown]], list[SourceFile]]:
        """Slot versions grouped by the article they name; the versions that name none."""
        groups: dict[Identity, list[_Shown]] = {}
        failed: list[SourceFile] = []
        limit = self.settings.max_file_bytes
        for version in self.slot_versions.values():
            data = repo.blob(version.blob, limit)
            identity = identity_of(data) if data is not None else None
            if identity is not None:
                self._identities[version.blob] = identity
            if identity is None and self._wanted(version):
                where = f"{version.path}@{version.commit[:12]}"
                problem = too_large(None, limit) if data is None else nameless(data)
                failed.append(SourceFile(where, problem=problem))
            if identity is None:
                continue
            groups.setdefault(identity, []).append(version)
        return groups, failed

    def _slot_file(
        self, repo: Repository, path: str, versions: list[_Shown]
    ) -> Iterator[SourceFile]:
        newest = max(versions, key=lambda v: (v.first, v.wrote))
        seen = Seen(
            min(v.first for v in versions),
            max((v.wrote if v.present else v.last) for v in versions),
            any(v.present for v in versions),
        )
        older = [old for v in versions for old in v.older]
        older += [v.as_older() for v in versions if v is not newest]
        yield from self._read(repo, path, newest, seen, older)

    # -- the files -----------------------------------------------------------------------

    def _file(
        self, repo: Repository, path: str, groups: dict[Identity, list[_Shown]]
    ) -> Iterator[SourceFile]:
        shown = self.paths[path]
        self.state.bytes_done += 1
        if shown.mode == SYMLINK:
            yield SourceFile(path, problem="symbolic link")
            return
        if not is_utf8(path):
            yield SourceFile(
                path.encode("utf-8", "surrogateescape").decode(errors="replace"),
                problem="path is not UTF-8",
            )
            return
        data = repo.blob(shown.blob, self.settings.max_file_bytes)
        if data is None:
            yield SourceFile(path, problem=too_large(None, self.settings.max_file_bytes))
            return
        identity = file_identity(path, data) if path.startswith("content/gnews/") else None
        versions = groups.pop(identity, None) if identity is not None else None
        if versions:
            # The file and its slot versions are one article: its newest version wins.
            yield from self._slot_file(repo, path, [shown, *versions])
            return
        seen = shown.seen()
        written = Written(shown.commit, shown.wrote)
        if index_named(path) and reads_as_index_page(path, data):
            # Every version's entries, oldest first, so that the newest information wins.
            yield from self._index_versions(repo, path, shown.older)
            slots = self._slots_at(repo, shown.commit)
            yield SourceFile(path, data=data, seen=seen, written=written, slots=slots)
            return
        earlier, failed = self._older(repo, path, shown.older, seen)
        yield from failed
        yield SourceFile(path, data=data, seen=seen, written=written, earlier=earlier)

    def _read(
        self, repo: Repository, path: str, newest: _Shown, seen: Seen, older: list[_Older]
    ) -> Iterator[SourceFile]:
        self.state.bytes_done += 1
        data = repo.blob(newest.blob, self.settings.max_file_bytes)
        if data is None:
            yield SourceFile(path, problem=too_large(None, self.settings.max_file_bytes))
            return
        earlier, failed = self._older(repo, path, older, seen)
        yield from failed
        written = Written(newest.commit, newest.wrote)
        yield SourceFile(path, data=data, seen=seen, written=written, earlier=earlier)

    def _index_versions(
        self, repo: Repository, path: str, older: Iterable[_Older]
    ) -> Iterator[SourceFile]:
        """An index page's older versions not given before, oldest first, one by one (so
        that a long history is never held at once), each with its commit's slots."""
        for read in self._older_reads(repo, path, older):
            if isinstance(read, SourceFile):
                yield read
                continue
            old, data = read
            slots = self._slots_at(repo, old.commit)
            written = Written(old.commit, old.wrote)
            yield SourceFile(path, data=data, written=written, slots=slots, index_version=True)

    def _slots_at(self, repo: Repository, commit: str) -> dict[str, str]:
        """Slot path -> the path of the article the slot held at this commit."""
        held = self.slots_held.get(commit, {})
        return {
            slot: self._stored_path(repo, self._identities[blob])
            for slot, blob in held.items()
            if blob in self._identities
        }

    def _stored_path(self, repo: Repository, identity: Identity) -> str:
        """Where the article of a slot version is stored (the ``slots`` module's rule)."""
        found = self._stored_at.get(identity)
        if found is None:
            found = own_path(identity)
            named = f"content/gnews/{identity[1]}.md"
            shown = self.paths.get(named)
            if shown is not None and shown.mode != SYMLINK:
                data = repo.blob(shown.blob, self.settings.max_file_bytes)
                if data is not None and file_identity(named, data) == identity:
                    found = named
            self._stored_at[identity] = found
        return found

    def _older(
        self, repo: Repository, path: str, older: Iterable[_Older], seen: Seen
    ) -> tuple[tuple[Version, ...], list[SourceFile]]:
        """The older versions (``_older_reads``), and the failures of those too large to read.

        Each is shown as the article was while it was the newest: first seen when the
        article was, last seen at its own commit, in the ref.
        """
        versions: list[Version] = []
        failed: list[SourceFile] = []
        for read in self._older_reads(repo, path, older):
            if isinstance(read, SourceFile):
                failed.append(read)
                continue
            old, data = read
            old_seen = Seen(seen.first_seen_at, old.wrote, True)
            versions.append(Version(data, Written(old.commit, old.wrote), old_seen))
        return tuple(versions), failed

    def _older_reads(
        self, repo: Repository, path: str, older: Iterable[_Older]
    ) -> Iterator[tuple[_Older, bytes] | SourceFile]:
        """Each older version not given before (all of them on a first run), oldest first,
        with its file; for one too large to read, its failure, named with its commit."""
        limit = self.settings.max_file_bytes
        for old in sorted(older, key=lambda o: (o.wrote, o.commit)):
            if not (self.since is None or old.fresh):
                continue
            data = repo.blob(old.blob, limit)
            if data is None:
                yield SourceFile(f"{path}@{old.commit[:12]}", problem=too_large(None, limit))
            else:
                yield old, data
