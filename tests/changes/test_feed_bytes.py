"""/changes pages and /export read steps are bounded in bytes as well as in items."""

import json
from collections.abc import Iterator

import pytest
from api.factory import ArticleSpec
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.config import Settings
from app.feed.reads import runs_within
from app.main import create_app
from changes.feedkit import publish, withdraw

MAX_BYTES = 40_000


@pytest.fixture
def bounded_client(settings: Settings) -> Iterator[TestClient]:
    """A client on an app whose feed pages hold at most ``MAX_BYTES`` of articles."""
    app = create_app(settings.model_copy(update={"feed_page_max_bytes": MAX_BYTES}))
    with TestClient(app) as c:
        yield c
    app.state.engine.dispose()


def _walk(client: TestClient, **params: object) -> list[dict[str, object]]:
    """Every page of the feed from 0, following last_seq until an empty page."""
    pages, since = [], 0
    while True:
        page = client.get("/changes", params={"since": since, **params}).json()
        if not page["results"]:
            assert page["last_seq"] == since
            return pages
        pages.append(page)
        since = page["last_seq"]


def _articles(page: dict[str, object]) -> list[bytes]:
    results = page["results"]
    assert isinstance(results, list)
    return [
        json.dumps(r["article"], ensure_ascii=False).encode() for r in results if "article" in r
    ]


def _article_bytes(page: dict[str, object]) -> int:
    return sum(len(a) for a in _articles(page))


def _archive(engine: Engine) -> list[str]:
    """30 articles of ~10 KB each and one of ~120 KB, three of them deleted since."""
    ids = publish(engine, *[ArticleSpec(body="长文。" * (600 + n)) for n in range(30)])
    ids += publish(engine, ArticleSpec(body="很长的文章。" * 7000))
    for article_id in ids[3:9:2]:
        withdraw(engine, article_id)
    return ids


def test_a_page_with_docs_ends_before_its_articles_pass_the_bound(
    bounded_client: TestClient, engine: Engine
) -> None:
    _archive(engine)
    plain = bounded_client.get("/changes", params={"limit": 10000}).json()
    pages = _walk(bounded_client, limit=10000, include_docs="true")
    assert len(pages) > 3
    for page in pages:
        # Over the bound only as one article alone (the ~120 KB one).
        assert _article_bytes(page) <= MAX_BYTES or len(_articles(page)) == 1
        assert page["last_seq"] == page["results"][-1]["seq"] or page is pages[-1]  # type: ignore[index]
    # Walked page by page, the feed is the same as in one answer without documents.
    walked = [(r["seq"], r["id"], r["op"]) for p in pages for r in p["results"]]  # type: ignore[attr-defined]
    assert walked == [(r["seq"], r["id"], r["op"]) for r in plain["results"]]
    assert pages[-1]["last_seq"] == plain["last_seq"]
    huge = [p for p in pages if _article_bytes(p) > MAX_BYTES]
    assert len(huge) == 1 and len(_articles(huge[0])) == 1


def test_searched_text_counts_against_the_bound(bounded_client: TestClient, engine: Engine) -> None:
    _archive(engine)
    docs = _walk(bounded_client, limit=10000, include_docs="true")
    texts = _walk(bounded_client, limit=10000, include_docs="true", include_text="true")
    assert len(texts) > len(docs)


def test_without_docs_only_limit_bounds_a_page(bounded_client: TestClient, engine: Engine) -> None:
    _archive(engine)
    page = bounded_client.get("/changes", params={"limit": 10000}).json()
    assert len(page["results"]) == 31


def test_export_in_bounded_steps_sends_what_one_step_sends(
    bounded_client: TestClient, client: TestClient, engine: Engine
) -> None:
    ids = _archive(engine)
    small_steps = bounded_client.get("/export", params={"include_text": "true"}).text
    assert small_steps == client.get("/export", params={"include_text": "true"}).text
    assert len(small_steps.splitlines()) == len(ids) - 3 + 1


def test_runs_keep_order_and_bound_and_put_an_oversized_article_alone() -> None:
    sizes = {"a": 4, "b": 4, "c": 30, "d": 1, "e": 9, "f": 1}
    runs = list(runs_within(list("abcdef"), sizes, 10))
    assert runs == [["a", "b"], ["c"], ["d", "e"], ["f"]]
    assert list(runs_within([], sizes, 10)) == []
