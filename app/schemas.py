"""Public response models: the shapes of ``docs/api-contract.md``.

``ArticlePublic`` is also the document a mirror receives (``/changes?include_docs``,
``/export``), so ``content_hash_of`` over it gives the same hash on origin and mirror.
"""

import hashlib
import json
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

EXAMPLE_ID = "gnews-2362915"

# One article summary, as the examples of every list route in the OpenAPI spec show it.
# No null member in an example object: FastAPI's export drops them (``exclude_none``), and a
# required nullable field left out would make the example fail its own schema.
SUMMARY_EXAMPLE: dict[str, object] = {
    "id": EXAMPLE_ID,
    "path": "content/gnews/2362915.md",
    "collection": "gnews",
    "title": "艾娃做客斯廷奇菲尔德播客：中共利用TikTok影响选举",
    "summary": "艾娃在播客中谈中共如何借TikTok影响美国选举。",
    "published_at": "2024-03-04T08:37:00Z",
    "authors": ["澳洲雅典娜农场"],
    "tags": [{"name": "TikTok", "kind": "entity"}],
    "source": {
        "name": "GNews",
        "url": "https://gnews.org/articles/2362915",
        "external_id": "2362915",
    },
    "first_seen_at": "2024-03-04T09:12:40Z",
    "last_seen_at": "2024-03-04T09:12:40Z",
    "in_head": True,
    "content_hash": "9f2c" + "0" * 60,
    "updated_at": "2026-11-26T12:00:00Z",
}

# A cursor as the examples show one: its shape only (a real one is signed with the secret).
CURSOR_EXAMPLE = "eyJ2IjoxLCJzIjoi...In0.Qm9ndXNzaWduYXR1cmU"

# The ``next`` member of every page model.
NextCursor = Annotated[
    str | None,
    Field(
        description="Pass as `cursor` to get the next page; null when this is the last page.",
        examples=[CURSOR_EXAMPLE],
    ),
]


class SourcePublic(BaseModel):
    """Where the article was reposted from."""

    name: str | None = Field(
        description="Source name, e.g. GNews, GETTR, 戰友之聲.", examples=["GNews"]
    )
    url: str | None = Field(
        description="Link to the original.", examples=["https://gnews.org/articles/2362915"]
    )
    external_id: str | None = Field(description="The source's own id.", examples=["2362915"])


class TagRef(BaseModel):
    """A tag on an article."""

    name: str = Field(description="The tag as written.", examples=["美国"])
    kind: str = Field(
        description="`meta` (the file's own tag) or `entity` (inline `[[zh:...]]`).",
        examples=["entity"],
    )


class BylinePublic(BaseModel):
    """A credit line."""

    role: str = Field(
        description="Normalised role: author, editor, translator, proofreader, organisation, ...",
        examples=["editor"],
    )
    name: str = Field(description="The name as written.", examples=["水星"])
    role_as_written: str | None = Field(
        default=None, description="The label in the file.", examples=["编辑上传"]
    )


class ArticleSummary(BaseModel):
    """An article in a list: everything but the body and its parts."""

    model_config = ConfigDict(from_attributes=True)

    id: str = Field(description="Stable id made from the path.", examples=[EXAMPLE_ID])
    path: str = Field(
        description="Path of the file relative to the corpus root.",
        examples=["content/gnews/2362915.md"],
    )
    collection: str = Field(
        description="gnews, transcript, gettr, article, court-case or page.", examples=["gnews"]
    )
    title: str | None = Field(
        description="The title (from the file, else from the archive's index).",
        examples=["艾娃做客斯廷奇菲尔德播客：中共利用TikTok影响选举"],
    )
    summary: str | None = Field(
        description="A summary from the archive's index, where it gives one.", examples=[None]
    )
    published_at: datetime | None = Field(
        description="Publication time, UTC.", examples=["2024-03-04T08:37:00Z"]
    )
    authors: list[str] = Field(
        description="Authors and farms credited.", examples=[["澳洲雅典娜农场"]]
    )
    tags: list[TagRef] = Field(
        description="Meta and entity tags.", examples=[[{"name": "TikTok", "kind": "entity"}]]
    )
    source: SourcePublic = Field(description="Where it was reposted from.")
    first_seen_at: datetime | None = Field(
        # A default: a mirror may follow an origin older than these fields.
        default=None,
        description="Committer time (UTC) of the first commit of the archive's git history "
        "that showed it; null when not ingested from a history.",
        examples=["2024-03-04T09:12:40Z"],
    )
    last_seen_at: datetime | None = Field(
        default=None,
        description="Committer time (UTC) of the last commit that held it when it has left "
        "the history's ref; while it is still there, of the commit of its newest version.",
        examples=["2024-03-04T09:12:40Z"],
    )
    in_head: bool | None = Field(
        default=None,
        description="True while the ref's newest commit still holds it; null when not "
        "ingested from a history.",
        examples=[True],
    )
    content_hash: str = Field(
        description="SHA-256 of the article's content; changes whenever the content does.",
        examples=["9f2c" + "0" * 60],
    )
    updated_at: datetime = Field(
        description="When this service last changed the article.", examples=["2026-11-26T12:00:00Z"]
    )


class SectionPublic(BaseModel):
    """A part of the body, opened by a heading or a bold line; index 0 is the opening."""

    index: int = Field(examples=[1])
    heading: str | None = Field(examples=["从一般主题到特定主题"])
    text: str = Field(description="Plain text of the section.", examples=["……"])


class LinkPublic(BaseModel):
    """A link cited in the body."""

    url: str = Field(examples=["https://www.rbc.ru/politics/"])
    text: str | None = Field(examples=["rbc.ru"])
    section_index: int | None = Field(examples=[4])
    is_reference: bool = Field(
        description="True under a references heading (参考链接, 原文链接...).", examples=[True]
    )


class ImagePublic(BaseModel):
    """An image with its caption or credit."""

    url: str = Field(
        examples=["https://assets.gnews.org/wp-content/uploads/2022/06/2_1654263169.png"]
    )
    alt: str | None = Field(examples=[""])
    caption: str | None = Field(examples=["nbcnews.com"])


class ArticlePublic(ArticleSummary):
    """A whole article."""

    bylines: list[BylinePublic] = Field(
        description="Every credit line, as written.",
        examples=[[{"role": "editor", "name": "水星", "role_as_written": "编辑上传"}]],
    )
    script: str | None = Field(
        description="simplified, traditional, mixed, or null.", examples=["simplified"]
    )
    is_empty: bool = Field(
        description="True for stubs with no body (left out of lists by default).", examples=[False]
    )
    sections: list[SectionPublic] = Field(
        description="The body's parts, in order.",
        examples=[[{"index": 0, "heading": "从一般主题到特定主题", "text": "……"}]],
    )
    links: list[LinkPublic] = Field(
        description="Links cited in the body, in order.",
        examples=[
            [
                {
                    "url": "https://www.rbc.ru/politics/",
                    "text": "rbc.ru",
                    "section_index": 4,
                    "is_reference": True,
                }
            ]
        ],
    )
    images: list[ImagePublic] = Field(
        description="Images of the body, in order.",
        examples=[[{"url": "https://assets.gnews.org/a.png", "alt": "", "caption": "nbcnews.com"}]],
    )
    body_markdown: str = Field(
        description="The body as markdown, header and footers removed.", examples=["据报道……"]
    )
    body_text: str = Field(description="The body as plain text.", examples=["据报道……"])


class RevisionPublic(BaseModel):
    """One version of an article: every distinct content it had is kept."""

    commit: str | None = Field(
        description="The git commit that wrote this version; null when it came from a "
        "folder, an upload or a PUT.",
        examples=["3f1c2a9e0b7d4c5a8e6f1b2c3d4e5f60718293a4"],
    )
    committed_at: datetime = Field(
        description="Committer time (UTC) of that commit; for a version not from a history, "
        "when this service stored it.",
        examples=["2021-09-12T08:30:00Z"],
    )
    content_hash: str = Field(
        description="The `content_hash` of the version as an `Article` "
        "(`GET /articles/{id}/revisions/{content_hash}`); the newest is the article's own.",
        examples=["9f2c" + "0" * 60],
    )
    title: str | None = Field(
        description="The version's title.",
        examples=["艾娃做客斯廷奇菲尔德播客：中共利用TikTok影响选举"],
    )


# Fields that are about this copy of the article, not its content: left out of the hash.
NOT_CONTENT = frozenset({"content_hash", "updated_at"})


# Fields added after hashes were published: out of the hash while null, so an article not
# read from a history keeps the hash it had (and mirrors' digests still agree), while one
# that was has them in its hash, and a mirror receives them.
HASHED_WHEN_SET = frozenset({"first_seen_at", "last_seen_at", "in_head"})


def content_hash_of(document: dict[str, Any]) -> str:
    """SHA-256 over an article's content fields as canonical JSON (same on every mirror)."""
    content = {
        k: v
        for k, v in document.items()
        if k not in NOT_CONTENT and not (k in HASHED_WHEN_SET and v is None)
    }
    canonical = json.dumps(
        content, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class FacetCount(BaseModel):
    """One value of a facet and how many matching articles have it."""

    value: str = Field(
        description="The value, usable as the filter of its facet (a year as `2024`).",
        examples=["gnews"],
    )
    count: int = Field(description="Matching articles with this value.", examples=[1200])
    kind: Literal["meta", "entity"] | None = Field(
        default=None, description="A tag's kind (tags only).", examples=["entity"]
    )
