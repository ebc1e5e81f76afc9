"""Revisions from a git history: every version of a path and of a slot article, with its
commit and commit time, listed newest first and served whole; a later run adds only the
new versions, with the same hashes a full read gives. Both databases."""

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from history.repo_kit import Repo, at, gnews
from sqlalchemy import delete, select
from sqlalchemy.engine import Engine

from app.config import Settings
from app.db import unit_of_work
from app.ingest import ingest_history
from app.ingest.store import ArticleStore
from app.models import Article, HistoryState
from revisions.kit import every_version, listed, served, table

NEWS = "content/gnews/1600100.md"
TALK = "content/transcript/2021/01/20210101-1600200.md"
SLOT1, SLOT2 = "content/gnews/1/README.md", "content/gnews/2/README.md"
OLD = "https://gnews.org/zh-hans/{}/"


def _talk(title: str) -> bytes:
    return f"## {title}\n[轉載自GNews](https://gnews.org/ThreadView/1600200)\n\n文字版。\n".encode()


@pytest.fixture
def edited(tmp_path: Path) -> tuple[Repo, list[str]]:
    """NEWS edited twice, deleted, and re-added with its first bytes; TALK deleted."""
    repo = Repo(tmp_path / "repo")
    first = gnews("初版", OLD.format(1600100), "第一版。")
    commits = [
        repo.commit({NEWS: first, TALK: _talk("对谈")}),
        repo.commit({NEWS: gnews("改版", OLD.format(1600100), "第二版。")}),
        repo.commit({NEWS: gnews("三版", OLD.format(1600100), "第三版。"), TALK: None}),
        repo.commit({NEWS: None}),
        repo.commit({NEWS: first}),
    ]
    return repo, commits


def test_every_version_of_a_path_is_a_revision_with_its_commit(
    engine: Engine, settings: Settings, client: TestClient, edited: tuple[Repo, list[str]]
) -> None:
    repo, commits = edited
    report, _ = ingest_history(engine, repo.root, settings)
    assert report.failed == []

    items = listed(client, "gnews-1600100")
    assert [(r["commit"], r["committed_at"], r["title"]) for r in items] == [
        (commits[4], "2021-09-13T10:00:00Z", "初版"),  # re-added: the same file, shown again
        (commits[2], "2021-09-11T10:00:00Z", "三版"),
        (commits[1], "2021-09-10T10:00:00Z", "改版"),
        (commits[0], "2021-09-09T10:00:00Z", "初版"),
    ]
    versions = every_version(client, "gnews-1600100")
    # The newest is the article itself; older ones as the article was while each was newest.
    assert versions[0] == client.get("/articles/gnews-1600100").json()
    bodies = ("第三版。", "第二版。", "第一版。")
    for version, n, body in zip(versions[1:], (2, 1, 0), bodies, strict=True):
        assert version["body_markdown"] == body
        assert version["first_seen_at"] == "2021-09-09T10:00:00Z"
        assert version["last_seen_at"] == version["updated_at"] == at(n).isoformat()[:19] + "Z"
        assert version["in_head"] is True
        assert version["published_at"] == "2021-09-09T10:00:00Z"  # first seen: no own date

    [talk] = listed(client, "transcript-2021-01-20210101-1600200")
    assert (talk["commit"], talk["committed_at"]) == (commits[0], "2021-09-09T10:00:00Z")
    assert (
        served(client, "transcript-2021-01-20210101-1600200", talk["content_hash"])["in_head"]
        is False
    )


def test_a_slot_article_has_one_revision_per_version_not_per_slot(
    engine: Engine, settings: Settings, client: TestClient, tmp_path: Path
) -> None:
    repo = Repo(tmp_path / "repo")
    commits = [
        repo.commit({SLOT1: gnews("甲", OLD.format(7)), NEWS: gnews("一", OLD.format(1600100))}),
        # 甲 rolls to slot 2 (the same version); a version of NEWS arrives in slot 1.
        repo.commit({SLOT1: gnews("一改", OLD.format(1600100)), SLOT2: gnews("甲", OLD.format(7))}),
        repo.commit({SLOT2: gnews("甲改", OLD.format(7), "改了。")}),
    ]
    report, _ = ingest_history(engine, repo.root, settings)
    assert report.failed == []

    slot = listed(client, "gnews-zh-hans-7")
    assert [(r["commit"], r["title"]) for r in slot] == [(commits[2], "甲改"), (commits[0], "甲")]
    assert [v["body_markdown"] for v in every_version(client, "gnews-zh-hans-7")] == [
        "改了。",
        "正文。",
    ]
    # The file and the slot version that names it are one article with two versions.
    news = listed(client, "gnews-1600100")
    assert [(r["commit"], r["title"]) for r in news] == [(commits[1], "一改"), (commits[0], "一")]


def _snapshot(client: TestClient, ids: list[str]) -> dict[str, Any]:
    """Every article's revisions as listed and served (``updated_at`` aside: when stored)."""
    return {
        i: (
            listed(client, i),
            [{k: v for k, v in d.items() if k != "updated_at"} for d in every_version(client, i)],
        )
        for i in ids
    }


def test_a_later_run_adds_the_new_versions_with_the_hashes_a_full_read_gives(
    engine: Engine, settings: Settings, client: TestClient, edited: tuple[Repo, list[str]]
) -> None:
    repo, _ = edited
    ingest_history(engine, repo.root, settings)
    repo.commit({NEWS: gnews("五版", OLD.format(1600100), "第五版。")})
    repo.commit(
        {NEWS: gnews("六版", OLD.format(1600100), "第六版。"), SLOT1: gnews("乙", OLD.format(8))}
    )
    report, source = ingest_history(engine, repo.root, settings)
    assert source.commits_after == 2 and sorted(report.updated) == ["gnews-1600100"]
    with unit_of_work(engine) as session:
        ids = sorted(session.scalars(select(Article.id)))
    later = _snapshot(client, ids)
    assert [r["title"] for r in later["gnews-1600100"][0]] == [
        "六版", "五版", "初版", "三版", "改版", "初版"
    ]  # fmt: skip

    # The same repository read whole into an emptied database.
    with unit_of_work(engine) as session:
        ArticleStore(session).delete(session, ids)
        session.execute(delete(HistoryState))
    assert table(engine) == []
    ingest_history(engine, repo.root, settings)
    assert _snapshot(client, ids) == later


def test_an_older_version_that_cannot_be_read_is_reported_with_its_commit(
    engine: Engine, settings: Settings, client: TestClient, tmp_path: Path
) -> None:
    repo = Repo(tmp_path / "repo")
    bad = repo.commit({NEWS: b"## \xff\xfe broken\n"})
    repo.commit({NEWS: gnews("好了", OLD.format(1600100))})
    report, _ = ingest_history(engine, repo.root, settings)

    assert [(f.path, f.reason[:9]) for f in report.failed] == [(f"{NEWS}@{bad[:12]}", "not UTF-8")]
    assert report.added == ["gnews-1600100"]
    assert [r["title"] for r in listed(client, "gnews-1600100")] == ["好了"]


def test_unknown_revisions_are_404_and_every_answer_has_its_etag(
    engine: Engine, settings: Settings, client: TestClient, edited: tuple[Repo, list[str]]
) -> None:
    repo, _ = edited
    ingest_history(engine, repo.root, settings)
    items = listed(client, "gnews-1600100")

    for path in ("/articles/gnews-404/revisions", f"/articles/gnews-1600100/revisions/{'0' * 64}"):
        missing = client.get(path)
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"
        assert missing.json()["status"] == 404
    assert client.get("/articles/gnews-1600100/revisions/not-a-hash").status_code == 422

    page = client.get("/articles/gnews-1600100/revisions")
    again = client.get(
        "/articles/gnews-1600100/revisions", headers={"If-None-Match": page.headers["etag"]}
    )
    assert again.status_code == 304 and again.content == b""
    for item in (items[0], items[-1]):  # the current version, and an older one (markdown)
        url = f"/articles/gnews-1600100/revisions/{item['content_hash']}"
        cached = client.get(url, headers={"If-None-Match": f'"{item["content_hash"]}"'})
        assert cached.status_code == 304

    # One at a time, the pages hold the same revisions; a cursor belongs to its article.
    assert listed(client, "gnews-1600100", limit=1) == items
    first = client.get("/articles/gnews-1600100/revisions", params={"limit": 1}).json()
    other = client.get(
        "/articles/transcript-2021-01-20210101-1600200/revisions",
        params={"cursor": first["next"]},
    )
    assert other.status_code == 422
