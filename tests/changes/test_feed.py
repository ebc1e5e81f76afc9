"""GET /changes: seq order, one entry per article, tombstones, documents, paging, 410."""

from datetime import timedelta

from api.factory import ArticleSpec
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.api.changes import ChangesPublic, DigestPublic
from app.config import Settings
from app.db import unit_of_work
from app.feed import prune_changes, purge_tombstones
from app.main import create_app
from app.models import Change, FeedState, utcnow
from app.queries.articles import get_article
from changes.feedkit import publish, retitle, withdraw


def test_feed_shows_newest_change_of_each_article_in_seq_order(
    client: TestClient, engine: Engine
) -> None:
    a, b, c = publish(engine, ArticleSpec(), ArticleSpec(), ArticleSpec())
    retitle(engine, a, "新标题")
    withdraw(engine, b)

    body = client.get("/changes").json()

    assert [(r["id"], r["op"], r["seq"]) for r in body["results"]] == [
        (c, "upsert", 3),
        (a, "upsert", 4),
        (b, "delete", 5),
    ]
    assert body["last_seq"] == 5
    assert body["results"][2]["content_hash"] is None
    assert all("article" not in r for r in body["results"])
    assert body["results"][0]["changed_at"].endswith("Z")


def test_include_docs_gives_the_served_article_and_none_for_a_delete(
    client: TestClient, engine: Engine
) -> None:
    a, b = publish(engine, ArticleSpec(tags=[("美国", "meta")]), ArticleSpec())
    withdraw(engine, b)

    results = client.get("/changes", params={"include_docs": "true"}).json()["results"]

    with Session(engine) as session:
        served = get_article(session, article_id=a).model_dump(mode="json")
    assert results[0]["article"] == served
    assert results[0]["content_hash"] == served["content_hash"]
    assert results[1]["op"] == "delete" and "article" not in results[1]


def test_limit_pages_through_the_feed_without_loss(client: TestClient, engine: Engine) -> None:
    ids = publish(engine, *[ArticleSpec() for _ in range(7)])
    seen, since = [], 0
    while True:
        page = client.get("/changes", params={"since": since, "limit": 3}).json()
        if not page["results"]:
            break
        seen += [r["id"] for r in page["results"]]
        assert page["last_seq"] == page["results"][-1]["seq"]
        since = page["last_seq"]
    assert seen == ids
    assert since == 7


def test_since_at_the_end_answers_empty_with_the_same_last_seq(
    client: TestClient, engine: Engine
) -> None:
    publish(engine, ArticleSpec())
    assert client.get("/changes", params={"since": 1}).json() == {"results": [], "last_seq": 1}


def test_since_ahead_of_the_feed_is_410_problem(client: TestClient, engine: Engine) -> None:
    publish(engine, ArticleSpec())
    r = client.get("/changes", params={"since": 99})
    assert r.status_code == 410
    assert r.headers["content-type"] == "application/problem+json"
    assert "start again from 0" in r.json()["detail"]


def test_bad_parameters_are_422_problem(client: TestClient) -> None:
    for params in ({"since": -1}, {"limit": 0}, {"feed": "continuous"}, {"timeout": -1}):
        r = client.get("/changes", params=params)
        assert r.status_code == 422, params
        assert r.headers["content-type"] == "application/problem+json"


def test_purge_drops_only_old_tombstones_and_raises_purged_seq(
    client: TestClient, engine: Engine
) -> None:
    a, b, c = publish(engine, ArticleSpec(), ArticleSpec(), ArticleSpec())
    withdraw(engine, a)  # seq 4
    withdraw(engine, b)  # seq 5
    with unit_of_work(engine) as session:  # a's tombstone is 40 days old
        row = session.scalars(select(Change).where(Change.seq == 4)).one()
        row.changed_at = utcnow() - timedelta(days=40)
        session.add(row)

    assert prune_changes(engine, retention_days=30) == 1

    with Session(engine) as session:
        assert FeedState.read(session, FeedState.PURGED_SEQ) == 4
        assert session.scalars(select(Change.seq).order_by(Change.seq)).all() == [3, 5]
    gone = client.get("/changes", params={"since": 3})
    assert gone.status_code == 410
    assert gone.headers["content-type"] == "application/problem+json"
    # From 4 on nothing was lost; from 0 a reader starts afresh and sees what is live.
    assert [r["seq"] for r in client.get("/changes", params={"since": 4}).json()["results"]] == [5]
    assert [r["id"] for r in client.get("/changes").json()["results"]] == [c, b]


def test_purge_with_nothing_old_leaves_the_feed_as_it_was(engine: Engine) -> None:
    publish(engine, ArticleSpec())
    withdraw(engine, publish(engine, ArticleSpec())[0])
    with unit_of_work(engine) as session:
        assert purge_tombstones(session, older_than=utcnow() - timedelta(days=1)) == 0
    with Session(engine) as session:
        assert FeedState.read(session, FeedState.PURGED_SEQ) == 0
        assert session.scalar(select(func.count()).select_from(Change)) == 2


def test_seq_survives_a_restart(settings: Settings, engine: Engine) -> None:
    publish(engine, ArticleSpec())
    with TestClient(create_app(settings)) as first:
        assert first.get("/changes").json()["last_seq"] == 1
    publish(engine, ArticleSpec())
    with TestClient(create_app(settings)) as second:
        assert [r["seq"] for r in second.get("/changes").json()["results"]] == [1, 2]


def test_answers_conform_to_their_documented_models(client: TestClient, engine: Engine) -> None:
    a, b = publish(engine, ArticleSpec(tags=[("美国", "meta")]), ArticleSpec())
    withdraw(engine, b)
    for params in ({}, {"include_docs": "true"}):
        page = ChangesPublic.model_validate(client.get("/changes", params=params).json())
        assert [c.id for c in page.results] == [a, b]
    DigestPublic.model_validate(client.get("/changes/digest").json())
    documented = client.get("/openapi.json").json()["paths"]
    assert {"/changes", "/changes/digest", "/export"} <= documented.keys()
    assert "410" in documented["/changes"]["get"]["responses"]


def test_feed_answers_are_never_stored_by_caches(client: TestClient) -> None:
    for path in ("/changes", "/changes/digest", "/export"):
        assert client.get(path).headers["cache-control"] == "no-store", path


def test_purged_seq_only_ever_rises(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        FeedState.raise_purged(session, 5)
        FeedState.raise_purged(session, 3)  # an older purge finishing late
    with Session(engine) as session:
        assert FeedState.read(session, FeedState.PURGED_SEQ) == 5
        assert FeedState.read(session, FeedState.LAST_SEQ) == 0
