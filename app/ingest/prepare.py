"""Raw bytes of one file -> rows ready to store, or an index page, or the reason it failed.

This half of the ingest is pure (no database) so it runs in worker processes. The checks a
bad file fails (empty, binary, not UTF-8, parser error, values the schema cannot hold) all
happen here, before anything is written.
"""

import hashlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC
from typing import Any, NamedTuple

from app.articles.mapping import (
    ARTICLE,
    TABLES,
    ArticleRows,
    column_width,
    document_hash,
    rows_of,
    tag_order,
)
from app.articles.revisions import compress
from app.identity import article_id
from app.ingest.slots import resolve_slot_links, source_of
from app.ingest.sources import Seen, Version, Written
from app.parsing import IndexRecord, ParsedArticle, parse_article, parse_index_page
from app.search import PreparedText, SearchBackend


# Column widths of app/models.py: longer ids and paths would fail on PostgreSQL, so they
# are refused here; longer tags are left out. The mapping cuts every other column's value.
def _width(column: Any) -> int:
    width = column_width(column)
    assert width is not None, f"{column} has no width"
    return width


_MAX_PATH = _width(ARTICLE.c.path)
_MAX_ID = _width(ARTICLE.c.id)
_MAX_TAG = _width(TABLES["tag"].c.name)
# Authors are a JSON list, so no column cuts them: as long as a byline's name at most.
_MAX_NAME = _width(TABLES["byline"].c.name)


@dataclass(slots=True)
class PreparedArticle(ArticleRows):
    """An article as rows: what ``store`` writes, and the hash of its public document."""

    # The file's search text and tokens, computed here in the worker (search covers the
    # whole file as a reader sees it); None when not computed (the writer then indexes
    # the body text).
    search: PreparedText | None = None
    content_hash: str = ""
    # What its revision records: the commit that wrote it (None: not from a history), the
    # SHA-256 of the file's bytes, and for an older version its markdown, compressed.
    written: Written | None = None
    text_hash: str = ""
    markdown: bytes | None = None
    # The older versions a history gave with it, oldest first, and those that failed.
    earlier: list["PreparedArticle"] = field(default_factory=list)
    failed_versions: list["FailedFile"] = field(default_factory=list)

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


class ChunkItem(NamedTuple):
    """One file sent to a parse worker: its bytes, their source hash, and what a history
    said of it (when it showed it, the commit that wrote it, its older versions)."""

    path: str
    data: bytes
    digest: str
    seen: Seen | None = None
    written: Written | None = None
    earlier: tuple[Version, ...] = ()
    slots: Mapping[str, str] | None = None
    index_version: bool = False


def source_hash(data: bytes, seen: Seen | None = None) -> str:
    """SHA-256 of a file's raw bytes: an unchanged file costs this one comparison.

    A file read from a history also carries when it was seen: the same bytes seen at other
    times (a later deletion, say) are a change too, so the times are hashed with the bytes.
    """
    digest = hashlib.sha256(data)
    if seen is not None:
        digest.update(
            f"\0{seen.first_seen_at.isoformat()} {seen.last_seen_at.isoformat()} "
            f"{seen.in_head}".encode()
        )
    return digest.hexdigest()


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


def prepare_version(
    path: str, data: bytes, digest: str, seen: Seen | None = None
) -> tuple[Prepared, str | None]:
    """Parses one file into an article or an index page; never raises.

    Also the file's text, for the search index (None when it failed). The one way from a
    file's bytes to an article: the ingest and the rendering of a stored revision both
    take it.
    """
    if len(path) > _MAX_PATH or len(article_id(path)) > _MAX_ID:
        return FailedFile(path, f"path longer than {_MAX_PATH} characters"), None
    text, problem = decode(data)
    if text is None:
        return FailedFile(path, problem or "unreadable"), None
    try:
        records = parse_index_page(path, text)
        if records is not None:
            return PreparedIndexPage(path, digest, list(records)), text
        prepared = prepare_article(parse_article(path, text), digest, len(data), seen)
    except Exception as exc:  # noqa: BLE001  (any parser failure is this file's failure)
        return FailedFile(path, f"parser error: {type(exc).__name__}: {exc}"[:500]), None
    prepared.text_hash = hashlib.sha256(data).hexdigest()
    return prepared, text


def reads_as_index_page(path: str, data: bytes) -> bool:
    """True when a file's bytes are an index page, as the ingest tells them (by content)."""
    text, _ = decode(data)
    try:
        return text is not None and parse_index_page(path, text) is not None
    except Exception:  # noqa: BLE001  (a file the parser chokes on is no index page)
        return False


def prepare(
    path: str,
    data: bytes,
    digest: str,
    *,
    search: SearchBackend | None = None,
    seen: Seen | None = None,
    written: Written | None = None,
    earlier: tuple[Version, ...] = (),
    slots: Mapping[str, str] | None = None,
    index_version: bool = False,
) -> Prepared | None:
    """Parses one file and its older versions; never raises (a parser exception becomes a
    ``FailedFile``).

    ``search``: the backend the articles will be indexed by, which then makes its index
    text here too; without it the writer's backend makes it. ``seen``, ``written``,
    ``earlier``, ``slots`` and ``index_version``: what a history said of the file (an older
    version of an index page gives only its entries: None when it was no index page).
    """
    prepared, text = prepare_version(path, data, digest, seen)
    if isinstance(prepared, PreparedIndexPage) and slots is not None:
        prepared = replace(prepared, records=resolve_slot_links(prepared.records, slots))
    if index_version:
        return _index_version(prepared, written)
    if not isinstance(prepared, PreparedArticle) or text is None:
        return prepared
    try:
        prepared.search = search.prepare(text) if search else PreparedText.from_markdown(text)
    except Exception as exc:  # noqa: BLE001  (any failure is this file's failure)
        return FailedFile(path, f"parser error: {type(exc).__name__}: {exc}"[:500])
    prepared.written = written
    for version in earlier:
        older, _ = prepare_version(path, version.data, "", version.seen)
        where = f"{path}@{version.written.commit[:12]}"
        if isinstance(older, FailedFile):
            prepared.failed_versions.append(FailedFile(where, older.reason))
        elif isinstance(older, PreparedArticle):  # an index page once is no article version
            older.written, older.markdown = version.written, compress(version.data)
            prepared.earlier.append(older)
    return prepared


def _index_version(prepared: Prepared, written: Written | None) -> Prepared | None:
    """An older version of an index page: its entries, its failure (named with its commit),
    or None when it was no index page then (an index page's older version is no article)."""
    if isinstance(prepared, FailedFile):
        where = f"{prepared.path}@{written.commit[:12]}" if written else prepared.path
        return FailedFile(where, prepared.reason)
    return prepared if isinstance(prepared, PreparedIndexPage) else None


def prepare_chunk(items: list[ChunkItem], search: SearchBackend | None = None) -> list[Prepared]:
    """``prepare`` over several files: the unit of work sent to a worker process."""
    prepared = (
        prepare(
            i.path, i.data, i.digest, search=search, seen=i.seen, written=i.written,
            earlier=i.earlier, slots=i.slots, index_version=i.index_version,
        )
        for i in items
    )  # fmt: skip
    return _without_repeats([p for p in prepared if p is not None])


def _without_repeats(prepared: list[Prepared]) -> list[Prepared]:
    """Each version of an index page keeps only the listings the version before it in the
    chunk did not have as they are (most of a page's entries stay from one commit to the
    next). Versions of a page come one after the other and are applied in order with
    nothing between them, and applying the same listings again changes nothing: what is
    stored is the same, for a fraction of the writer's work."""
    out: list[Prepared] = []
    before: tuple[str, dict[str, list[IndexRecord]]] | None = None
    for item in prepared:
        if not isinstance(item, PreparedIndexPage):
            out.append(item)
            before = None
            continue
        listed: dict[str, list[IndexRecord]] = {}
        for record in item.records:
            listed.setdefault(record.path, []).append(record)
        if before is not None and before[0] == item.path:
            seen = before[1]
            fresh = [r for path, rs in listed.items() if seen.get(path) != rs for r in rs]
            out.append(replace(item, records=fresh))
        else:
            out.append(item)
        before = (item.path, listed)
    return out


def lacks_of(parsed: ParsedArticle) -> list[str]:
    """What the file itself lacks (the fields an index entry may fill in)."""
    lacks = []
    if parsed.title_is_placeholder or not (parsed.title or "").strip():
        lacks.append("title")
    lacks.append("summary")  # summaries only ever come from the index
    if parsed.published_at is None or parsed.published_precision == "filename":
        lacks.append("published_at")
    if not parsed.authors:
        lacks.append("authors")
    return lacks


def prepare_article(
    parsed: ParsedArticle, digest: str, size: int, seen: Seen | None = None
) -> PreparedArticle:
    """The rows of one parsed article, and its content hash.

    The parse becomes the public document first; its rows come from the one mapping, which
    also cuts values to their columns' widths. ``seen``: when a history showed it.
    """
    ident = article_id(parsed.path)
    published = parsed.published_at
    precision = parsed.published_precision
    if published is not None and published.tzinfo is None:
        published = published.replace(tzinfo=UTC)  # the parser's times are UTC
    if published is None and seen is not None:
        # No date of its own: the archive published it when it first showed it. The index
        # may still fill in a date of its own ("published_at" stays in ``lacks``).
        published, precision = seen.first_seen_at, "first_seen"
    source: dict[str, Any] = asdict(parsed.source) if parsed.source else {}
    slot_source = source_of(parsed.path)
    if slot_source is not None and source.get("external_id") != slot_source["external_id"]:
        # A slot's translation (posted on another GNews site) stored as the article it
        # translates: the source is that article, as its path says.
        source = slot_source
    # Hashtags are the post's own tags, like the backtick tag: both are ``meta`` tags.
    named = [(t, "meta") for t in (*parsed.meta_tags, *parsed.hashtags)]
    named += [(t, "entity") for t in parsed.entity_tags]
    tags = tag_order(
        (name.strip(), kind) for name, kind in named if 0 < len(name.strip()) <= _MAX_TAG
    )
    sections = [asdict(s) for s in parsed.sections]
    images = [asdict(img) for img in parsed.images]
    document: dict[str, Any] = {
        "id": ident,
        "path": parsed.path,
        "collection": parsed.collection,
        "title": (parsed.title or "").strip() or None,
        "summary": None,
        "published_at": published,
        "authors": [name[:_MAX_NAME] for name in parsed.authors],
        "tags": [{"name": name, "kind": kind} for name, kind in tags],
        "source": source,
        "bylines": [asdict(b) for b in parsed.bylines],
        "script": parsed.script,
        "is_empty": parsed.is_empty,
        "sections": sections,
        "links": [asdict(link) for link in parsed.links],
        "images": images,
        "body_markdown": parsed.body_markdown,
        "body_text": parsed.body_text,
        "first_seen_at": seen.first_seen_at if seen else None,
        "last_seen_at": seen.last_seen_at if seen else None,
        "in_head": seen.in_head if seen else None,
    }
    extras = {
        "published_precision": precision if published else None,
        "source_hash": digest,
        "size_bytes": size,
        "lacks": lacks_of(parsed),
    }
    # What the public document leaves out: a section's markdown, an image's section.
    rows = rows_of(
        document,
        extras=extras,
        part_extras={"sections": sections, "images": images},
    )
    prepared = PreparedArticle(
        rows.article, rows.bylines, rows.sections, rows.links, rows.images, rows.tags
    )
    prepared.rehash()
    return prepared
