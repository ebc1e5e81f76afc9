"""The change feed: recording changes, reading pages of them, the digest, export, retention.

``writes`` gives every article write its seq; ``reads`` answers pages of changes and the
documents they carry; ``digest`` and ``export`` serve mirrors; ``retention`` drops old
tombstones. The feed's counters live behind ``app.models.FeedState``.
"""

from app.feed.digest import (
    DIGEST_ALGORITHM,
    REVISIONS_DIGEST_ALGORITHM,
    ArchiveDigest,
    archive_digest,
    current_digest,
)
from app.feed.export import export_lines
from app.feed.reads import (
    ChangeEntry,
    ChangesPage,
    FeedDocument,
    changes_body,
    check_since,
    documents_of,
    read_changes,
)
from app.feed.retention import prune_changes, purge_tombstones
from app.feed.writes import OP_DELETE, OP_UPSERT, record_changes

__all__ = [
    "DIGEST_ALGORITHM",
    "OP_DELETE",
    "OP_UPSERT",
    "REVISIONS_DIGEST_ALGORITHM",
    "ArchiveDigest",
    "ChangeEntry",
    "ChangesPage",
    "FeedDocument",
    "archive_digest",
    "changes_body",
    "check_since",
    "current_digest",
    "documents_of",
    "export_lines",
    "prune_changes",
    "purge_tombstones",
    "read_changes",
    "record_changes",
]
