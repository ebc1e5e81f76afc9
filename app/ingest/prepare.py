"""Raw bytes of one file -> rows ready to store, or an index page, or the reason it failed.

This half of the ingest is pure (no database) so it runs in worker processes. The checks a
bad file fails (empty, binary, not UTF-8, parser error, values the schema cannot hold) all
happen here, before anything is written.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import UTC

from app.identity import article_id
from app.ingest.document import ArticleRows, Row, document_hash, tag_order
from app.parsing import IndexRecord, ParsedArticle, parse_article, parse_index_page
from app.search import PreparedText, SearchBackend

# Fields a file may lack and an index entry may fill in.
FILLABLE = ("title", "summary", "published_at", "authors")

# Column widths of app/models.py: longer values would fail on PostgreSQL, so they are
# refused (ids, paths) or cut (names, labels) here.
_MAX_PATH = 400
_MAX_ID = 300
_CUT = {"name": 300, "role": 40, "role_as_written": 100, "source_name": 100, "external_id": 100}
_MAX_TAG = 200


@dataclass(slots=True)
class PreparedArticle(ArticleRows):
    """An article as rows: what ``store`` writes, and the hash of its public document."""

    # The file's search text and tokens, computed here in the worker (search covers the
    # whole file as a reader sees it); None when not computed (the writer then indexes
    # the body text).
    search: PreparedText | None = None
    content_hash: str = ""

    @property
    def id(self) -> str:
        """The article id."""
        return str(self.article["id"])

    @property
    def path(self) -> str:
        """The corpus path."""
        return str(self.article["path"])

    def rehash(self) -> None:
        """Recomputes ``content_hash`` (after a fill-in changed a field)."""
        self.content_hash = document_hash(self.document())
        self.article["content_hash"] = self.content_hash


@dataclass(frozen=True, slots=True)
class PreparedIndexPage:
    """A file recognised, by its content, as an index page: its entries."""

    path: str
    source_hash: str
    records: list[IndexRecord] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class FailedFile:
    """A file that could not be ingested, and why."""

    path: str
    reason: str


Prepared = PreparedArticle | PreparedIndexPage | FailedFile


def source_hash(data: bytes) -> str:
    """SHA-256 of a file's raw bytes: an unchanged file costs this one comparison."""
    return hashlib.sha256(data).hexdigest()


def decode(data: bytes) -> tuple[str | None, str | None]:
    """The text of a file, or ``(None, reason)`` for an empty, binary or non-UTF-8 file."""
    if not data.strip():
        return None, "empty file"
    if b"\x00" in data:
        return None, "binary file (NUL bytes)"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})"
    return text.removeprefix("\ufeff"), None


def prepare(
    path: str, data: bytes, digest: str, *, search: SearchBackend | None = None
) -> Prepared:
    """Parses one file; never raises (a parser exception becomes a ``FailedFile``).

    ``search``: the backend the articles will be indexed by, which then makes its index
    text here too; without it the writer's backend makes it.
    """
    if len(path) > _MAX_PATH or len(article_id(path)) > _MAX_ID:
        return FailedFile(path, f"path longer than {_MAX_PATH} characters")
    text, problem = decode(data)
    if text is None:
        return FailedFile(path, problem or "unreadable")
    try:
        records = parse_index_page(path, text)
        if records is not None:
            return PreparedIndexPage(path, digest, list(records))
        parsed = parse_article(path, text)
        prepared = prepare_article(parsed, digest, len(data))
        prepared.search = search.prepare(text) if search else PreparedText.from_markdown(text)
        return prepared
    except Exception as exc:  # noqa: BLE001  (any parser failure is this file's failure)
        return FailedFile(path, f"parser error: {type(exc).__name__}: {exc}"[:500])


def prepare_chunk(
    items: list[tuple[str, bytes, str]], search: SearchBackend | None = None
) -> list[Prepared]:
    """``prepare`` over several files: the unit of work sent to a worker process."""
    return [prepare(path, data, digest, search=search) for path, data, digest in items]


def lacks_of(parsed: ParsedArticle) -> list[str]:
    """What the file itself lacks, in the order of ``FILLABLE``."""
    lacks = []
    if parsed.title_is_placeholder or not (parsed.title or "").strip():
        lacks.append("title")
    lacks.append("summary")  # summaries only ever come from the index
    if parsed.published_at is None or parsed.published_precision == "filename":
        lacks.append("published_at")
    if not parsed.authors:
        lacks.append("authors")
    return lacks


def _cut(value: str | None, key: str) -> str | None:
    return None if value is None else value[: _CUT[key]]


def prepare_article(parsed: ParsedArticle, digest: str, size: int) -> PreparedArticle:
    """The rows of one parsed article, and its content hash."""
    ident = article_id(parsed.path)
    source = parsed.source
    title = (parsed.title or "").strip() or None
    published = parsed.published_at
    if published is not None and published.tzinfo is None:
        published = published.replace(tzinfo=UTC)  # the parser's times are UTC
    article: Row = {
        "id": ident,
        "path": parsed.path,
        "collection": parsed.collection,
        "title": title,
        "summary": None,
        "published_at": published,
        "published_precision": parsed.published_precision if published else None,
        "authors": [name[: _CUT["name"]] for name in parsed.authors],
        "source_name": _cut(source.name, "source_name") if source else None,
        "source_url": source.url if source else None,
        "source_external_id": _cut(source.external_id, "external_id") if source else None,
        "script": parsed.script,
        "is_empty": parsed.is_empty,
        "body_markdown": parsed.body_markdown,
        "body_text": parsed.body_text,
        "content_hash": "",
        "source_hash": digest,
        "size_bytes": size,
        "lacks": lacks_of(parsed),
    }
    bylines = [
        {
            "article_id": ident,
            "position": i,
            "role": _cut(b.role, "role"),
            "role_as_written": _cut(b.role_as_written, "role_as_written"),
            "name": _cut(b.name, "name"),
        }
        for i, b in enumerate(parsed.bylines)
    ]
    sections = [
        {
            "article_id": ident,
            "index": s.index,
            "heading": s.heading,
            "markdown": s.markdown,
            "text": s.text,
        }
        for s in parsed.sections
    ]
    links = [
        {
            "article_id": ident,
            "position": i,
            "url": link.url,
            "text": link.text,
            "section_index": link.section_index,
            "is_reference": link.is_reference,
        }
        for i, link in enumerate(parsed.links)
    ]
    images = [
        {
            "article_id": ident,
            "position": i,
            "url": img.url,
            "alt": img.alt,
            "caption": img.caption,
            "section_index": img.section_index,
        }
        for i, img in enumerate(parsed.images)
    ]
    # Hashtags are the post's own tags, like the backtick tag: both are ``meta`` tags.
    named = [(t, "meta") for t in (*parsed.meta_tags, *parsed.hashtags)]
    named += [(t, "entity") for t in parsed.entity_tags]
    tags = tag_order(
        (name.strip(), kind) for name, kind in named if 0 < len(name.strip()) <= _MAX_TAG
    )
    prepared = PreparedArticle(article, bylines, sections, links, images, tags)
    prepared.rehash()
    return prepared
