"""What the parser produces: plain dataclasses, no FastAPI and no database."""

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Byline:
    """A credit as written: ``role`` normalised (author, editor, translator, proofreader,
    organisation, publisher, ...), ``role_as_written`` the label in the file (编辑上传)."""

    role: str
    name: str
    role_as_written: str | None = None


@dataclass(frozen=True, slots=True)
class Source:
    """Where the article was reposted from (GNews, GETTR, 戰友之聲, ...)."""

    name: str | None
    url: str | None
    external_id: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedSection:
    """A part of the body; index 0 is the text before the first heading (may be empty)."""

    index: int
    heading: str | None
    markdown: str
    text: str


@dataclass(frozen=True, slots=True)
class ParsedImage:
    """An image with the caption or credit line next to it."""

    url: str
    alt: str | None = None
    caption: str | None = None
    section_index: int | None = None


@dataclass(frozen=True, slots=True)
class ParsedLink:
    """A link in the body; ``is_reference`` when under a 参考链接-style heading."""

    url: str
    text: str | None
    section_index: int | None
    is_reference: bool = False


@dataclass(slots=True)
class ParsedArticle:
    """One article file, turned into fields. ``path`` is relative to the corpus root."""

    path: str
    collection: str
    title: str | None
    # True when the title is a placeholder (郭文貴先生視頻的文字版) or absent and an index
    # title should win.
    title_is_placeholder: bool = False
    # Where the title came from: file (its title line), body (a generic-title file's first
    # bold line or glued headline), filename (court transcripts), or None when there is none.
    title_source: str | None = None
    published_at: datetime | None = None
    # meta (a full datetime in the file), filename (a date from the file name), or None.
    published_precision: str | None = None
    bylines: list[Byline] = field(default_factory=list)
    source: Source | None = None
    meta_tags: list[str] = field(default_factory=list)
    entity_tags: list[str] = field(default_factory=list)
    hashtags: list[str] = field(default_factory=list)
    # GETTR reposts: the id of the reposted post (**:arrows_clockwise: <id> 已轉發**).
    reposted_id: str | None = None
    sections: list[ParsedSection] = field(default_factory=list)
    images: list[ParsedImage] = field(default_factory=list)
    links: list[ParsedLink] = field(default_factory=list)
    body_markdown: str = ""
    body_text: str = ""
    script: str | None = None  # simplified, traditional, mixed, or None (too little CJK)
    is_empty: bool = False
    content_hash: str = ""  # sha256 of the parsed fields, hex

    @property
    def authors(self) -> list[str]:
        """Names of the people and farms credited as authors, in order, without repeats."""
        seen: dict[str, None] = {}
        for b in self.bylines:
            if b.role in ("author", "organisation") and b.name not in seen:
                seen[b.name] = None
        return list(seen)


@dataclass(frozen=True, slots=True)
class IndexRecord:
    """One entry of an index page (a README list of links): fills in what a file lacks."""

    path: str
    title: str | None = None
    summary: str | None = None
    published_at: datetime | None = None
    author: str | None = None
