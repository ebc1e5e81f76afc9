"""The reading page in headless Chromium against a real ``corpus serve``, on both databases.

The page is compared with what the public API answers for the same question, so a test sees
the page list, search, filter and read the very articles the API serves.
"""

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from conftest import _reset_postgres

from reading.cdp import Page, require_chromium
from reading.demo import (
    HOSTILE_ID,
    HOSTILE_TITLE,
    SIMPLIFIED,
    TRADITIONAL,
    build_corpus,
    serve_corpus,
)

# One worker runs them all, so each database's server starts once (`--dist loadgroup`).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("reading-browser")]

CARDS = "[...document.querySelectorAll('#results .card')]"
CARD_IDS = f"{CARDS}.map(c => c.dataset.id)"
MARKS = "[...document.querySelectorAll('#results mark')].map(m => m.textContent)"
READING = "!document.getElementById('reading').hidden"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def base(
    request: pytest.FixtureRequest, sample_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The base URL of ``corpus serve`` over the reading corpus, once per database.

    One server for the module (the page only reads): a ``corpus serve`` takes seconds to start.
    The databases are conftest's, emptied the same way ``database_url`` empties them.
    """
    require_chromium()
    folder = tmp_path_factory.mktemp("reading")
    if request.param == "sqlite":
        shutil.copyfile(request.getfixturevalue("sqlite_template"), folder / "corpus.db")
        database_url = f"sqlite:///{folder / 'corpus.db'}"
    else:
        database_url = request.getfixturevalue("pg_database")
        _reset_postgres(database_url)
    corpus = build_corpus(folder, sample_dir, hostile=True)
    server = serve_corpus(database_url, corpus, folder / "serve.log")
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Page]:
    """A Chromium tab that can reach nothing but loopback."""
    require_chromium()
    tab = Page(tmp_path / "profile")
    try:
        yield tab
    finally:
        tab.close()


def api(base: str, path: str, **params: Any) -> Any:
    """What the public API answers, to hold the page against."""
    response = httpx.get(f"{base}{path}", params=params, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def highlighted(hit: dict[str, Any]) -> list[str]:
    """The text of every highlight of a search hit (offsets in code points, as Python counts)."""
    return [
        snippet["text"][start:end]
        for snippet in hit["snippets"]
        for start, end in sorted(snippet["highlights"])
    ]


def query_of(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.evaluate("location.href")).query)


def wait_for_cards(page: Page, ids: list[str], what: str) -> None:
    page.wait(f"JSON.stringify({CARD_IDS}) === JSON.stringify({json.dumps(ids)})", what)


def assert_clean(page: Page, base: str) -> None:
    """No script error, no CSP refusal, and no request left the service."""
    assert page.errors() == []
    assert all(url.startswith(f"{base}/") for url in page.requested_urls())


def test_search_highlights_simplified_opens_an_article_and_goes_back(
    base: str, page: Page
) -> None:
    page.goto(f"{base}/")
    wait_for_cards(page, [a["id"] for a in api(base, "/articles")["items"]], "the newest articles")

    page.type("#q", TRADITIONAL)
    page.press_enter()
    hits = api(base, "/search", q=TRADITIONAL)["items"]
    assert len(hits) >= 5
    wait_for_cards(page, [hit["id"] for hit in hits], "the search hits")
    assert query_of(page)["q"] == [TRADITIONAL]
    marks = page.evaluate(MARKS)
    assert marks == [text for hit in hits for text in highlighted(hit)]
    assert set(marks) <= {SIMPLIFIED, TRADITIONAL}
    assert marks.count(SIMPLIFIED) >= 5  # the Simplified matches, highlighted
    total = api(base, "/search", q=TRADITIONAL)["total"]
    assert str(total) in page.evaluate("document.getElementById('status').textContent")

    first = hits[0]
    page.click("#results .card .title")
    page.wait(READING, "the article to open")
    article = api(base, f"/articles/{first['id']}")
    page.wait(
        f"document.getElementById('article-title').textContent === {json.dumps(article['title'])}",
        "the article's title",
    )
    assert query_of(page) == {"article": [first["id"]]}
    paragraphs = page.evaluate(
        "[...document.querySelectorAll('#article-body p')].map(p => p.textContent)"
    )
    lines = [line for section in article["sections"] for line in section["text"].split("\n")]
    expected = [line for line in lines if line.strip()]
    assert paragraphs == expected

    page.back()
    wait_for_cards(page, [hit["id"] for hit in hits], "the search hits again")
    assert page.evaluate(f"{READING}") is False
    assert page.evaluate("document.getElementById('q').value") == TRADITIONAL
    assert page.evaluate(MARKS) == marks

    page.back()
    wait_for_cards(page, [a["id"] for a in api(base, "/articles")["items"]], "the first list again")
    assert page.evaluate("location.search") == ""

    # The page's own back link returns to the list it came from, like the browser's button.
    page.click("#results .card .title")
    page.wait(READING, "an article to open")
    page.click("#back")
    page.wait(f"!{READING}", "the list after the back link")
    assert page.evaluate("location.search") == ""
    assert_clean(page, base)


def test_tag_and_collection_filters_list_what_the_api_lists(base: str, page: Page) -> None:
    page.goto(f"{base}/")
    # The tag list sits below the results: once they are drawn it stays where it is.
    wait_for_cards(page, [a["id"] for a in api(base, "/articles")["items"]], "the newest articles")
    tag = api(base, "/tags", limit=1)["items"][0]["name"]  # the most used tag
    page.click_node(
        "[...document.querySelectorAll('#tag-list a')]"
        f".find(a => a.firstChild.textContent === {json.dumps(tag)})",
        f"the tag {tag} in the tag list",
    )
    wait_for_cards(
        page, [a["id"] for a in api(base, "/articles", tag=tag)["items"]], "the tag's articles"
    )
    assert query_of(page) == {"tag": [tag]}
    assert tag in page.evaluate("document.getElementById('filters').textContent")

    page.evaluate(
        "(() => { const s = document.getElementById('collection'); s.value = 'gnews';"
        " s.dispatchEvent(new Event('change', {bubbles: true})); })()"
    )
    both = api(base, "/articles", tag=tag, collection="gnews")["items"]
    wait_for_cards(page, [a["id"] for a in both], "the tag's GNews articles")
    assert query_of(page) == {"tag": [tag], "collection": ["gnews"]}

    page.click("#filters .clear")  # drop the tag, keep the collection
    gnews = api(base, "/articles", collection="gnews")["items"]
    wait_for_cards(page, [a["id"] for a in gnews], "every GNews article")
    assert gnews != both

    page.type("#q", SIMPLIFIED)
    page.press_enter()
    hits = api(base, "/search", q=SIMPLIFIED, collection="gnews")["items"]
    wait_for_cards(page, [hit["id"] for hit in hits], "the search within GNews")
    assert query_of(page) == {"q": [SIMPLIFIED], "collection": ["gnews"]}
    assert_clean(page, base)


def test_both_languages_and_the_choice_is_kept(base: str, page: Page) -> None:
    page.goto(f"{base}/")
    page.wait("!!document.querySelector('#results .card')", "the list")
    assert page.evaluate("document.documentElement.lang") == "en"  # headless Chromium: en-US
    assert page.evaluate("document.querySelector('#search button').textContent") == "Search"
    page.click("#lang")
    page.wait("document.documentElement.lang === 'zh'", "the Chinese UI")
    assert page.evaluate("document.querySelector('#search button').textContent") == "搜索"
    assert page.evaluate("document.getElementById('lang').textContent") == "English"
    options = page.evaluate("[...document.getElementById('collection').options].map(o => o.text)")
    assert "GNews 新闻" in options and "全部合集" in options
    page.goto(f"{base}/?q={SIMPLIFIED}")
    page.wait("!!document.querySelector('#results mark')", "the hits")
    assert page.evaluate("document.getElementById('status').textContent").startswith("共 ")
    assert_clean(page, base)


def test_article_text_is_shown_as_text_never_run(base: str, page: Page) -> None:
    page.goto(f"{base}/?q={SIMPLIFIED}")
    page.wait(f"!!document.querySelector('[data-id=\"{HOSTILE_ID}\"] mark')", "the hostile hit")
    hit = page.evaluate(
        f"document.querySelector('[data-id=\"{HOSTILE_ID}\"] .title').textContent"
    )
    assert hit == HOSTILE_TITLE
    # After three characters outside the BMP, the highlight still covers exactly the match.
    marks = page.evaluate(
        f"[...document.querySelectorAll('[data-id=\"{HOSTILE_ID}\"] mark')].map(m => m.textContent)"
    )
    assert marks and set(marks) == {SIMPLIFIED}

    page.click(f"[data-id=\"{HOSTILE_ID}\"] .title")
    page.wait(READING, "the hostile article")
    page.wait(
        f"document.getElementById('article-title').textContent === {json.dumps(HOSTILE_TITLE)}",
        "its title, as text",
    )
    assert page.evaluate("document.querySelectorAll('main img, main script, main b').length") == 0
    assert page.evaluate("typeof window.pwned") == "undefined"
    assert_clean(page, base)


def test_bad_input_and_unknown_articles_get_a_clear_message(base: str, page: Page) -> None:
    problem = httpx.get(f"{base}/search", params={"q": "！？"}).json()
    assert problem["status"] == 422
    page.goto(f"{base}/?q=！？")
    page.wait(
        f"document.getElementById('status').textContent.includes({json.dumps(problem['detail'])})",
        "the API's reason for the refusal",
    )
    assert page.evaluate(CARDS + ".length") == 0

    missing = httpx.get(f"{base}/articles/no-such-article").json()
    page.goto(f"{base}/?article=no-such-article")
    page.wait(
        f"document.getElementById('article-meta').textContent.includes({json.dumps(missing['detail'])})",
        "the API's 404 detail",
    )


def test_usable_on_a_phone(base: str, page: Page) -> None:
    page.resize(390, 844, mobile=True, scale=2)
    page.goto(f"{base}/?q={SIMPLIFIED}")
    page.wait("!!document.querySelector('#results mark')", "the hits on a phone")
    fits = "document.documentElement.scrollWidth <= window.innerWidth"
    assert page.evaluate(fits)
    for selector in ("#q", "#collection", "#search button", "#lang"):
        box = page.evaluate(
            f"(() => {{ const r = document.querySelector('{selector}').getBoundingClientRect();"
            " return [r.left, r.right, r.height]; })()"
        )
        assert box[0] >= 0 and box[1] <= 390, (selector, box)
        assert box[2] >= 32, (selector, box)  # a finger can hit it
    page.click("#results .card .title")
    page.wait(READING + " && !!document.getElementById('article-title').textContent",
        "an article on a phone",)
    assert page.evaluate(fits)
    assert_clean(page, base)


def test_more_pages_and_the_back_button_returns_to_the_same_place(base: str, page: Page) -> None:
    page.resize(800, 600)
    page.goto(f"{base}/")
    first = api(base, "/articles")
    assert first["next"], "the reading corpus must hold more than one page"
    wait_for_cards(page, [a["id"] for a in first["items"]], "the first page")
    page.click("#more")
    second = api(base, "/articles", cursor=first["next"])["items"]
    wait_for_cards(page, [a["id"] for a in first["items"] + second], "both pages")
    assert page.evaluate("document.getElementById('more').hidden") is True

    page.evaluate("window.scrollTo(0, 900)")
    visible = page.evaluate(
        f"{CARDS}.find(c => c.getBoundingClientRect().top > 50).dataset.id"
    )
    page.click(f"[data-id='{visible}'] .title")
    page.wait(READING, "the article")
    assert page.evaluate("window.scrollY") == 0  # an article opens at its top
    page.back()
    page.wait(f"!{READING} && window.scrollY === 900", "the list at the same place")
    assert_clean(page, base)
