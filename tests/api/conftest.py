"""A small designed archive for the read API tests, and a plain-Python oracle of its lists."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.factory import ArticleSpec, add_articles, when
from app.config import Settings
from app.main import create_app


@dataclass
class Archive:
    """The articles written for a test, by id, and helpers to compute expected lists."""

    specs: dict[str, ArticleSpec]

    def expected(
        self,
        sort: str = "-published_at",
        keep: Callable[[ArticleSpec], bool] = lambda s: True,
        include_empty: bool = False,
    ) -> list[str]:
        """Ids in the order the API must list them: NULL times count as the oldest."""
        chosen = [i for i, s in self.specs.items() if keep(s) and (include_empty or not s.is_empty)]
        field = sort.lstrip("-")

        def key(article_id: str) -> tuple[Any, ...]:
            value = getattr(self.specs[article_id], field)
            return (value is not None, value or datetime.min.replace(tzinfo=UTC), article_id)

        return sorted(chosen, key=key, reverse=sort.startswith("-"))


def designed_specs() -> list[ArticleSpec]:
    """Thirty articles: ties in time, undated ones, two collections, tags of both kinds, stubs."""
    specs = []
    for n in range(24):
        specs.append(
            ArticleSpec(
                id=f"gnews-{1000 + n}" if n % 3 else f"transcript-2024-{n:02d}",
                collection="gnews" if n % 3 else "transcript",
                # every fourth shares a time with its neighbour, so the id must break ties
                published_at=when(1 + n // 2, 8 if n % 4 else 9),
                updated_at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=(n * 7) % 24),
                authors=["水星"] if n % 2 else ["路德", "水星"] if n % 5 == 0 else ["路德"],
                tags=[("美国", "entity")] * (n % 2)
                + [("新闻", "meta")] * (n % 3 == 1)
                + [("TikTok", "entity")] * (n % 4 == 3),
            )
        )
    specs += [
        ArticleSpec(
            id="gnews-0001", published_at=None, authors=["水星"], tags=[("美国", "entity")]
        ),
        ArticleSpec(id="gnews-0002", published_at=None, tags=[("美国", "meta")]),
        ArticleSpec(id="article-x", collection="article", published_at=None),
        ArticleSpec(
            id="gnews-0003", published_at=when(20), body="x" * 3000, tags=[("美国", "entity")]
        ),
        ArticleSpec(
            id="gnews-stub-1", published_at=when(21), is_empty=True, tags=[("美国", "entity")]
        ),
        ArticleSpec(id="gnews-stub-2", published_at=None, is_empty=True),
    ]
    return specs


@pytest.fixture
def archive(client: TestClient) -> Archive:
    """The designed articles, stored in the test's database (through the app's own engine)."""
    specs = designed_specs()
    ids = add_articles(client.app.state.engine, specs)  # type: ignore[attr-defined]
    return Archive(specs=dict(zip(ids, specs, strict=True)))


def walk(client: TestClient, url: str, params: dict[str, Any] | None = None) -> list[str]:
    """Every id of every page of a list, following `next`; fails on a repeated id."""
    seen: list[str] = []
    query = dict(params or {})
    for _ in range(1000):
        r = client.get(url, params=query)
        assert r.status_code == 200, r.text
        body = r.json()
        seen += [item["id"] for item in body["items"]]
        if body["next"] is None:
            assert "link" not in r.headers
            break
        query["cursor"] = body["next"]
    assert len(seen) == len(set(seen)), "an article came twice"
    return seen


__all__ = ["Archive", "walk", "when"]


@pytest.fixture
def client_with_budget(database_url: str) -> Iterator[TestClient]:
    """A client whose related articles read at most 5 tag links."""
    app = create_app(Settings(database_url=database_url, related_scan_limit=5))
    with TestClient(app) as c:
        yield c
    app.state.engine.dispose()
