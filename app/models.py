"""SQLModel tables: articles and what they hold, tags, the change feed, tokens, mirrors.

The schema exists only through the Alembic migrations in ``migrations/``; a test checks
that these models and the migrations agree.
"""

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    case,
    select,
    text,
    update,
)
from sqlalchemy.engine import Dialect
from sqlmodel import Field, Session, SQLModel, col

# Stable constraint names, so migrations can address them on both databases.
SQLModel.metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python, on SQLite and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        # SQLite has no time zones: store naive UTC so text comparisons order correctly.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """Now, in UTC."""
    return datetime.now(UTC)


def _fk(target: str, **kwargs: Any) -> Any:
    return Column(String(300), ForeignKey(target, ondelete="CASCADE"), **kwargs)


class Article(SQLModel, table=True):
    """One article file of the corpus, parsed; deleting it cascades to its parts."""

    __tablename__ = "article"
    __table_args__ = (
        Index("ix_article_published", "published_at", "id"),
        Index("ix_article_updated", "updated_at", "id"),
        Index("ix_article_collection_published", "collection", "published_at", "id"),
    )

    id: str = Field(sa_column=Column(String(300), primary_key=True))
    path: str = Field(sa_column=Column(String(400), nullable=False, unique=True))
    collection: str = Field(sa_column=Column(String(40), nullable=False))
    title: str | None = Field(default=None, sa_column=Column(Text))
    summary: str | None = Field(default=None, sa_column=Column(Text))
    published_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    # Where published_at came from: meta, index, filename (date only), first_seen (the
    # history's first commit that showed it) or none.
    published_precision: str | None = Field(default=None, sa_column=Column(String(20)))
    authors: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # ``info["document"]``: where a column sits in the public document when not at its own
    # name (app/articles/mapping.py derives the whole mapping from these tables).
    source_name: str | None = Field(
        default=None, sa_column=Column(String(100), info={"document": "source.name"})
    )
    source_url: str | None = Field(
        default=None, sa_column=Column(Text, info={"document": "source.url"})
    )
    source_external_id: str | None = Field(
        default=None, sa_column=Column(String(100), info={"document": "source.external_id"})
    )
    script: str | None = Field(default=None, sa_column=Column(String(20)))
    is_empty: bool = Field(default=False, nullable=False)
    body_markdown: str = Field(default="", sa_column=Column(Text, nullable=False))
    body_text: str = Field(default="", sa_column=Column(Text, nullable=False))
    # Read from a repository's history (null for articles that were not): the commit times
    # of the first and last commits that showed it, and whether the ref's newest holds it.
    first_seen_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    last_seen_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    in_head: bool | None = Field(default=None, sa_column=Column(Boolean, nullable=True))
    # Hash of what the API serves for this article: the basis of ETags and mirror digests.
    content_hash: str = Field(sa_column=Column(String(64), nullable=False))
    # Hash of the raw file bytes: an unchanged file costs one comparison.
    source_hash: str = Field(sa_column=Column(String(64), nullable=False))
    size_bytes: int = Field(default=0, sa_column=Column(Integer, nullable=False))
    # Fields the file itself lacks (title, summary, published_at, authors): index entries
    # fill them in, also when the index page arrives after the article.
    lacks: list[str] = Field(
        default_factory=list,
        sa_column=Column(JSON, nullable=False, default=list, server_default=text("'[]'")),
    )
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class ArticleTally(SQLModel, table=True):
    """How many articles each (collection, year, month, is_empty) holds: cheap totals and facets.

    Triggers on ``article`` (migration 0012) keep it in step with every writer; ``year`` and
    ``month`` are 0 for articles without a publication time. Rows may reach 0 and stay.
    """

    __tablename__ = "article_tally"

    collection: str = Field(sa_column=Column(String(40), primary_key=True))
    year: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    month: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    is_empty: bool = Field(sa_column=Column(Boolean, primary_key=True))
    article_count: int = Field(default=0, sa_column=Column(Integer, nullable=False))


class ArticleStub(SQLModel, table=True):
    """The articles that are empty stubs (``is_empty``), kept by the triggers of migration 0012.

    A table rather than an index on ``is_empty``: SQLite's planner would take such an index
    for the ``is_empty = 0`` of every search and walk all articles.
    """

    __tablename__ = "article_stub"

    article_id: str = Field(sa_column=Column(String(300), primary_key=True))


class ArticleDocument(SQLModel, table=True):
    """An article's public documents, built when it is written and served as they are.

    ``summary`` is the ``ArticleSummary`` and ``document`` the ``Article`` as JSON bytes;
    they sit in a table of their own so that list queries over ``article`` stay narrow.
    """

    __tablename__ = "article_document"

    article_id: str = Field(sa_column=_fk("article.id", primary_key=True))
    summary: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    document: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class ArticleRevision(SQLModel, table=True):
    """One version of an article: every distinct content it had, newest and older.

    The current version (its ``content_hash`` is the article's) stores nothing of its own:
    it is served from ``article_document``. A version the service served and then replaced
    keeps that document (``document``, compressed); a version it never served (an older
    version in a repository's history) keeps its markdown (``markdown``, compressed) and
    the ``context`` its rendering needs beyond the file (``app/ingest/revisions.py``).
    """

    __tablename__ = "article_revision"
    __table_args__ = (
        Index("ix_article_revision_newest", "article_id", "committed_at", "content_hash"),
    )

    article_id: str = Field(sa_column=_fk("article.id", primary_key=True))
    # The hash of the ``Article`` document this version is served as.
    content_hash: str = Field(sa_column=Column(String(64), primary_key=True))
    # The commit that wrote it (null for folder ingests, uploads and PUT), and its
    # committer time (for those, when the service stored the version).
    commit: str | None = Field(default=None, sa_column=Column(String(64)))
    committed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    title: str | None = Field(default=None, sa_column=Column(Text))
    # SHA-256 of the file's bytes (null when unknown: written before revisions were kept).
    text_hash: str | None = Field(default=None, sa_column=Column(String(64)))
    markdown: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    document: bytes | None = Field(default=None, sa_column=Column(LargeBinary))
    context: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))


class Byline(SQLModel, table=True):
    """A credit line of an article: author, editor, translator, farm... as written."""

    __tablename__ = "byline"
    __table_args__ = (Index("ix_byline_name", "name", "article_id"),)

    article_id: str = Field(sa_column=_fk("article.id", primary_key=True))
    position: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    role: str = Field(sa_column=Column(String(40), nullable=False))
    role_as_written: str | None = Field(default=None, sa_column=Column(String(100)))
    name: str = Field(sa_column=Column(String(300), nullable=False))


class Section(SQLModel, table=True):
    """A part of an article's body, opened by a heading or a bold line (index 0: the opening)."""

    __tablename__ = "section"

    article_id: str = Field(sa_column=_fk("article.id", primary_key=True))
    index: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    heading: str | None = Field(default=None, sa_column=Column(Text))
    markdown: str = Field(default="", sa_column=Column(Text, nullable=False))
    text: str = Field(default="", sa_column=Column(Text, nullable=False))


class CitedLink(SQLModel, table=True):
    """A link in an article's body; ``is_reference`` when it sits under a references heading."""

    __tablename__ = "cited_link"

    article_id: str = Field(sa_column=_fk("article.id", primary_key=True))
    position: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    url: str = Field(sa_column=Column(Text, nullable=False))
    text: str | None = Field(default=None, sa_column=Column(Text))
    section_index: int | None = Field(default=None, sa_column=Column(Integer))
    is_reference: bool = Field(default=False, nullable=False)


class Image(SQLModel, table=True):
    """An image of an article, with its caption or credit line."""

    __tablename__ = "image"

    article_id: str = Field(sa_column=_fk("article.id", primary_key=True))
    position: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    url: str = Field(sa_column=Column(Text, nullable=False))
    alt: str | None = Field(default=None, sa_column=Column(Text))
    caption: str | None = Field(default=None, sa_column=Column(Text))
    section_index: int | None = Field(default=None, sa_column=Column(Integer))


class Tag(SQLModel, table=True):
    """A tag: ``meta`` (the file's own tag) or ``entity`` (inline ``[[zh:...]]``)."""

    __tablename__ = "tag"
    __table_args__ = (
        UniqueConstraint("name", "kind", name="uq_tag_name_kind"),
        Index("ix_tag_count", "article_count", "name"),
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    name: str = Field(sa_column=Column(String(200), nullable=False))
    kind: str = Field(sa_column=Column(String(20), nullable=False))
    # Kept in step by the ingest in the same transaction as the article_tag rows.
    article_count: int = Field(default=0, sa_column=Column(Integer, nullable=False))


class ArticleTag(SQLModel, table=True):
    """Which article carries which tag."""

    __tablename__ = "article_tag"
    __table_args__ = (Index("ix_article_tag_tag", "tag_id", "article_id"),)

    article_id: str = Field(sa_column=_fk("article.id", primary_key=True))
    tag_id: int = Field(
        sa_column=Column(Integer, ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True)
    )


class Change(SQLModel, table=True):
    """The newest change of one article: only one row per article is kept.

    ``seq`` is handed out under a row lock on ``feed_state`` so that sequence order is
    commit order: a reader never sees a smaller seq appear after a larger one.
    """

    __tablename__ = "change"
    __table_args__ = (Index("ix_change_changed_at", "changed_at"),)

    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    article_id: str = Field(sa_column=Column(String(300), nullable=False, unique=True))
    op: str = Field(sa_column=Column(String(10), nullable=False))
    content_hash: str | None = Field(default=None, sa_column=Column(String(64)))
    changed_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class FeedState(SQLModel, table=True):
    """Counters of the change feed: ``last_seq`` and ``purged_seq`` (tombstones dropped up to).

    The only code that reads or writes ``feed_state``. Bumping ``last_seq`` is an UPDATE in
    the writer's own transaction: on PostgreSQL it takes a row lock held until commit, on
    SQLite the database's write lock, so writers commit in seq order and a reader is never
    shown seq N and later a smaller one.
    """

    __tablename__ = "feed_state"

    LAST_SEQ: ClassVar[str] = "last_seq"
    PURGED_SEQ: ClassVar[str] = "purged_seq"

    name: str = Field(sa_column=Column(String(40), primary_key=True))
    value: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))

    @classmethod
    def read(cls, session: Session, name: str) -> int:
        """``last_seq`` or ``purged_seq``, as this session sees it."""
        value = session.execute(select(col(cls.value)).where(col(cls.name) == name)).scalar_one()
        return int(value)

    @classmethod
    def next_seqs(cls, session: Session, n: int) -> range:
        """Allots the next ``n`` seqs; the caller's transaction holds the lock until it ends."""
        last = session.execute(
            update(cls)
            .where(col(cls.name) == cls.LAST_SEQ)
            .values(value=col(cls.value) + n)
            .returning(col(cls.value))
        ).scalar_one()
        return range(int(last) - n + 1, int(last) + 1)

    @classmethod
    def raise_purged(cls, session: Session, seq: int) -> None:
        """Raises ``purged_seq`` to ``seq``; never lowers it."""
        session.execute(
            update(cls)
            .where(col(cls.name) == cls.PURGED_SEQ)
            .values(value=case((col(cls.value) < seq, seq), else_=col(cls.value)))
        )


class IndexEntry(SQLModel, table=True):
    """What the archive's index pages say of one article: fills in what its file lacks."""

    __tablename__ = "index_entry"

    path: str = Field(sa_column=Column(String(400), primary_key=True))
    title: str | None = Field(default=None, sa_column=Column(Text))
    summary: str | None = Field(default=None, sa_column=Column(Text))
    published_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    author: str | None = Field(default=None, sa_column=Column(String(300)))
    index_path: str | None = Field(default=None, sa_column=Column(String(400)))
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class ApiToken(SQLModel, table=True):
    """An API token; only the SHA-256 of the secret is stored."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    name: str = Field(sa_column=Column(String(100), nullable=False, unique=True))
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    scope: str = Field(sa_column=Column(String(100), nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    last_used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    revoked_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class MirrorState(SQLModel, table=True):
    """How far this database has followed an origin's change feed."""

    __tablename__ = "mirror_state"

    origin: str = Field(sa_column=Column(String(500), primary_key=True))
    last_seq: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    digest: str | None = Field(default=None, sa_column=Column(String(64)))
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class HistoryState(SQLModel, table=True):
    """The last commit of a repository's ref that a history ingest read to the end."""

    __tablename__ = "history_state"

    # The repository as given to the ingest (its absolute path) and the ref as named.
    repository: str = Field(sa_column=Column(String(500), primary_key=True))
    ref: str = Field(sa_column=Column(String(200), primary_key=True))
    commit: str = Field(sa_column=Column(String(64), nullable=False))
    updated_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
