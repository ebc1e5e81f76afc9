"""A page of articles joins its stored summaries in its own statement where an index gives
the order, and reads them by id where the matches are sorted first: the same bytes. A list
that sorts its matches first reads in a worker thread, not on the event loop."""

import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.conftest import Archive
from app.api.counting import FacetRequest, ListCounting
from app.api.listing import ArticlePaging, sorts_first
from app.db import read_only
from app.queries import articles as queries
from app.queries.filters import ArticleFilter, article_keyset

FILTERS = [
    ArticleFilter(),
    ArticleFilter(include_empty=True),
    ArticleFilter(collection="gnews"),
    ArticleFilter(published_after=datetime(2024, 3, 5, tzinfo=UTC)),
    ArticleFilter(tags=("美国",)),
    ArticleFilter(author="路德", collection="gnews"),
]


@pytest.mark.parametrize("sort", ["-published_at", "published_at", "-updated_at", "updated_at"])
def test_every_page_is_the_stored_summaries_of_its_articles(
    client: TestClient, archive: Archive, sort: str
) -> None:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    keyset = article_keyset(sort)
    for article_filter in FILTERS:
        with read_only(engine) as session:
            after, pages = None, []
            while True:
                page = queries.list_articles(
                    session, article_filter=article_filter, keyset=keyset, after=after, limit=4
                )
                pages.append(page.items)
                if page.next_key is None:
                    break
                after = keyset.parse_key(page.next_key)
            items = [item for items in pages for item in items]
            ids = [item.split(b'"id":"', 1)[1].split(b'"', 1)[0].decode() for item in items]
            stored = queries.summaries(session, ids)
        assert items == [stored[i] for i in ids], article_filter
        assert len(ids) == len(set(ids)) and all(len(p) == 4 for p in pages[:-1])


def test_the_summaries_are_joined_where_an_index_gives_the_order() -> None:
    assert ArticleFilter().indexed_order("-published_at")
    assert ArticleFilter(collection="gnews").indexed_order("published_at")
    assert ArticleFilter(published_before=datetime(2024, 1, 1)).indexed_order("-published_at")
    assert ArticleFilter(include_empty=True).indexed_order("updated_at")
    assert not ArticleFilter(collection="gnews").indexed_order("-updated_at")
    assert not ArticleFilter(published_after=datetime(2024, 1, 1)).indexed_order("updated_at")
    assert not ArticleFilter(tags=("美国",)).indexed_order("-published_at")
    assert not ArticleFilter(author="水星").indexed_order("-published_at")


def test_a_list_that_sorts_its_matches_reads_in_a_thread_on_postgresql_only(
    client: TestClient, archive: Archive, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: dict[str, threading.Thread] = {}
    real = queries.list_articles

    def recorded(session: Session, **kwargs: Any) -> queries.SummaryPage:
        threads[kwargs["article_filter"].tags[0] if kwargs["article_filter"].tags else ""] = (
            threading.current_thread()
        )
        return real(session, **kwargs)

    monkeypatch.setattr(queries, "list_articles", recorded)
    loop_thread = client.portal.call(threading.current_thread)  # type: ignore[union-attr]
    assert client.get("/articles").status_code == 200
    assert client.get("/tags/美国/articles").status_code == 200
    dialect = client.app.state.engine.dialect.name  # type: ignore[attr-defined]
    assert (threads[""] is loop_thread) == (dialect == "sqlite")  # PostgreSQL: always a thread
    # Sorted first (a tag's page): on SQLite inline too, as searches (``deps.read`` says why:
    # in a thread each stepped row waited for the busy loop to hand the GIL back).
    assert (threads["美国"] is loop_thread) == (dialect == "sqlite")


def test_a_read_sorts_first_for_a_name_an_unindexed_order_or_counts() -> None:
    brief = ListCounting(total=False, facets=FacetRequest(facets=(), size=10))
    paging = ArticlePaging(limit=20, cursor=None, sort="-published_at", fields=None)
    assert not sorts_first(ArticleFilter(), paging, brief)
    assert sorts_first(ArticleFilter(tags=("美国",)), paging, brief)
    assert sorts_first(ArticleFilter(), paging, ListCounting(total=True, facets=brief.facets))
    by_update = ArticlePaging(limit=20, cursor=None, sort="updated_at", fields=None)
    assert sorts_first(ArticleFilter(collection="gnews"), by_update, brief)
