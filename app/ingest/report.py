"""The ingest report: what a run added, updated, left alone, deleted, and could not ingest."""

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from app.ingest.prepare import FailedFile


@dataclass(slots=True)
class IngestReport:
    """Counts and ids of one ingest; ``failed`` lists every file that was not ingested."""

    files: int = 0
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    deleted: list[str] = field(default_factory=list)
    failed: list[FailedFile] = field(default_factory=list)
    index_pages: int = 0
    skipped: int = 0
    # False when the source could not be read to its end: no prune was done then.
    complete: bool = True
    seconds: float = 0.0
    # Ids already counted as added or updated in this run.
    _counted: set[str] = field(default_factory=set, repr=False)

    def fail(self, path: str, reason: str) -> None:
        """Records a file that could not be ingested."""
        self.failed.append(FailedFile(path, reason))

    def note_added(self, ids: Iterable[str]) -> None:
        """Counts added articles."""
        for ident in ids:
            self._counted.add(ident)
            self.added.append(ident)

    def note_updated(self, ids: Iterable[str]) -> None:
        """Counts updates, once per article, and not of one this run added (a later fill-in)."""
        for ident in ids:
            if ident not in self._counted:
                self._counted.add(ident)
                self.updated.append(ident)

    @property
    def changes(self) -> int:
        """How many articles changed: each got one change event."""
        return len(self.added) + len(self.updated) + len(self.deleted)

    def counts(self) -> dict[str, int]:
        """The summary line's figures."""
        return {
            "files": self.files,
            "added": len(self.added),
            "updated": len(self.updated),
            "unchanged": self.unchanged,
            "deleted": len(self.deleted),
            "failed": len(self.failed),
            "index_pages": self.index_pages,
            "skipped": self.skipped,
        }

    def summary(self) -> str:
        """One line for people: added, updated, unchanged, deleted, failed."""
        c = self.counts()
        line = (
            f"added {c['added']}, updated {c['updated']}, unchanged {c['unchanged']}, "
            f"deleted {c['deleted']}, failed {c['failed']} "
            f"({c['files']} files, {c['index_pages']} index pages, {c['skipped']} skipped) "
            f"in {self.seconds:.1f} s"
        )
        return (
            line if self.complete else line + "; the source was not read to its end, nothing pruned"
        )

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (the upload endpoint answers with it)."""
        data = asdict(self)
        del data["_counted"]
        data["failed"] = [asdict(f) for f in self.failed]
        data["counts"] = self.counts()
        return data

    def write_failures(self, path: Path) -> None:
        """``--report FILE.jsonl``: one JSON object per failed file, ``{"path", "reason"}``."""
        with path.open("w", encoding="utf-8") as out:
            for failure in self.failed:
                out.write(
                    json.dumps({"path": failure.path, "reason": failure.reason}, ensure_ascii=False)
                    + "\n"
                )
