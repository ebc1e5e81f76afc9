"""The feed routes on both databases: the same articles as the JSON lists, newest first, as
valid Atom and JSON Feed, paged, cached; bad parameters are problem+json."""

from typing import Any
from urllib.parse import urlsplit

import pytest
from api.conftest import Archive
from api.factory import ArticleSpec, add_articles, when
from fastapi.testclient import TestClient
from search.conftest import Doc

from feeds.checks import read_atom, read_json_feed

BASE = "http://testserver/"


def _local(url: str) -> str:
    """The path and query of one of the service's own absolute URLs."""
    assert url.startswith(BASE), url
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _atom_ids(client: TestClient, url: str, params: Any = None) -> tuple[list[str], Any]:
    r = client.get(url, params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/atom+xml"
    feed = read_atom(r.content)
    return [e.id.removeprefix(f"{BASE}articles/") for e in feed.entries], feed


def _json_ids(client: TestClient, url: str, params: Any = None) -> tuple[list[str], Any]:
    r = client.get(url, params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/feed+json"
    feed = read_json_feed(r.content)
    return [i["id"].removeprefix(f"{BASE}articles/") for i in feed["items"]], feed


def _list_ids(client: TestClient, url: str, params: Any = None) -> list[str]:
    r = client.get(url, params=params)
    assert r.status_code == 200, r.text
    return [item["id"] for item in r.json()["items"]]


FILTERS: list[dict[str, Any]] = [
    {},
    {"tag": "美国"},
    {"tag": "新闻"},
    {"tag": "TikTok"},
    {"tag": ["美国", "TikTok"]},
    {"collection": "gnews"},
    {"collection": "transcript"},
    {"collection": "article"},
    {"collection": "gnews", "tag": "美国"},
    {"author": "水星"},
    {"author": "路德", "collection": "transcript"},
    {"published_after": "2024-03-05T00:00:00Z"},
    {"published_before": "2024-03-05T00:00:00Z"},
    {"published_after": "2024-03-03", "published_before": "2024-03-10", "tag": "美国"},
    {"include_empty": "true"},
    {"include_empty": "true", "tag": "美国"},
    {"tag": "没有这个标签"},
    {"limit": 3},
]


@pytest.mark.parametrize("params", FILTERS, ids=[str(p) for p in FILTERS])
def test_article_feeds_list_what_articles_lists(
    client: TestClient, archive: Archive, params: dict[str, Any]
) -> None:
    expected = _list_ids(client, "/articles", params)
    atom_ids, atom = _atom_ids(client, "/feeds/articles.atom", params)
    json_ids, feed = _json_ids(client, "/feeds/articles.json", params)
    assert atom_ids == json_ids == expected
    assert _local(atom.feed.links[1].href) == _local(feed["home_page_url"])
    assert (
        client.get(_local(feed["home_page_url"])).json()["items"][0:1]
        == (client.get("/articles", params=params).json()["items"][0:1])
    )


def test_entries_link_to_the_article_and_its_source(client: TestClient, archive: Archive) -> None:
    _ids, feed = _atom_ids(client, "/feeds/articles.atom", {"tag": "美国", "limit": 5})
    for entry in feed.entries:
        links = {link.rel: link.href for link in entry.links}
        article = client.get(_local(links["alternate"]))
        assert article.status_code == 200
        body = article.json()
        assert links["via"] == body["source"]["url"]
        assert entry.title == body["title"]
        assert entry.published == body["published_at"].replace("+00:00", "Z")
        assert [a.name for a in entry.get("authors", [])] == body["authors"]
        assert {t.term for t in entry.tags} == {t["name"] for t in body["tags"]}


def test_newest_first_and_the_next_links_walk_the_whole_filter(
    client: TestClient, archive: Archive
) -> None:
    expected = archive.expected(keep=lambda s: "美国" in {name for name, _kind in s.tags})
    for kind, read in (("atom", _atom_ids), ("json", _json_ids)):
        seen: list[str] = []
        url: str | None = f"/feeds/articles.{kind}?tag=%E7%BE%8E%E5%9B%BD&limit=4"
        feed_ids = set()
        while url is not None:
            ids, feed = read(client, url)
            seen += ids
            if kind == "atom":
                feed_ids.add(feed.feed.id)
                nxt = [link.href for link in feed.feed.links if link.rel == "next"]
                url = _local(nxt[0]) if nxt else None
            else:
                url = _local(feed["next_url"]) if "next_url" in feed else None
        assert seen == expected, kind
        if kind == "atom":
            assert len(feed_ids) == 1  # every page is the same feed (RFC 5005)


def test_a_list_cursor_pages_the_feed_of_the_same_filter(
    client: TestClient, archive: Archive
) -> None:
    first = client.get("/articles", params={"collection": "gnews", "limit": 5}).json()
    second = _list_ids(
        client, "/articles", {"collection": "gnews", "limit": 5, "cursor": first["next"]}
    )
    ids, _feed = _atom_ids(
        client, "/feeds/articles.atom", {"collection": "gnews", "limit": 5, "cursor": first["next"]}
    )
    assert ids == second


def test_conditional_get_and_a_new_article(client: TestClient, archive: Archive) -> None:
    for url in ("/feeds/articles.atom?tag=TikTok", "/feeds/articles.json?tag=TikTok"):
        first = client.get(url)
        etag = first.headers["etag"]
        assert first.headers["cache-control"].startswith("public, max-age=")
        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == etag
    before = {
        url: client.get(url).headers["etag"]
        for url in ("/feeds/articles.atom?tag=TikTok", "/feeds/articles.json?tag=TikTok")
    }
    (new,) = add_articles(
        client.app.state.engine,  # type: ignore[attr-defined]
        [ArticleSpec(id="gnews-9999", published_at=when(28), tags=[("TikTok", "entity")])],
    )
    for url, etag in before.items():
        fresh = client.get(url, headers={"If-None-Match": etag})
        assert fresh.status_code == 200 and fresh.headers["etag"] != etag
    ids, _feed = _atom_ids(client, "/feeds/articles.atom?tag=TikTok")
    assert ids[0] == new


@pytest.mark.parametrize(
    ("url", "detail"),
    [
        ("/feeds/articles.atom?limit=0", "limit"),
        ("/feeds/articles.json?limit=201", "limit"),
        ("/feeds/articles.atom?cursor=garbage", "cursor"),
        ("/feeds/articles.atom?published_after=yesterday", "published_after"),
        ("/feeds/search.atom", "q"),
        ("/feeds/search.json?q=", "q"),
        ("/feeds/search.json?q=%E4%B8%AD&cursor=garbage", "cursor"),
    ],
)
def test_bad_parameters_are_problem_json(
    client: TestClient, archive: Archive, url: str, detail: str
) -> None:
    r = client.get(url)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["status"] == 422 and detail in r.json()["detail"]


def test_an_articles_cursor_is_refused_by_the_search_feed(
    client: TestClient, archive: Archive
) -> None:
    cursor = client.get("/articles", params={"limit": 2}).json()["next"]
    r = client.get("/feeds/search.atom", params={"q": "正文", "cursor": cursor})
    assert r.status_code == 422


def test_search_feeds_list_the_newest_matches(client: TestClient, index: Any) -> None:
    ids = index(
        [
            Doc("郭文贵谈话", "正文一", published_at=when(1), tags=[("美国", "entity")]),
            Doc("其他", "郭文貴在节目中说", published_at=when(9), collection="transcript"),
            Doc("无关", "别的事", published_at=when(5)),
            Doc("没有日期的郭文贵", "正文", tags=[("美国", "entity")]),
            Doc("郭文贵新闻", "GTV 节目", published_at=when(7), tags=[("美国", "meta")]),
        ]
    )
    for params in ({"q": "郭文貴"}, {"q": "郭文贵", "tag": "美国"}, {"q": "郭文贵", "limit": 1}):
        expected = _list_ids(client, "/search", {**params, "sort": "-published_at"})
        atom_ids, atom = _atom_ids(client, "/feeds/search.atom", params)
        json_ids, feed = _json_ids(client, "/feeds/search.json", params)
        assert atom_ids == json_ids == expected
        assert atom.feed.title.startswith(f"Search: {params['q']}")
        assert _local(feed["home_page_url"]).startswith("/search?q=")
        assert _list_ids(client, _local(feed["home_page_url"])) == expected
    all_ids, atom = _atom_ids(client, "/feeds/search.atom", {"q": "郭文貴"})
    assert all_ids == [ids[1], ids[4], ids[0], ids[3]]  # newest first; undated last
    # The body match has no index summary: its snippet says why it matched.
    assert "郭文貴在节目中说" in atom.entries[0].summary
    two, _ = _json_ids(client, "/feeds/search.json", {"q": '郭文贵 "GTV"'})
    assert two == [ids[4]]
