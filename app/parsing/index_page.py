"""The archive's index pages (README lists of links, FORMATS.md §9), recognised by their content.

Entry forms: ``#### [TITLE](/content/gnews/N.md)`` + ``SUMMARY `date farm` `` (gnews), the
same with ``###`` and a slot path (the oldest gnews index),
``[@user date  - :tv:直播](/content/gettr/P.md)`` + post text (gettr),
``[TITLE](/content/transcript/....md)`` (transcripts) and
``[May 31, 2024 Transcript](Case-....txt)`` relative to the page (court).
"""

import posixpath
import re
from datetime import UTC, datetime

from app.parsing.head import MONTH_NAMES, parse_datetime
from app.parsing.model import IndexRecord
from app.parsing.text import clean_title, collapse_whitespace, normalise_characters

_HEADER = re.compile(r"^\s*###\s+\[:house:")
_ENTRY = re.compile(r"^\s*(?:#{3,4}\s+)?\[(.*)\]\(\s*([^()\s]+)\s*\)\s*$")
_HEADING = re.compile(r"^#{1,6}(?:\s|$)")
_GETTR_TEXT = re.compile(r"^@(\S+)\s+(.*?UTC)")
_COURT_DATE = re.compile(r"^([A-Z][a-z]+) (\d{1,2}), (\d{4})")
# The rolling GNews slot files (``app.ingest.slots``): a link to one names an article.
_SLOT = re.compile(r"content/gnews/\d+/README\.md")
_MONTHS = {name: number for number, name in enumerate(MONTH_NAMES, start=1)}
# An index page lists at least this many articles; an article may link one or two others.
_MIN_ENTRIES = 3
_MIN_SHARE = 0.1


def is_slot(path: str) -> bool:
    """True for a rolling slot file ``content/gnews/<N>/README.md``."""
    return _SLOT.fullmatch(path) is not None


def _target(page: str, href: str) -> str | None:
    """The corpus path an index link points at, or None for navigation and outside links."""
    if "://" in href or href.startswith(("#", "mailto:")):
        return None
    href = href.split("#", 1)[0]
    if not href.endswith((".md", ".txt")):
        return None
    if href.startswith("/"):
        path = posixpath.normpath(href.lstrip("/"))
    else:
        path = posixpath.normpath(posixpath.join(posixpath.dirname(page), href))
    if not path.startswith("content/"):
        return None
    if posixpath.basename(path).upper().startswith("README") and not is_slot(path):
        return None  # page navigation: README-2.md, README-all.md, the folder's own index
    return path


def _court_date(text: str) -> datetime | None:
    m = _COURT_DATE.match(text)
    if m is None or m.group(1) not in _MONTHS:
        return None
    try:
        return datetime(int(m.group(3)), _MONTHS[m.group(1)], int(m.group(2)), tzinfo=UTC)
    except ValueError:
        return None


def _backtick_tail(line: str) -> tuple[str, str] | None:
    """``SUMMARY `date farm` `` -> (SUMMARY, date farm); None without a closing backtick part."""
    line = line.rstrip()
    if not line.endswith("`"):
        return None
    opening = line.rfind("`", 0, len(line) - 1)
    if opening < 0:
        return None
    return line[:opening], line[opening + 1 : -1]


def _record(path: str, link_text: str, details: list[str]) -> IndexRecord:
    if m := _GETTR_TEXT.match(link_text):
        texts = [d for d in details if not d.lstrip().startswith("<img")]
        summary = "\n".join(collapse_whitespace(t) for t in texts) or None
        return IndexRecord(path, None, summary, parse_datetime(m.group(2)), "@" + m.group(1))
    title = clean_title(link_text) or None
    summary, published_at, author = None, _court_date(link_text), None
    for line in details:
        if tail := _backtick_tail(line):
            summary = clean_title(tail[0]) or summary
            inner = tail[1].strip()
            when = parse_datetime(inner)
            if when is not None:
                published_at = when
                inner = inner[inner.find("UTC") + 3 :].strip()
            author = inner or author
        elif summary is None:
            summary = clean_title(line) or None
    return IndexRecord(path, title, summary, published_at, author)


def parse_index_page(path: str, text: str) -> list[IndexRecord] | None:
    """The entries of an index page; None when the file is not one (an article, a slot copy)."""
    lines = normalise_characters(text).split("\n")
    start = 0
    if lines and _HEADER.match(lines[0]):
        start = 2 if len(lines) > 1 and lines[1].strip() == "---" else 1
    entries: list[tuple[str, str, list[str]]] = []
    filled = 0
    details: list[str] = []
    for line in lines[start:]:
        stripped = line.strip()
        if not stripped:
            continue
        filled += 1
        m = _ENTRY.match(line)
        target = _target(path, m.group(2)) if m else None
        if m is not None and target is not None:
            details = []
            entries.append((target, m.group(1), details))
        elif stripped == "---" or _HEADING.match(stripped):
            details = []  # a separator or a heading ends an entry's lines
        else:
            details.append(stripped)
    if len(entries) < _MIN_ENTRIES or len(entries) < _MIN_SHARE * filled:
        return None
    return [_record(target, link_text, found) for target, link_text, found in entries]
