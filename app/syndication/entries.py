"""What a feed says, in neither format yet: the page of entries made from stored summaries."""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

# The Unix epoch: the `updated` of a feed that holds no entry (Atom requires one).
EMPTY_FEED_UPDATED = "1970-01-01T00:00:00Z"

# Characters XML 1.0 cannot hold at all, not even escaped (C0 controls but tab, CR, LF;
# U+FFFE, U+FFFF; lone surrogates). A stray one in an article would make the feed unreadable.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    """``text`` without the characters XML 1.0 forbids (the same text in both formats)."""
    return _NOT_XML.sub("", text)


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One article as a feed entry."""

    url: str  # the article's absolute API URL: its permalink and its entry id
    title: str
    updated: str
    published: str | None
    source_url: str | None
    summary: str | None
    authors: tuple[str, ...]
    tags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FeedPage:
    """One page of a feed: what it is, where it and its neighbours are, and its entries."""

    id: str  # the same on every page of the feed: its URL without paging parameters
    title: str
    self_url: str
    list_url: str  # the JSON list (/articles, /search) this feed shows
    next_url: str | None
    publisher: str
    version: str
    entries: tuple[FeedEntry, ...]

    @property
    def updated(self) -> str:
        """The newest ``updated`` of the entries, as written (compared as times, not strings:
        ``...:03Z`` is older than ``...:03.5Z``)."""
        return max((e.updated for e in self.entries), key=_instant, default=EMPTY_FEED_UPDATED)


def _instant(rfc3339: str) -> datetime:
    return datetime.fromisoformat(rfc3339)


def article_url(base_url: str, article_id: str) -> str:
    """The absolute URL of ``GET /articles/{id}`` under ``base_url`` (which ends with ``/``)."""
    return f"{base_url}articles/{quote(article_id, safe='')}"


def entry_of(summary: dict[str, Any], *, base_url: str) -> FeedEntry:
    """The feed entry of one stored ``ArticleSummary`` (or ``SearchHit``) document."""
    snippets = summary.get("snippets") or []
    # A search hit without an index summary says why it matched: its body snippet.
    text = summary["summary"] or next((s["text"] for s in snippets if s["field"] == "body"), None)
    return FeedEntry(
        url=article_url(base_url, summary["id"]),
        title=xml_safe(summary["title"] or "") or summary["id"],
        updated=summary["updated_at"],
        published=summary["published_at"],
        source_url=summary["source"]["url"],
        summary=xml_safe(text) if text else None,
        authors=_names(summary["authors"]),
        tags=_names(t["name"] for t in summary["tags"]),
    )


def _names(names: Iterable[str]) -> tuple[str, ...]:
    """Each distinct non-empty name once, in order, XML-safe."""
    return tuple(dict.fromkeys(n for n in map(xml_safe, names) if n.strip()))
