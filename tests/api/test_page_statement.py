"""A page of articles joins its stored summaries in its own statement where an index gives
the order, and reads them by id where the matches are sorted first: the same bytes."""

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from api.conftest import Archive
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
