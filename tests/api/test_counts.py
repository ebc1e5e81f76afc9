"""Totals and facets of the lists: every count against a walk of the list itself."""

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlmodel import Session

from api.conftest import Archive
from api.factory import ArticleSpec, add_articles, when
from app.config import Settings
from app.db import normalise_url
from app.ingest import ingest
from app.queries.counts import facet_counts
from app.queries.filters import ArticleFilter

ALL_FACETS = "collection,year,month,tag,author"

FILTERS: list[dict[str, Any]] = [
    {},
    {"include_empty": "true"},
    {"collection": "gnews"},
    {"collection": "transcript", "include_empty": "true"},
    {"tag": "美国"},
    {"tag": ["美国", "TikTok"]},
    {"author": "水星"},
    {"published_after": "2024-03-05T00:00:00Z", "published_before": "2024-03-10T00:00:00Z"},
    {"collection": "nothing-here"},
]


def _items(client: TestClient, url: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Every item of every page of a list, following `next`."""
    items: list[dict[str, Any]] = []
    query = {**params, "limit": 200}
    while True:
        body = client.get(url, params=query).json()
        items += body["items"]
        if body["next"] is None:
            return items
        query["cursor"] = body["next"]


def _ranked(counts: Counter[Any], size: int) -> list[dict[str, Any]]:
    """The top ``size`` of ``counts``, most first, ties by value (code point order)."""
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:size]
    out = []
    for value, n in ranked:
        if isinstance(value, tuple):  # a tag: (name, kind)
            out.append({"value": value[0], "count": n, "kind": value[1]})
        else:
            out.append({"value": value, "count": n})
    return out


def expected_facets(client: TestClient, items: list[dict[str, Any]], size: int) -> dict[str, Any]:
    """The facets of these items, counted here in Python (authors: every credit line's name)."""
    dated = [i for i in items if i["published_at"]]
    credited = [
        {b["name"] for b in client.get(f"/articles/{i['id']}").json()["bylines"]} for i in items
    ]
    return {
        "collection": _ranked(Counter(i["collection"] for i in items), size),
        "year": _ranked(Counter(i["published_at"][:4] for i in dated), size),
        "month": _ranked(Counter(i["published_at"][:7] for i in dated), size),
        "tag": _ranked(Counter((t["name"], t["kind"]) for i in items for t in i["tags"]), size),
        "author": _ranked(Counter(name for names in credited for name in names), size),
    }


@pytest.mark.parametrize("params", FILTERS)
def test_total_and_facets_match_the_list_itself(
    client: TestClient, archive: Archive, params: dict[str, Any]
) -> None:
    items = _items(client, "/articles", params)
    for size in (100, 2):
        r = client.get(
            "/articles",
            params={**params, "total": "true", "facets": ALL_FACETS, "facet_size": size},
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["total"] == len(items)
        assert body["facets"] == expected_facets(client, items, size)


def test_counts_are_opt_in_and_leave_the_page_as_it_was(
    client: TestClient, archive: Archive
) -> None:
    plain = client.get("/articles", params={"limit": 5}).json()
    assert set(plain) == {"items", "next"}
    counted = client.get("/articles", params={"limit": 5, "total": "true", "facets": "year"}).json()
    assert set(counted) == {"items", "next", "total", "facets"}
    assert counted["items"] == plain["items"] and counted["next"] == plain["next"]
    assert set(counted["facets"]) == {"year"}


def test_facets_repeat_and_the_default_size_is_the_setting(
    client: TestClient, archive: Archive
) -> None:
    body = client.get("/articles", params={"facets": ["tag", "collection,tag"]}).json()
    assert list(body["facets"]) == ["tag", "collection"]
    months = client.get("/articles", params={"facets": "month", "include_empty": "true"}).json()
    assert len(months["facets"]["month"]) == 1  # all of March 2024: under the default of 10
    authors = _items(client, "/articles", {})
    assert body["facets"]["tag"] == expected_facets(client, authors, 10)["tag"]


@pytest.mark.parametrize(
    "params",
    [{"facets": "colour"}, {"facets": "year,colour"}, {"facet_size": 0}, {"facet_size": 101}],
)
def test_bad_facet_requests_are_422(
    client: TestClient, archive: Archive, params: dict[str, Any]
) -> None:
    r = client.get("/articles", params=params)
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"


def test_a_tags_articles_count_under_that_tag(client: TestClient, archive: Archive) -> None:
    items = _items(client, "/tags/美国/articles", {"collection": "gnews"})
    body = client.get(
        "/tags/美国/articles",
        params={"collection": "gnews", "total": "true", "facets": ALL_FACETS, "facet_size": 50},
    ).json()
    assert body["total"] == len(items) > 0
    assert body["facets"] == expected_facets(client, items, 50)


@pytest.mark.parametrize(
    "params", [{}, {"kind": "entity"}, {"prefix": "美"}, {"prefix": "无", "kind": "meta"}]
)
def test_tags_total(client: TestClient, archive: Archive, params: dict[str, Any]) -> None:
    names = _items(client, "/tags", params)
    body = client.get("/tags", params={**params, "total": "true", "limit": 1}).json()
    assert body["total"] == len(names)
    assert "total" not in client.get("/tags", params=params).json()


def test_a_total_and_facets_follow_new_articles(client: TestClient, archive: Archive) -> None:
    before = client.get("/articles", params={"total": "true", "facets": "year"}).json()
    add_articles(
        client.app.state.engine,  # type: ignore[attr-defined]
        [ArticleSpec(published_at=when(1).replace(year=2019)), ArticleSpec(is_empty=True)],
    )
    after = client.get("/articles", params={"total": "true", "facets": "year"}).json()
    assert after["total"] == before["total"] + 1
    assert {"value": "2019", "count": 1} in after["facets"]["year"]


EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "corpus"


@pytest.mark.parametrize("q", ["的", "是 在"])
def test_search_facets_count_the_hits(client: TestClient, settings: Settings, q: str) -> None:
    ingest(client.app.state.engine, EXAMPLES, settings=settings)  # type: ignore[attr-defined]
    for params in ({}, {"collection": "gnews"}, {"include_empty": "true"}):
        hits = _items(client, "/search", {**params, "q": q})
        body = client.get(
            "/search", params={**params, "q": q, "facets": ALL_FACETS, "facet_size": 100}
        ).json()
        assert body["total"] == len(hits)
        assert body["facets"] == expected_facets(client, hits, 100)
    assert _items(client, "/search", {"q": q}), "the query finds something in the examples"
    assert "facets" not in client.get("/search", params={"q": q}).json()


def test_years_and_months_are_utc_whatever_the_session_time_zone(database_url: str) -> None:
    # A PostgreSQL session in Shanghai (UTC+8) sees 23:30 UTC on 31 March as 1 April.
    args = {} if database_url.startswith("sqlite") else {"options": "-c timezone=Asia/Shanghai"}
    engine = create_engine(normalise_url(database_url), connect_args=args)
    try:
        add_articles(
            engine,
            [
                ArticleSpec(published_at=datetime(2024, 3, 31, 23, 30, tzinfo=UTC), authors=["甲"]),
                ArticleSpec(published_at=datetime(2023, 12, 31, 20, 0, tzinfo=UTC), authors=["甲"]),
            ],
        )
        with Session(engine) as session:
            for article_filter in (ArticleFilter(), ArticleFilter(author="甲")):  # tally, counted
                found = facet_counts(session, article_filter, ["year", "month"], size=10)
                assert found == {
                    "year": [{"value": "2023", "count": 1}, {"value": "2024", "count": 1}],
                    "month": [{"value": "2023-12", "count": 1}, {"value": "2024-03", "count": 1}],
                }
    finally:
        engine.dispose()
