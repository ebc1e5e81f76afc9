"""A write that another writer got ahead of runs again and comes out right (both databases)."""

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from app.db import unit_of_work
from app.ingest.prepare import PreparedArticle, prepare, source_hash
from app.ingest.store import ArticleStore, StoreOutcome
from app.writes import retry
from writes.articles import article_bytes, gnews_path, tar_archive


def _store_elsewhere(engine: Engine, n: int) -> None:
    """Stores article ``n`` through another connection and commits, as a second editor would."""
    data = article_bytes(n)
    prepared = prepare(gnews_path(n), data, source_hash(data))
    assert isinstance(prepared, PreparedArticle)
    with unit_of_work(engine) as session:
        ArticleStore(session).write(session, [prepared])


@pytest.fixture
def overtaken(monkeypatch: pytest.MonkeyPatch, engine: Engine) -> Callable[[int], list[int]]:
    """Makes the next upload's first batch meet article ``n`` just committed by someone else."""

    def arm(n: int) -> list[int]:
        calls: list[int] = []
        write = ArticleStore.write

        def write_after_a_rival(self: ArticleStore, session: Any, items: Any) -> StoreOutcome:
            calls.append(len(items))
            if len(calls) == 1:
                _store_elsewhere(engine, n)
            return write(self, session, items)

        monkeypatch.setattr(ArticleStore, "write", write_after_a_rival)
        return calls

    return arm


def test_an_upload_overtaken_by_another_write_runs_again(
    client: TestClient,
    auth: dict[str, str],
    seeded: list[str],
    overtaken: Callable[[int], list[int]],
) -> None:
    calls = overtaken(401)
    archive = tar_archive((gnews_path(n), article_bytes(n)) for n in (400, 401, 402))
    r = client.post("/articles", headers=auth, files={"file": ("a.tar.gz", archive)})
    assert r.status_code == 200, r.text
    assert len(calls) == 2  # the first attempt failed on the rival's article, the second did not
    report = r.json()
    assert sorted(report["added"]) == ["gnews-400", "gnews-402"]
    assert report["unchanged"] == 1  # the rival stored the same text
    changes = client.get("/changes", params={"since": 0}).json()["results"]
    ids = [c["id"] for c in changes]
    assert sorted(ids) == sorted(
        ["gnews-101", "gnews-102", "gnews-103", "gnews-400", "gnews-401", "gnews-402"]
    )


def test_a_put_overtaken_by_another_write_runs_again(
    client: TestClient,
    auth: dict[str, str],
    seeded: list[str],
    overtaken: Callable[[int], list[int]],
) -> None:
    calls = overtaken(403)
    r = client.put(
        "/articles/gnews-403",
        params={"path": gnews_path(403)},
        headers={**auth, "Content-Type": "text/markdown"},
        content=article_bytes(403),
    )
    assert r.status_code == 200, r.text  # not 201: by the second attempt it existed
    assert r.json()["result"] == "unchanged"
    assert len(calls) == 2


def test_a_write_that_keeps_failing_is_a_conflict_and_stores_nothing(
    client: TestClient,
    auth: dict[str, str],
    seeded: list[str],
    snapshot: Callable[[], Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def always_conflicting(self: ArticleStore, session: Any, items: Any) -> StoreOutcome:
        raise IntegrityError("INSERT INTO article ...", {}, Exception("duplicate key"))

    before = snapshot()
    monkeypatch.setattr(ArticleStore, "write", always_conflicting)
    monkeypatch.setattr(retry.time, "sleep", lambda _s: None)
    r = client.post(
        "/articles", headers=auth, files={"file": (gnews_path(404), article_bytes(404))}
    )
    assert r.status_code == 409
    assert r.headers["content-type"] == "application/problem+json"
    assert snapshot() == before
