"""The lines above the body: header, repost marker, title, meta line and source (FORMATS.md §1-§6).

These are one-line formats, so line-level regular expressions read them; the body's markdown
structure is left to ``body.py``.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from app.parsing.model import Byline, Source
from app.parsing.text import clean_title, entity_tags_of

# English month names, as court transcript names and index links write dates (locale-free).
MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

GENERIC_TITLE = "郭文貴先生視頻的文字版"
GNEWS = "GNews"
GETTR = "GETTR"
VOG = "戰友之聲"

_HEADER = re.compile(r"^\s*###\s+\[:house:[^\]]*\]\([^)]*\)")
_REPOST = re.compile(r"^\*\*:arrows_clockwise:\s*(\w+)\s*已轉發\*\*\s*$")
_TITLE = re.compile(r"^(#{1,2})(?!#)[ \t]*+(.*)$")
_META = re.compile(r"^(?!```)`([^`]*)`\s*(.*)$")
_DATETIME = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4}) (\d{1,2}):(\d{2}) ([AP]M) UTC")
_GETTR_USER = re.compile(r"^@(\S+)\s+(.*)$")
_GNEWS_LINK = re.compile(
    r"\[轉載自GNews\]\((https?://gnews\.org/(zh-hans/|articles/|ThreadView/)(\d+)/?)\s*\)"
)
_GETTR_LINK = re.compile(r"^\s*\[轉發自GETTR\]\((https://gettr\.com/post/(\w+))\)\s*$")
_VOG_LINK = re.compile(r"轉載自\[戰友之聲\]\((https?://littleantvoice\.blogspot\.com/?)\)")
_VIDEO_LABEL = re.compile(
    r"^[*\s]*(视频链接[一二]?|视频连[结接]|盖特连接|直播链接)[*\s]*[：:][*\s]*"
    r"(?:\[[^\]]*\]\((\S+?)\s*\)|(https?://\S+))[*\s]*$"
)
_VIDEO_LINE = re.compile(r"^\s*\[[^\]]*\]\((https?://(?:www\.)?gtv\.org/video/[^)\s]*)\)\s*$")
# blogspot's escaped image link, [!\[\](small)](large), sometimes glued to the title too
_ESCAPED_IMAGE = re.compile(r"\[!\\\[\\\]\([^)]*\)\]\([^)]*\)")
_GETTR_POST_ID = re.compile(r"gettr\.com/post/(\w+)")
_GTV_VIDEO_ID = re.compile(r"gtv\.org/video/id=(\w+)")


@dataclass(slots=True)
class Head:
    """What the lines above the body say; ``body_start`` is the first body line."""

    body_start: int = 0
    title: str | None = None
    title_is_placeholder: bool = False
    published_at: datetime | None = None
    bylines: list[Byline] = field(default_factory=list)
    meta_tags: list[str] = field(default_factory=list)
    source: Source | None = None
    reposted_id: str | None = None
    title_tags: list[str] = field(default_factory=list)
    title_source: str | None = None


def parse_datetime(text: str) -> datetime | None:
    """``3/4/2024 8:37 PM UTC`` (US month/day, 12-hour clock) -> an aware UTC datetime."""
    m = _DATETIME.search(text)
    if m is None:
        return None
    month, day, year, hour, minute = (int(g) for g in m.groups()[:5])
    if hour == 12:
        hour = 0
    if m.group(6) == "PM":
        hour += 12
    try:
        return datetime(year, month, day, hour, minute, tzinfo=UTC)
    except ValueError:
        return None


def _next_filled(lines: list[str], i: int) -> int:
    while i < len(lines) and not lines[i].strip():
        i += 1
    return i


def parse_head(lines: list[str]) -> Head:
    """Read header, title, meta line and source from the first lines of a file."""
    head = Head()
    i = 0
    if lines and _HEADER.match(lines[0]):
        i = 1
        if i < len(lines) and lines[i].strip() == "---":
            i += 1
    i = _next_filled(lines, i)
    if i < len(lines) and (m := _REPOST.match(lines[i])):
        head.reposted_id = m.group(1)
        i = _next_filled(lines, i + 1)
    if i < len(lines) and (m := _TITLE.match(lines[i])):
        _read_title(head, m.group(2))
        i += 1
    j = _next_filled(lines, i)
    if j < len(lines) and (m := _META.match(lines[j])):
        _read_meta(head, m.group(1), m.group(2))
        i = j + 1
    # The source sits on the meta line (GNews) or on the next line (GETTR, ThreadView, VOG).
    j = _next_filled(lines, i)
    if head.source is None and j < len(lines) and _read_source_line(head, lines[j]):
        i = j + 1
    head.body_start = i
    return head


def _read_title(head: Head, raw: str) -> None:
    head.title_tags = entity_tags_of(raw)
    glued = _VOG_LINK.search(raw)
    if glued:
        head.source = Source(VOG, glued.group(1))
        tail = _ESCAPED_IMAGE.sub("", raw[glued.end() :]).replace("**", "")
        tail = clean_title(tail.lstrip("# "))
        raw = raw[: glued.start()]
        if tail:
            head.title, head.title_source = tail, "body"
            return
    title = clean_title(raw)
    if not title or title == GENERIC_TITLE:
        head.title_is_placeholder = True
        head.title = title or None
        head.title_source = "file" if title else None
        return
    head.title, head.title_source = title, "file"


def _read_meta(head: Head, inner: str, rest: str) -> None:
    inner = inner.strip()
    if m := _GETTR_USER.match(inner):
        head.bylines.append(Byline("author", "@" + m.group(1)))
        head.published_at = parse_datetime(m.group(2))
    elif (when := _DATETIME.match(inner)) is not None:
        head.published_at = parse_datetime(inner)
        farm = inner[when.end() :].strip()
        if farm:
            head.bylines.append(Byline("organisation", farm))
            head.meta_tags.append(farm)
    elif inner:
        head.bylines.append(Byline("organisation", inner))
        head.meta_tags.append(inner)
    if rest:
        _read_source_line(head, rest)


def _read_source_line(head: Head, line: str) -> bool:
    """Take a source from one line; False when the line is not a source line."""
    if m := _GNEWS_LINK.search(line):
        if m.group(3) == "0":
            # ThreadView/0: the transcript stub's placeholder source, which names no article.
            head.source = Source(GNEWS, None)
        else:
            head.source = Source(GNEWS, m.group(1), m.group(3))
        return True
    if m := _GETTR_LINK.match(line):
        head.source = Source(GETTR, m.group(1), m.group(2))
        return True
    if (m := _VOG_LINK.search(line)) and len(line.strip()) <= len(m.group(0)) + 2:
        head.source = Source(VOG, m.group(1))
        return True
    if m := _VIDEO_LABEL.match(line):
        head.source = video_source(m.group(2) or m.group(3))
        return True
    if m := _VIDEO_LINE.match(line):
        head.source = video_source(m.group(1))
        return True
    return False


def video_source(url: str) -> Source:
    """A video page as a source: GETTR posts, GTV videos, or the host's name."""
    if m := _GETTR_POST_ID.search(url):
        return Source(GETTR, url, m.group(1))
    if m := _GTV_VIDEO_ID.search(url):
        return Source("GTV", url, m.group(1))
    host = re.sub(r"^https?://(www\.)?", "", url).split("/", 1)[0]
    return Source(host or None, url)
