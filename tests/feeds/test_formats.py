"""The two formats, from a hand-made page: what a reader sees, and XML-hostile text."""

import json

import pytest

from app.syndication.atom import atom_bytes
from app.syndication.entries import EMPTY_FEED_UPDATED, FeedEntry, FeedPage, entry_of
from app.syndication.json_feed import json_feed_bytes
from feeds.atom_rules import atom_problems
from feeds.checks import json_feed_problems, read_atom, read_json_feed

BASE = "http://feeds.test/"


def _summary(**changes: object) -> dict[str, object]:
    summary: dict[str, object] = {
        "id": "gnews-7",
        "path": "content/gnews/7.md",
        "collection": "gnews",
        "title": '标题 <b>&</b> "引号"',
        "summary": "摘要",
        "published_at": "2024-03-04T08:37:00Z",
        "authors": ["水星", "路德"],
        "tags": [{"name": "美国", "kind": "entity"}, {"name": "美国", "kind": "meta"}],
        "source": {"name": "GNews", "url": "https://gnews.org/articles/7", "external_id": "7"},
        "content_hash": "0" * 64,
        "updated_at": "2026-01-01T00:00:00.5Z",
    }
    summary.update(changes)
    return summary


def _page(*entries: FeedEntry, next_url: str | None = None) -> FeedPage:
    return FeedPage(
        id=f"{BASE}feeds/articles.atom?tag=%E7%BE%8E%E5%9B%BD",
        title="Articles: tag 美国",
        self_url=f"{BASE}feeds/articles.atom?tag=%E7%BE%8E%E5%9B%BD",
        list_url=f"{BASE}articles?tag=%E7%BE%8E%E5%9B%BD",
        next_url=next_url,
        publisher="Article archive API",
        version="0.1.0",
        entries=entries,
    )


def test_an_entry_reads_as_written_in_both_formats() -> None:
    entry = entry_of(_summary(), base_url=BASE)
    page = _page(entry, next_url=f"{BASE}feeds/articles.atom?cursor=abc")
    atom = read_atom(atom_bytes(page))
    assert atom.feed.title == "Articles: tag 美国"
    assert [link.rel for link in atom.feed.links] == ["self", "alternate", "next"]
    (read,) = atom.entries
    assert read.id == read.link == f"{BASE}articles/gnews-7"
    assert read.title == '标题 <b>&</b> "引号"'  # plain text, escaped in the XML
    assert read.summary == "摘要"
    assert [a.name for a in read.authors] == ["水星", "路德"]
    assert [t.term for t in read.tags] == ["美国"]  # one category per name
    assert {link.rel: link.href for link in read.links}["via"] == "https://gnews.org/articles/7"
    assert read.published == "2024-03-04T08:37:00Z" and read.updated == "2026-01-01T00:00:00.5Z"

    feed = read_json_feed(json_feed_bytes(page))
    assert feed["next_url"] == f"{BASE}feeds/articles.atom?cursor=abc"
    (item,) = feed["items"]
    assert item["id"] == item["url"] == f"{BASE}articles/gnews-7"
    assert item["external_url"] == "https://gnews.org/articles/7"
    assert item["title"] == '标题 <b>&</b> "引号"'
    assert item["content_text"] == item["summary"] == "摘要"
    assert item["authors"] == [{"name": "水星"}, {"name": "路德"}] and item["tags"] == ["美国"]


def test_a_bare_article_still_makes_valid_entries() -> None:
    bare = _summary(
        title=None,
        summary=None,
        published_at=None,
        authors=[],
        tags=[],
        source={"name": None, "url": None, "external_id": None},
    )
    page = _page(entry_of(bare, base_url=BASE))
    (read,) = read_atom(atom_bytes(page)).entries
    assert read.title == "gnews-7" and "summary" not in read and "published" not in read
    (item,) = read_json_feed(json_feed_bytes(page))["items"]
    assert item["content_text"] == "gnews-7"
    assert not {"summary", "external_url", "date_published", "authors", "tags"} & set(item)


def test_characters_xml_cannot_hold_are_dropped_not_fatal() -> None:
    hostile = _summary(title="控制\x01字符\x0b", summary="a\x00b\ufffe", authors=["\x02"])
    page = _page(entry_of(hostile, base_url=BASE))
    (read,) = read_atom(atom_bytes(page)).entries
    assert read.title == "控制字符" and read.summary == "ab" and "authors" not in read
    assert json.loads(json_feed_bytes(page))["items"][0]["title"] == "控制字符"


def test_a_search_hit_without_summary_shows_its_body_snippet() -> None:
    hit = _summary(
        summary=None,
        snippets=[
            {"field": "title", "text": "标题", "highlights": []},
            {"field": "body", "text": "……郭文贵先生……", "highlights": [[2, 5]]},
        ],
    )
    entry = entry_of(hit, base_url=BASE)
    assert entry.summary == "……郭文贵先生……"


def test_feed_updated_is_the_newest_entry_compared_as_times() -> None:
    older = entry_of(_summary(id="a", updated_at="2026-01-01T00:00:03Z"), base_url=BASE)
    newer = entry_of(_summary(id="b", updated_at="2026-01-01T00:00:03.5Z"), base_url=BASE)
    assert _page(older, newer).updated == "2026-01-01T00:00:03.5Z"
    assert _page(newer, older).updated == "2026-01-01T00:00:03.5Z"
    empty = _page()
    assert empty.updated == EMPTY_FEED_UPDATED
    assert read_atom(atom_bytes(empty)).entries == []
    assert read_json_feed(json_feed_bytes(empty))["items"] == []


def test_the_checks_catch_a_broken_feed() -> None:
    broken_atom = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>'
        b"<updated>yesterday</updated><entry><id>relative</id><title>x</title>"
        b"<updated>2024-01-01T00:00:00Z</updated></entry></feed>"
    )
    problems = atom_problems(broken_atom)
    assert any("0 id elements" in p for p in problems)
    assert any("not an RFC 3339" in p for p in problems)
    assert any("not an absolute IRI" in p for p in problems)
    assert any("neither content nor an alternate" in p for p in problems)
    assert any("no author" in p for p in problems)
    broken_json = json.dumps(
        {"version": "https://jsonfeed.org/version/1", "items": [{"id": "x", "url": "/a"}]}
    )
    problems = json_feed_problems(broken_json.encode())
    assert len(problems) >= 3, problems  # version, no title, no content


@pytest.mark.parametrize("render", [atom_bytes, json_feed_bytes])
def test_both_formats_are_utf8_with_raw_chinese(render: object) -> None:
    body = render(_page(entry_of(_summary(), base_url=BASE)))  # type: ignore[operator]
    assert "美国".encode() in body
