"""JSON Feed 1.1 (https://jsonfeed.org/version/1.1): a ``FeedPage`` as the bytes of one feed.

The models are both the writer and the OpenAPI schema of ``application/feed+json``.
"""

from pydantic import BaseModel, Field

from app.syndication.entries import FeedEntry, FeedPage

JSON_FEED_MEDIA_TYPE = "application/feed+json"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
EXAMPLE_URL = "http://127.0.0.1:8000/articles/gnews-2362915"


class JsonFeedAuthor(BaseModel):
    """A person or organisation credited."""

    name: str = Field(description="The name as credited.", examples=["澳洲雅典娜农场"])


class JsonFeedItem(BaseModel):
    """One article."""

    id: str = Field(description="The article's absolute API URL.", examples=[EXAMPLE_URL])
    url: str = Field(description="The article's absolute API URL.", examples=[EXAMPLE_URL])
    external_url: str | None = Field(
        default=None,
        description="The page it was reposted from, where known.",
        examples=["https://gnews.org/articles/2362915"],
    )
    title: str = Field(
        description="The title (the id when it has none).",
        examples=["艾娃做客斯廷奇菲尔德播客：中共利用TikTok影响选举"],
    )
    # The format needs content_html or content_text; a list stores no body.
    content_text: str = Field(
        description="The summary (a search feed: the matching body snippet), else the title.",
        examples=["艾娃在播客中谈中共如何借TikTok影响美国选举。"],
    )
    summary: str | None = Field(
        default=None,
        description="The archive's summary (a search feed: the matching snippet), where known.",
        examples=["艾娃在播客中谈中共如何借TikTok影响美国选举。"],
    )
    date_published: str | None = Field(
        default=None, description="Publication time, RFC 3339.", examples=["2024-03-04T08:37:00Z"]
    )
    date_modified: str = Field(
        description="When the archive last changed it, RFC 3339.",
        examples=["2026-11-26T12:00:00Z"],
    )
    authors: list[JsonFeedAuthor] | None = Field(
        default=None,
        description="Authors and farms credited.",
        examples=[[{"name": "澳洲雅典娜农场"}]],
    )
    tags: list[str] | None = Field(
        default=None, description="Meta and entity tags.", examples=[["TikTok", "美国"]]
    )


class JsonFeed(BaseModel):
    """One page of a JSON Feed 1.1 feed, newest article first."""

    version: str = Field(description="The format's URL.", examples=[JSON_FEED_VERSION])
    title: str = Field(description="What the feed lists.", examples=["Articles: tag 美国"])
    home_page_url: str = Field(
        description="The JSON list this feed shows (`/articles` or `/search`, same filters).",
        examples=["http://127.0.0.1:8000/articles?tag=%E7%BE%8E%E5%9B%BD"],
    )
    feed_url: str = Field(
        description="This feed's URL.",
        examples=["http://127.0.0.1:8000/feeds/articles.json?tag=%E7%BE%8E%E5%9B%BD"],
    )
    next_url: str | None = Field(
        default=None,
        description="The next (older) page of the feed; absent on the last page.",
        examples=["http://127.0.0.1:8000/feeds/articles.json?tag=%E7%BE%8E%E5%9B%BD&cursor=eyJ2"],
    )
    authors: list[JsonFeedAuthor] = Field(
        description="Who publishes the feed.", examples=[[{"name": "Article archive API"}]]
    )
    items: list[JsonFeedItem] = Field(description="The articles, newest first.")


def _item(entry: FeedEntry) -> JsonFeedItem:
    return JsonFeedItem(
        id=entry.url,
        url=entry.url,
        external_url=entry.source_url,
        title=entry.title,
        content_text=entry.summary or entry.title,
        summary=entry.summary,
        date_published=entry.published,
        date_modified=entry.updated,
        authors=[JsonFeedAuthor(name=name) for name in entry.authors] or None,
        tags=list(entry.tags) or None,
    )


def json_feed_bytes(page: FeedPage) -> bytes:
    """The JSON Feed document of ``page``, UTF-8, newest item first as given."""
    feed = JsonFeed(
        version=JSON_FEED_VERSION,
        title=page.title,
        home_page_url=page.list_url,
        feed_url=page.self_url,
        next_url=page.next_url,
        authors=[JsonFeedAuthor(name=page.publisher)],
        items=[_item(entry) for entry in page.entries],
    )
    # Absent, not null: JSON Feed readers expect optional members to be left out.
    return feed.model_dump_json(exclude_none=True).encode()
