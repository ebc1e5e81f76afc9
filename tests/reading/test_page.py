"""The reading page as HTTP serves it: strict CSP, local assets only, small, out of the spec."""

import re
from html.parser import HTMLParser

from fastapi.testclient import TestClient

from app.identity import COLLECTIONS, collection_of
from app.ingest import ingest
from app.reader import asset_url
from reading.demo import EXAMPLES

# What a phone downloads before it shows the first list (uncompressed): the page, its script,
# its stylesheet and its icon. A budget, so the page stays "small" as it grows.
PAGE_BUDGET_BYTES = 40 * 1024
# A URL of another host (//cdn.example.org/x, https://fonts.example.com"), not a regex literal.
OTHER_HOST = re.compile(r"""(?:https?:)?//(?:[a-z0-9-]+\.)+[a-z]{2,}(?:[:/"'\s)]|$)""", re.I)


class Assets(HTMLParser):
    """The URLs the page loads (script src, link href) and whether any script is inline."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_scripts = 0
        self.inline_styles = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script":
            if found.get("src"):
                self.urls.append(str(found["src"]))
            else:
                self.inline_scripts += 1
        if tag == "link" and found.get("href"):
            self.urls.append(str(found["href"]))
        if tag == "style" or "style" in found or any(name.startswith("on") for name in found):
            self.inline_styles += 1


def page_assets(client: TestClient) -> Assets:
    assets = Assets()
    assets.feed(client.get("/").text)
    return assets


def test_the_page_is_served_with_a_strict_policy(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    policy = r.headers["content-security-policy"]
    assert policy.startswith("default-src 'self';")
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy and "*" not in policy
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert r.headers["x-content-type-options"] == "nosniff"
    # Under that policy an inline script or style would be refused: there must be none.
    assets = page_assets(client)
    assert assets.inline_scripts == 0 and assets.inline_styles == 0
    again = client.get("/", headers={"If-None-Match": r.headers["etag"]})
    assert again.status_code == 304


def test_every_asset_is_local_and_the_page_is_small(client: TestClient) -> None:
    urls = page_assets(client).urls
    assert sorted(url.split("?")[0] for url in urls) == [
        "/reader-assets/icon.svg",
        "/reader-assets/reader.css",
        "/reader-assets/reader.js",
    ]
    total = len(client.get("/").content)
    types = {"css": "text/css", "js": "text/javascript", "svg": "image/svg+xml"}
    for url in urls:
        r = client.get(url)
        assert r.status_code == 200, url
        assert r.headers["content-type"].startswith(types[url.split("?")[0].rsplit(".", 1)[1]])
        # No other host is named: no CDN, no web font, no analytics.
        text = r.text.replace("http://www.w3.org/2000/svg", "")  # a namespace, never fetched
        assert not OTHER_HOST.search(text), url
        total += len(r.content)
    assert total < PAGE_BUDGET_BYTES, total


def test_asset_urls_name_their_content(client: TestClient) -> None:
    """A new release's script is never taken from a cache that holds the old one."""
    url = asset_url("reader.js")
    assert url in client.get("/").text
    digest = url.split("?v=")[1]
    assert len(digest) == 12 and client.get(url).content  # served whatever the query


def test_the_page_is_not_in_the_spec_and_the_docs_still_work(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/" not in spec["paths"]
    assert not any(path.startswith("/reader-assets") for path in spec["paths"])
    assert client.get("/docs").status_code == 200
    assert client.get("/articles").status_code == 200


def test_the_collection_menu_offers_every_collection_of_the_data(client: TestClient) -> None:
    report = ingest(client.app.state.engine, EXAMPLES)  # type: ignore[attr-defined]
    assert not report.failed
    offered = re.findall(r'<option value="([^"]+)">', client.get("/").text)
    assert offered == list(COLLECTIONS)
    listed = {a["collection"] for a in client.get("/articles?limit=200").json()["items"]}
    assert listed and listed <= set(offered)
    # And collection_of can answer nothing the menu lacks.
    paths = ["content/gnews/1.md", "content/2019/01/x.md", "content/about.md", "x/y/z.md"]
    assert {collection_of(path) for path in paths} <= set(COLLECTIONS)


def test_unknown_paths_are_still_problems(client: TestClient) -> None:
    for url in ("/reader-assets/nope.js", "/reader-assets/../app/config.py", "/index.html"):
        r = client.get(url)
        assert r.status_code == 404, url
        assert r.headers["content-type"] == "application/problem+json", url
